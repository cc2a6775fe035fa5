import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { itemTakes } from '../../data-api/src/contracts/runbook.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { bearer, client, must, type Client } from '../helpers/registry.ts';

// Issue 11, defect 7: evidence checks that hold. An item takes the evidence its `evidence` says
// (a photo item: photos only, so no zip as kind=file); a photo must say its size in its header
// and stay within the configured limit (here 12 MP) — a 50,000 × 50,000 PNG is refused, as
// evidence and as a work-item attachment; nothing refused is kept.

const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};
/** A PNG signature and IHDR declaring width × height (the pixels themselves never come into it). */
const png = (width: number, height: number) =>
  Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    u32(13),
    Buffer.from('IHDR'),
    u32(width),
    u32(height),
    Buffer.from([8, 2, 0, 0, 0]),
    u32(0),
  ]);
/** A zip local file header (a 512 MB bomb looks the same from here: the API never expands it). */
const zip = () => Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(200, 0)]);

describe('evidence: allowed kinds per item, photo dimensions bounded', () => {
  let t: TestApp;
  let base: string;
  let token: string;
  let admin: Client;
  let execId: string;
  let blobDir: string;

  const upload = async (url: string, bytes: Buffer, filename: string, kind: 'photo' | 'file') => {
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(bytes)]), filename);
    const res = await fetch(`${base}/api/v1${url}?kind=${kind}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: form,
    });
    return { status: res.status, body: await res.json() };
  };
  const evidence = (item: string, bytes: Buffer, filename: string, kind: 'photo' | 'file') =>
    upload(`/runbook-executions/${execId}/items/${item}/evidence`, bytes, filename, kind);
  const stored = async () =>
    (await sql<{ n: number }>`select count(*)::int as n from runbook_evidence`.execute(t.ctx.db)).rows[0]!.n;
  const blobs = () =>
    fs
      .readdirSync(blobDir, { recursive: true })
      .filter((f) => !String(f).startsWith('tmp') && /[0-9a-f]{64}$/.test(String(f))).length;

  beforeAll(async () => {
    blobDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fb-evidence-limits-'));
    t = await createTestApp({ blobDir, evidenceMaxPixels: 12_000_000 });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    token = await bearer(t.ctx.db, 'admin', null, 'root');
    admin = client(t.app, token);
    await must(admin.post('/customers', { id: 'cus_ev', name: 'Evidence' }));
    await must(admin.post('/sites', { id: 'site_ev', customer_id: 'cus_ev', name: 'Evidence site' }));
    await must(
      admin.post('/deployments', {
        id: 'dep_ev',
        site_id: 'site_ev',
        product_code: 'lorawan-gw',
        product_version: '2.1.0',
        state: 'installing',
      }),
    );
    execId = (
      await must(
        admin.post('/runbook-executions', { runbook_id: 'rb-practice-first-execution', deployment_id: 'dep_ev' }),
      )
    ).id;
    // Open gate g2 (label-photo is a photo item there): tick gate g1 and sign it off.
    await must(admin.post(`/runbook-executions/${execId}/items/deployment-page/tick`, {}), 200);
    await must(admin.post(`/runbook-executions/${execId}/items/site-notes/tick`, { note: 'LAN 10.0.0.0/24' }), 200);
    await must(admin.post(`/runbook-executions/${execId}/items/ppe/tick`, {}), 200);
    await must(admin.post(`/runbook-executions/${execId}/gates/g1-prepare/sign-off`, {}), 200);
  });
  afterAll(async () => {
    await t?.close();
    fs.rmSync(blobDir, { recursive: true, force: true });
  });

  it('the rule: photo and link items take their own kind, a file item a file or a photo, the others anything', () => {
    expect(['photo', 'file', 'link'].filter((k) => itemTakes('photo', k as 'photo'))).toEqual(['photo']);
    expect(['photo', 'file', 'link'].filter((k) => itemTakes('file', k as 'photo'))).toEqual(['photo', 'file']);
    expect(['photo', 'file', 'link'].filter((k) => itemTakes('link', k as 'photo'))).toEqual(['link']);
    for (const item of ['none', 'note', 'value'] as const)
      expect(['photo', 'file', 'link'].every((k) => itemTakes(item, k as 'photo'))).toBe(true);
  });

  it('a photo item refuses a zip as kind=file (400 at querystring.kind) and as kind=photo (415); a link too', async () => {
    const [n, b] = [await stored(), blobs()];
    const asFile = await evidence('label-photo', zip(), 'bomb.zip', 'file');
    expect(asFile.status).toBe(400);
    expect(asFile.body.issues).toEqual([
      { path: 'querystring.kind', message: expect.stringMatching(/item label-photo takes a photo .* not a file/) },
    ]);
    const asPhoto = await evidence('label-photo', zip(), 'bomb.jpg', 'photo');
    expect(asPhoto.status).toBe(415);
    const link = await admin.post(`/runbook-executions/${execId}/items/label-photo/link`, {
      url: 'https://example.com/album',
    });
    expect(link.statusCode).toBe(400);
    expect(link.json().issues).toEqual([{ path: 'body.url', message: expect.stringMatching(/takes a photo/) }]);
    expect([await stored(), blobs()]).toEqual([n, b]);
    // An item asking for nothing in particular still takes a zip as supporting evidence.
    expect((await evidence('cable', zip(), 'walk.kmz', 'file')).status).toBe(201);
  });

  it('a photo declaring 50,000 × 50,000 pixels is refused (415), as a photo or a file, and nothing is kept', async () => {
    const [n, b] = [await stored(), blobs()];
    const huge = await evidence('label-photo', png(50_000, 50_000), 'huge.png', 'photo');
    expect(huge.status).toBe(415);
    expect(huge.body.message).toMatch(/"huge.png" is 50000 × 50000 pixels \(2500 MP\): photos up to 12 MP are taken/);
    expect((await evidence('cable', png(50_000, 50_000), 'huge.png', 'file')).status).toBe(415);
    // One pixel over the configured limit, and a PNG cut off before its size.
    expect((await evidence('label-photo', png(4001, 3000), 'over.png', 'photo')).status).toBe(415);
    const cut = await evidence('label-photo', png(10, 10).subarray(0, 20), 'cut.png', 'photo');
    expect(cut.status).toBe(415);
    expect(cut.body.message).toMatch(/header does not give its size/);
    expect([await stored(), blobs()]).toEqual([n, b]);
    expect(fs.existsSync(path.join(blobDir, 'tmp')) ? fs.readdirSync(path.join(blobDir, 'tmp')) : []).toEqual([]);
    // At the limit: taken.
    const ok = await evidence('label-photo', png(4000, 3000), 'label.png', 'photo');
    expect(ok.status).toBe(201);
    expect(ok.body.evidence).toMatchObject({ kind: 'photo', content_type: 'image/png' });
  });

  it('work-item attachments go through the same checks', async () => {
    const item = await must(admin.post('/work-items', { title: 'photo of the mast' }));
    const huge = await upload(`/work-items/${item.id}/attachments`, png(50_000, 50_000), 'mast.png', 'photo');
    expect(huge.status).toBe(415);
    expect(huge.body.message).toMatch(/50000 × 50000 pixels/);
    expect((await upload(`/work-items/${item.id}/attachments`, png(800, 600), 'mast.png', 'photo')).status).toBe(201);
  });

  // contracts.md: every request is validated, the error names the field. An upload's body is one
  // file in the field `file`: another field, a second file or an empty file is a 400 naming it
  // (the API kept the first file and dropped the rest), and the 413/415 name body.file too.
  it('the body is one non-empty file in the field "file": anything else is refused at its field, nothing kept', async () => {
    const item = await must(admin.post('/work-items', { title: 'body checks' }));
    const urls = [`/runbook-executions/${execId}/items/cable/evidence`, `/work-items/${item.id}/attachments`];
    const post = async (url: string, body: BodyInit, headers: Record<string, string> = {}) => {
      const res = await fetch(`${base}/api/v1${url}?kind=file`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, ...headers },
        body,
      });
      return { status: res.status, body: await res.json() };
    };
    const form = (...parts: Array<[string, string | Buffer, string?]>) => {
      const fd = new FormData();
      for (const [name, value, filename] of parts)
        if (typeof value === 'string') fd.append(name, value);
        else fd.append(name, new Blob([new Uint8Array(value)]), filename);
      return fd;
    };
    const photo = png(800, 600);
    const cases: Array<
      [string, () => FormData | string, number, Array<{ path: string; message: unknown }>, Record<string, string>?]
    > = [
      [
        'a file in another field',
        () => form(['files', photo, 'mast.png']),
        400,
        [
          {
            path: 'body.files',
            message: expect.stringMatching(
              /^unknown field "files" \(did you mean "file"\?\); the body takes one file field, "file"/,
            ),
          },
          { path: 'body.file', message: 'expected one file' },
        ],
      ],
      [
        'a text field beside the file',
        () => form(['caption', 'north side'], ['file', photo, 'mast.png']),
        400,
        [
          {
            path: 'body.caption',
            message: expect.stringMatching(/^unknown field "caption"; the body takes one file field/),
          },
        ],
      ],
      [
        'two files',
        () => form(['file', photo, 'a.png'], ['file', photo, 'b.png']),
        400,
        [{ path: 'body.file', message: 'one file per upload: send the others one by one' }],
      ],
      [
        'an empty file',
        () => form(['file', Buffer.alloc(0), 'empty.txt']),
        400,
        [{ path: 'body.file', message: expect.stringMatching(/empty \(0 bytes\)/) }],
      ],
      [
        'a JSON body',
        () => JSON.stringify({ file: 'x' }),
        415,
        [
          {
            path: 'headers.content-type',
            message: expect.stringMatching(/^expected multipart\/form-data .* got application\/json/),
          },
        ],
        { 'content-type': 'application/json' },
      ],
      [
        'a file over the limit',
        () => form(['file', Buffer.alloc(10 * 1024 * 1024 + 1, 0x41), 'big.txt']),
        413,
        [{ path: 'body.file', message: expect.stringMatching(/"big.txt" is larger than 10 MB/) }],
      ],
      [
        'a file of a type not taken',
        () => form(['file', Buffer.from('MZ\x90\x00'), 'tool.exe']),
        415,
        [{ path: 'body.file', message: expect.stringMatching(/"tool.exe" is not an allowed file type/) }],
      ],
    ];
    const [n, b] = [await stored(), blobs()];
    const wrong: string[] = [];
    for (const url of urls)
      for (const [name, body, status, issues, headers] of cases) {
        const res = await post(url, body(), headers);
        try {
          expect(res.status).toBe(status);
          expect(res.body.issues).toEqual(issues);
        } catch {
          wrong.push(`${url} ${name}: ${res.status} ${JSON.stringify(res.body)}`);
        }
      }
    expect(wrong).toEqual([]);
    expect([await stored(), blobs()]).toEqual([n, b]);
    for (const url of urls) expect((await post(url, form(['file', photo, 'mast.png']))).status).toBe(201);
  });
});
