import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { bearer, client, must, type Client } from '../helpers/registry.ts';

// Issue 11, defect 5: bad input is a 400 (or 415) that names the field, never a 500. The
// requests below each answered 500 before: NUL bytes reaching PostgreSQL, numeric cursors out
// of bigint's range, a device-sort cursor with a garbage timestamp, broken multipart uploads.
describe('hostile input: a 400 naming the field, never a 500', () => {
  let t: TestApp;
  let base: string;
  let admin: Client;
  let adminToken: string;
  let execId: string;
  let blobDir: string;

  const cursor = (value: unknown) =>
    Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
  const issuesOf = (body: string) =>
    (JSON.parse(body) as { issues?: Array<{ path: string; message: string }> }).issues ?? [];

  beforeAll(async () => {
    blobDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fb-hostile-'));
    t = await createTestApp({ blobDir });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    adminToken = await bearer(t.ctx.db, 'admin', null, 'root');
    admin = client(t.app, adminToken);
    await must(admin.post('/customers', { id: 'cus_h', name: 'Hostile' }));
    await must(admin.post('/sites', { id: 'site_h', customer_id: 'cus_h', name: 'H site' }));
    await must(
      admin.post('/deployments', {
        id: 'dep_h',
        site_id: 'site_h',
        product_code: 'lorawan-gw',
        product_version: '2.1.0',
        state: 'installing',
      }),
    );
    for (let i = 1; i <= 3; i++)
      await must(
        admin.post('/devices', {
          id: `dev_h-${i}`,
          site_id: 'site_h',
          product_code: 'soil-probe',
          role: 'sensor',
          name: `h-${i}`,
        }),
      );
    await sql`update devices set last_seen = now() - make_interval(mins => 1)`.execute(t.ctx.db);
    execId = (
      await must(
        admin.post('/runbook-executions', { runbook_id: 'rb-practice-first-execution', deployment_id: 'dep_h' }),
      )
    ).id;
  });
  afterAll(async () => {
    await t?.close();
    fs.rmSync(blobDir, { recursive: true, force: true });
  });

  it('refuses a NUL byte in a path parameter, a query field and a body field, naming the field', async () => {
    const cases: Array<[string, string, unknown, string]> = [
      ['GET', '/products/a%00b', undefined, 'params.code'],
      ['GET', '/devices?q=a%00', undefined, 'querystring.q'],
      ['GET', '/automation-runs?project=%00', undefined, 'querystring.project'],
      ['GET', '/tutorial-progress?person=a%00b', undefined, 'querystring.person'],
      ['GET', '/customers/cus_a%00b', undefined, 'params.id'],
      ['POST', '/customers', { name: 'bad\u0000name' }, 'body.name'],
      ['PATCH', '/sites/site_h', { name: 'x', lan_notes: 'a\u0000' }, 'body.lan_notes'],
      ['POST', `/runbook-executions/${execId}/items/site-notes/note`, { note: 'n\u0000' }, 'body.note'],
      ['PUT', '/runbook-leads/le%00na', undefined, 'params.name'],
    ];
    for (const [method, url, body, field] of cases) {
      const res = await admin.call(method as 'GET', url, body);
      expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(400);
      expect(issuesOf(res.body), `${method} ${url}`).toContainEqual({
        path: field,
        message: expect.stringMatching(/NUL/),
      });
    }
  });

  it('refuses a lone surrogate (bad Unicode) and a body nested too deep, naming where', async () => {
    // JSON.parse gives a lone surrogate for "\ud800"; jsonb refuses the escape it is written back as.
    const lone = await admin.call('PUT', '/devices/dev_h-1/desired-state', '{"desired_state":{"mode":"\\ud800x"}}');
    expect(lone.statusCode, lone.body).toBe(400);
    expect(issuesOf(lone.body)).toEqual([
      { path: 'body.desired_state.mode', message: expect.stringMatching(/Unicode/) },
    ]);
    const key = await admin.call('PUT', '/devices/dev_h-1/desired-state', '{"desired_state":{"a\\u0000b":1}}');
    expect(key.statusCode, key.body).toBe(400);
    expect(issuesOf(key.body)).toEqual([
      { path: 'body.desired_state.a\u0000b', message: expect.stringMatching(/field name .*NUL/) },
    ]);
    const deep = await admin.call(
      'PUT',
      '/devices/dev_h-1/desired-state',
      `{"desired_state":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}`,
    );
    expect(deep.statusCode, deep.body).toBe(400);
    expect(issuesOf(deep.body)[0]!.message).toMatch(/nested deeper than 64 levels/);
    const device = await must(admin.get('/devices/dev_h-1'), 200);
    expect(device.desired_version).toBe(0);
  });

  it('refuses timestamps outside the years 1 to 9999 (year 0000, or an offset pushing past 9999), naming the field', async () => {
    const cases: Array<[string, string]> = [
      ['/uptime?group_by=customer&to=0000-02-29T12%3A49%3A08-23%3A14', 'querystring.to'],
      ['/uptime?from=0001-01-01T00%3A00%3A00%2B23%3A59', 'querystring.from'],
      ['/audit?from=0000-01-01T00%3A00%3A00Z', 'querystring.from'],
      ['/audit?to=9999-12-31T23%3A59%3A59-23%3A59', 'querystring.to'],
    ];
    for (const [url, field] of cases) {
      const res = await admin.get(url);
      expect(res.statusCode, `${url}: ${res.body}`).toBe(400);
      expect(issuesOf(res.body), url).toContainEqual({
        path: field,
        message: expect.stringMatching(/between the years 1 and 9999/),
      });
    }
    // An offset no time zone has (PostgreSQL refuses past ±15:59), in a body stored as sent.
    const note = await admin.post(`/runbook-executions/${execId}/items/site-notes/note`, {
      note: 'n',
      client_at: '5600-02-29T02:03:28-22:58',
    });
    expect(note.statusCode, note.body).toBe(400);
    expect(issuesOf(note.body)).toContainEqual({
      path: 'body.client_at',
      message: expect.stringMatching(/UTC offset between -14:00 and \+14:00/),
    });
    expect((await admin.get('/uptime?to=2026-01-01T00%3A00%3A00%2B14%3A00')).statusCode).toBe(200);
    expect((await admin.get('/uptime?to=2026-01-01T00%3A00%3A00Z')).statusCode).toBe(200);
  });

  it('refuses a cursor that decodes to a NUL byte, and numeric cursors outside the id range (1e308, 2^63)', async () => {
    const bad = [
      `/customers?cursor=${cursor({ v: 1, after: 'cus_\u0000' })}`,
      `/devices?sort=name&cursor=${cursor({ v: 2, sort: 'name', k: 'a\u0000', after: 'dev_h-1' })}`,
      `/dead-letters?cursor=${cursor('{"v":1,"before":1e308}')}`,
      `/dead-letters?cursor=${cursor('{"v":1,"before":9223372036854775808}')}`,
      `/dead-letters?cursor=${cursor({ v: 1, before: -5 })}`,
      `/alerts?cursor=${cursor('{"v":1,"before":1e308}')}`,
      `/alerts?cursor=${cursor('{"v":1,"before":9223372036854775808}')}`,
      `/audit?cursor=${cursor('audit:1e308')}`,
      `/audit?cursor=${cursor('audit:9223372036854775808')}`,
      `/runbook-executions?cursor=${cursor({ v: 1, after: 'run_\u0000' })}`,
      `/automation-runs?cursor=${cursor({ v: 1, after: 'x\u0000' })}`,
    ];
    for (const url of bad) {
      const res = await admin.get(url);
      expect(res.statusCode, `${url}: ${res.body}`).toBe(400);
      expect(
        issuesOf(res.body).map((i) => i.path),
        url,
      ).toContain('querystring.cursor');
    }
  });

  it('refuses a device-sort cursor holding a garbage timestamp, and still pages with a real one', async () => {
    for (const k of ['garbage', '2025-13-45 99:99:99+00', '99999999-01-01 00:00:00+00', '']) {
      const res = await admin.get(
        `/devices?sort=last_seen&cursor=${cursor({ v: 2, sort: 'last_seen', k, after: 'dev_h-1' })}`,
      );
      expect(res.statusCode, `k=${k}: ${res.body}`).toBe(400);
      expect(issuesOf(res.body).map((i) => i.path)).toContain('querystring.cursor');
    }
    // The cursors the API itself hands out still work, for every timestamp sort.
    for (const sort of ['last_seen', '-last_seen', 'created_at', '-created_at']) {
      const first = await must(admin.get(`/devices?sort=${sort}&limit=1`), 200);
      expect(first.next_cursor).toEqual(expect.any(String));
      const next = await must(admin.get(`/devices?sort=${sort}&limit=1&cursor=${first.next_cursor}`), 200);
      expect(next.items[0].id).not.toBe(first.items[0].id);
    }
  });

  describe('multipart evidence uploads', () => {
    const url = () => `${base}/api/v1/runbook-executions/${execId}/items/ppe/evidence?kind=photo`;
    const auth = () => ({ authorization: `Bearer ${adminToken}` });
    const form = (boundary: string, body: Buffer) =>
      Buffer.concat([
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n`,
        ),
        body,
        Buffer.from(`\r\n--${boundary}--\r\n`),
      ]);

    it('multipart without a boundary → 400', async () => {
      const res = await fetch(url(), {
        method: 'POST',
        headers: { ...auth(), 'content-type': 'multipart/form-data' },
        body: form('xyz', Buffer.from('abc')),
      });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: 'validation', message: expect.stringMatching(/boundary/i) });
    });

    it('a truncated multipart body → 400', async () => {
      const whole = form('xyz', Buffer.alloc(2000, 1));
      const res = await fetch(url(), {
        method: 'POST',
        headers: { ...auth(), 'content-type': 'multipart/form-data; boundary=xyz' },
        body: whole.subarray(0, 600),
      });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: 'validation' });
    });

    it('content-encoding gzip on an upload → 415', async () => {
      const res = await fetch(url(), {
        method: 'POST',
        headers: { ...auth(), 'content-type': 'multipart/form-data; boundary=xyz', 'content-encoding': 'gzip' },
        body: gzipSync(form('xyz', Buffer.from('abc'))),
      });
      expect(res.status).toBe(415);
      expect(await res.json()).toMatchObject({
        error: 'unsupported_media_type',
        message: expect.stringMatching(/content-encoding/i),
      });
    });

    it('a NUL byte in the uploaded file name → 400 naming it', async () => {
      const res = await fetch(url(), {
        method: 'POST',
        headers: { ...auth(), 'content-type': 'multipart/form-data; boundary=xyz' },
        body: form('xyz', Buffer.from('abc')).toString('latin1').replace('a.png', 'a\u0000.png'),
      });
      expect(res.status).toBe(400);
      expect(issuesOf(await res.text())).toContainEqual({
        path: 'body.file.filename',
        message: expect.stringMatching(/NUL/),
      });
    });
  });
});
