import { createHash } from 'node:crypto';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Execution, ItemActionResult } from '../../data-api/src/contracts/executions.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { bearer, client, must, type Client } from '../helpers/registry.ts';
import { openSse } from '../helpers/sse.ts';
import { png } from '../helpers/png.ts';

// runbooks.md "Execution in the browser" and contracts.md `/api/v1/runbook-executions…`:
// start for a deployment with a snapshot of the gates; tick / untick / value / note /
// evidence; a `sign_off` gate blocks the next gate until a person with that role signs off;
// values outside `expect` are flagged and need a note; a stale `if_version` is a 409 with the
// current item; every action is audited and put on the change feed (`execution.*`).
// Runs against PGlite + aedes, and against PostgreSQL + Mosquitto with TEST_DATABASE_URL.

const RB = 'rb-practice-first-execution';

describe('runbook executions API', () => {
  let t: TestApp;
  let base: string;
  let blobDir: string;
  const tok: Record<string, string> = {};
  let admin: Client, alice: Client, bob: Client, lena: Client, viewer: Client, other: Client;

  const upload = async (
    token: string,
    execId: string,
    item: string,
    bytes: Buffer,
    filename: string,
    kind: 'photo' | 'file' = 'photo',
    type = 'application/octet-stream',
  ) => {
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(bytes)], { type }), filename);
    const res = await fetch(`${base}/api/v1/runbook-executions/${execId}/items/${item}/evidence?kind=${kind}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: form,
    });
    return { status: res.status, body: await res.json() };
  };
  const start = async (deployment = 'dep_rb-1', runbook = RB, as: Client = alice): Promise<Execution> =>
    must(as.post('/runbook-executions', { runbook_id: runbook, deployment_id: deployment }));
  const act = (as: Client, id: string, item: string, verb: string, body: unknown = {}) =>
    as.post(`/runbook-executions/${id}/items/${item}/${verb}`, body);
  const counts = async () => {
    const out: Record<string, number> = {};
    for (const table of [
      'runbook_item_states',
      'runbook_evidence',
      'runbook_execution_events',
      'runbook_gate_signoffs',
      'audit_log',
      'change_events',
    ]) {
      const { rows } = await sql<{ n: number }>`select count(*)::int as n from ${sql.table(table)}`.execute(t.ctx.db);
      out[table] = rows[0]!.n;
    }
    const { rows } = await sql<{
      s: string;
    }>`select coalesce(string_agg(execution_id || item_id || checked::text || version::text, ',' order by execution_id, item_id), '') as s from runbook_item_states`.execute(
      t.ctx.db,
    );
    out.items = rows[0]!.s.length;
    return { ...out, digest: rows[0]!.s };
  };
  /** Ticks every item of gate g1 (the note item with a note). */
  const finishPrepare = async (id: string, as: Client = alice) => {
    await must(act(as, id, 'deployment-page', 'tick'), 200);
    await must(act(as, id, 'site-notes', 'tick', { note: 'Site LAN 10.20.0.0/24' }), 200);
    await must(act(as, id, 'ppe', 'tick'), 200);
  };

  beforeAll(async () => {
    blobDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fb-blobs-'));
    t = await createTestApp({ blobDir });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    const db = t.ctx.db;
    tok.admin = await bearer(db, 'admin', null, 'root');
    tok.alice = await bearer(db, 'operator', null, 'alice');
    tok.bob = await bearer(db, 'operator', null, 'bob');
    tok.lena = await bearer(db, 'operator', null, 'lena');
    tok.viewer = await bearer(db, 'viewer', null, 'vic');
    admin = client(t.app, tok.admin);
    alice = client(t.app, tok.alice);
    bob = client(t.app, tok.bob);
    lena = client(t.app, tok.lena);
    viewer = client(t.app, tok.viewer);
    await must(admin.post('/customers', { id: 'cus_rb', name: 'Runbook farms' }));
    await must(admin.post('/customers', { id: 'cus_rb-other', name: 'Other' }));
    await must(admin.post('/sites', { id: 'site_rb', customer_id: 'cus_rb', name: 'RB site' }));
    await must(admin.post('/sites', { id: 'site_rb-other', customer_id: 'cus_rb-other', name: 'Other site' }));
    for (let i = 1; i <= 3; i++)
      await must(
        admin.post('/deployments', {
          id: `dep_rb-${i}`,
          site_id: 'site_rb',
          product_code: 'lorawan-gw',
          product_version: '2.1.0',
          state: 'installing',
        }),
      );
    await must(
      admin.post('/deployments', {
        id: 'dep_rb-pump',
        site_id: 'site_rb',
        product_code: 'pump-ctl',
        product_version: '1.4.2',
        state: 'planned',
      }),
    );
    await must(
      admin.post('/deployments', {
        id: 'dep_rb-other',
        site_id: 'site_rb-other',
        product_code: 'lorawan-gw',
        product_version: '2.1.0',
        state: 'installing',
      }),
    );
    await must(admin.put('/runbook-leads/lena', undefined), 200);
    tok.other = await bearer(db, 'operator', 'cus_rb-other', 'olga');
    other = client(t.app, tok.other);
  });
  afterAll(async () => {
    await t?.close();
    fs.rmSync(blobDir, { recursive: true, force: true });
  });

  describe('start', () => {
    it('records runbook id, version and a snapshot of the gates; audited; on the change feed with the tenant', async () => {
      const e = await start();
      expect(e.id).toMatch(/^run_/);
      expect(e).toMatchObject({
        runbook: { id: RB, version: 1, kind: 'runbook', url: `/runbooks/${RB}` },
        deployment_id: 'dep_rb-1',
        site_id: 'site_rb',
        customer_id: 'cus_rb',
        state: 'in_progress',
        started_by: 'alice',
      });
      expect(e.gates.map((g) => [g.id, g.sign_off, g.status])).toEqual([
        ['g1-prepare', 'lead', 'open'],
        ['g2-bench', null, 'locked'],
        ['g3-wrap-up', null, 'locked'],
      ]);
      expect(e.gates[1]!.items.find((i) => i.id === 'psu-voltage')).toMatchObject({
        evidence: 'value',
        expect: { min: 11.5, max: 12.5, unit: 'V' },
        checked: false,
        version: 0,
      });
      expect(e.progress).toEqual({ checked: 0, total: 11 });
      const audit = await t.ctx.db.selectFrom('audit_log').selectAll().where('entity_id', '=', e.id).execute();
      expect(audit.map((a) => [a.actor, a.action, a.entity, a.customer_id])).toEqual([
        ['alice', 'start', 'runbook_execution', 'cus_rb'],
      ]);
      const ev = await t.ctx.db.selectFrom('change_events').selectAll().where('subject_id', '=', e.id).execute();
      expect(ev.map((x) => [x.type, x.subject_type, x.customer_id, x.site_id])).toEqual([
        ['execution.started', 'execution', 'cus_rb', 'site_rb'],
      ]);
    });

    it('refuses unknown runbooks and deployments (404), viewers (403), a bad body (400)', async () => {
      expect(
        (await alice.post('/runbook-executions', { runbook_id: 'rb-nope', deployment_id: 'dep_rb-1' })).statusCode,
      ).toBe(404);
      expect((await alice.post('/runbook-executions', { runbook_id: RB, deployment_id: 'dep_nope' })).statusCode).toBe(
        404,
      );
      expect((await viewer.post('/runbook-executions', { runbook_id: RB, deployment_id: 'dep_rb-1' })).statusCode).toBe(
        403,
      );
      const bad = await alice.post('/runbook-executions', { runbook_id: RB, deployment_id: 'dep_rb-1', extra: 1 });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().issues).toEqual([{ path: 'body.extra', message: 'unknown field "extra"' }]);
    });

    it('refuses a runbook for another product, and one whose `requires` is not done for the deployment (409)', async () => {
      const wrong = await alice.post('/runbook-executions', {
        runbook_id: 'rb-lorawan-gateway-install',
        deployment_id: 'dep_rb-pump',
      });
      expect(wrong.statusCode).toBe(409);
      expect(wrong.json().message).toContain('is for product lorawan-gw');
      const req = await alice.post('/runbook-executions', {
        runbook_id: 'rb-lorawan-gateway-install',
        deployment_id: 'dep_rb-2',
      });
      expect(req.statusCode).toBe(409);
      expect(req.json().message).toContain('requires rb-site-survey done for deployment dep_rb-2');
    });

    it('a tenant-scoped operator cannot start on, see or touch another customer’s executions', async () => {
      const e = await start();
      expect((await other.post('/runbook-executions', { runbook_id: RB, deployment_id: 'dep_rb-1' })).statusCode).toBe(
        404,
      );
      expect((await other.get(`/runbook-executions/${e.id}`)).statusCode).toBe(404);
      expect((await act(other, e.id, 'ppe', 'tick')).statusCode).toBe(404);
      const mine = await must(other.post('/runbook-executions', { runbook_id: RB, deployment_id: 'dep_rb-other' }));
      const list = (await must(other.get('/runbook-executions'), 200)).items.map((x: { id: string }) => x.id);
      expect(list).toEqual([mine.id]);
    });
  });

  describe('ticks and gate order', () => {
    it('tick and untick record who and when and bump the item version', async () => {
      const e = await start();
      const r: ItemActionResult = await must(
        act(alice, e.id, 'ppe', 'tick', { client_at: '2026-01-02T03:04:05.000Z' }),
        200,
      );
      expect(r.item).toMatchObject({
        id: 'ppe',
        gate_id: 'g1-prepare',
        checked: true,
        by: 'alice',
        version: 1,
        client_at: '2026-01-02T03:04:05.000Z',
      });
      expect(Date.now() - Date.parse(r.item.at!)).toBeLessThan(60_000);
      expect(r.execution.progress).toEqual({ checked: 1, total: 11 });
      const u: ItemActionResult = await must(act(bob, e.id, 'ppe', 'untick'), 200);
      expect(u.item).toMatchObject({ checked: false, by: 'bob', version: 2 });
      expect(u.execution.version).toBe(2);
    });

    it('refuses items of a gate after an unsigned sign_off gate (409), writing nothing', async () => {
      const e = await start();
      const before = await counts();
      const res = await act(alice, e.id, 'unbox', 'tick');
      expect(res.statusCode).toBe(409);
      expect(res.json()).toMatchObject({
        error: 'conflict',
        message: expect.stringContaining('gate g1-prepare (Prepare at the desk) awaits sign-off by a lead'),
      });
      expect((await act(alice, e.id, 'psu-voltage', 'value', { value: 12 })).statusCode).toBe(409);
      expect((await upload(tok.alice, e.id, 'label-photo', png(), 'label.png')).status).toBe(409);
      expect(await counts()).toEqual(before);
    });

    it('unknown items and gates are 404; a malformed item id is 400', async () => {
      const e = await start();
      const res = await act(alice, e.id, 'no-such-item', 'tick');
      expect(res.statusCode).toBe(404);
      expect(res.json().message).toContain(`checklist item no-such-item is not in runbook ${RB} version 1`);
      expect((await alice.post(`/runbook-executions/${e.id}/gates/g9/sign-off`, {})).statusCode).toBe(404);
      expect((await act(alice, 'run_nope', 'ppe', 'tick')).statusCode).toBe(404);
      expect((await act(alice, e.id, 'bad id!', 'tick')).statusCode).toBe(400);
    });

    it('a note item needs a note to be ticked', async () => {
      const e = await start();
      const res = await act(alice, e.id, 'site-notes', 'tick');
      expect(res.statusCode).toBe(409);
      expect(res.json().message).toContain('needs a note');
      const ok: ItemActionResult = await must(act(alice, e.id, 'site-notes', 'tick', { note: '10.20.0.0/24' }), 200);
      expect(ok.item).toMatchObject({ checked: true, note: '10.20.0.0/24' });
    });
  });

  describe('sign-off', () => {
    it('only a lead (an admin, or an operator listed as lead) signs off; the execution is blocked until then', async () => {
      const e = await start();
      expect((await lena.post(`/runbook-executions/${e.id}/gates/g1-prepare/sign-off`, {})).statusCode).toBe(409); // items open
      await finishPrepare(e.id);
      const blocked: Execution = await must(alice.get(`/runbook-executions/${e.id}`), 200);
      expect(blocked.state).toBe('blocked');
      expect(blocked.gates[0]!.status).toBe('awaiting_sign_off');
      const types = (
        await t.ctx.db.selectFrom('change_events').select('type').where('subject_id', '=', e.id).orderBy('id').execute()
      ).map((r) => r.type);
      expect(types).toContain('execution.blocked');

      const byOperator = await alice.post(`/runbook-executions/${e.id}/gates/g1-prepare/sign-off`, {});
      expect(byOperator.statusCode).toBe(403);
      expect(byOperator.json().message).toContain('needs sign-off by a lead: alice (role operator) is not one');
      expect((await viewer.post(`/runbook-executions/${e.id}/gates/g1-prepare/sign-off`, {})).statusCode).toBe(403);
      expect((await alice.post(`/runbook-executions/${e.id}/gates/g2-bench/sign-off`, {})).statusCode).toBe(409); // needs no sign-off

      const signed: Execution = await must(
        lena.post(`/runbook-executions/${e.id}/gates/g1-prepare/sign-off`, { note: 'prep looks good' }),
        200,
      );
      expect(signed.state).toBe('in_progress');
      expect(signed.gates[0]).toMatchObject({
        status: 'complete',
        signed_off: { by: 'lena', role: 'lead', note: 'prep looks good' },
      });
      expect(signed.gates[1]!.status).toBe('open');
      expect((await lena.post(`/runbook-executions/${e.id}/gates/g1-prepare/sign-off`, {})).statusCode).toBe(409); // twice
      // Signed-off items are final (a note may still be added).
      expect((await act(alice, e.id, 'ppe', 'untick')).statusCode).toBe(409);
      expect((await act(alice, e.id, 'ppe', 'note', { note: 'late remark' })).statusCode).toBe(200);
      await must(act(alice, e.id, 'unbox', 'tick'), 200);

      const whoami = await must(lena.get('/runbook-leads/me'), 200);
      expect(whoami).toMatchObject({ name: 'lena', role: 'operator', lead: true });
      expect((await must(alice.get('/runbook-leads/me'), 200)).lead).toBe(false);
      expect((await alice.put('/runbook-leads/alice', undefined)).statusCode).toBe(403);
    });

    it('an admin may sign off a lead gate', async () => {
      const e = await start();
      await finishPrepare(e.id);
      const signed: Execution = await must(
        admin.post(`/runbook-executions/${e.id}/gates/g1-prepare/sign-off`, {}),
        200,
      );
      expect(signed.gates[0]!.signed_off).toMatchObject({ by: 'root', role: 'lead' });
    });
  });

  describe('values', () => {
    it('a value outside expect without a note is refused (400, nothing stored); with a note it is stored flagged', async () => {
      const e = await start();
      await finishPrepare(e.id);
      await must(lena.post(`/runbook-executions/${e.id}/gates/g1-prepare/sign-off`, {}), 200);
      const before = await counts();
      const refused = await act(alice, e.id, 'psu-voltage', 'value', { value: 13.1 });
      expect(refused.statusCode).toBe(400);
      expect(refused.json()).toMatchObject({
        error: 'validation',
        issues: [
          { path: 'body.note', message: expect.stringContaining('value 13.1 V is outside the expected 11.5–12.5 V') },
        ],
      });
      expect(await counts()).toEqual(before);

      const flagged: ItemActionResult = await must(
        act(alice, e.id, 'psu-voltage', 'value', { value: 13.1, note: 'bench PSU, not the field unit' }),
        200,
      );
      expect(flagged.item).toMatchObject({
        value: 13.1,
        flagged: true,
        checked: true,
        note: 'bench PSU, not the field unit',
      });
      const ok: ItemActionResult = await must(act(alice, e.id, 'psu-voltage', 'value', { value: 12.1 }), 200);
      expect(ok.item).toMatchObject({ value: 12.1, flagged: false, checked: true });
      const edge: ItemActionResult = await must(act(alice, e.id, 'psu-voltage', 'value', { value: 11.5 }), 200);
      expect(edge.item.flagged).toBe(false);

      const wrongItem = await act(alice, e.id, 'unbox', 'value', { value: 1 });
      expect(wrongItem.statusCode).toBe(400);
      expect(wrongItem.json().issues[0].path).toBe('body.value');
      expect((await act(alice, e.id, 'psu-voltage', 'value', { value: 'twelve' })).statusCode).toBe(400);
    });
  });

  describe('conflicts and retries', () => {
    it('a stale if_version is 409 with the current item (changed by whom, when)', async () => {
      const e = await start();
      const first: ItemActionResult = await must(act(alice, e.id, 'ppe', 'tick', { if_version: 0 }), 200);
      const stale = await act(bob, e.id, 'ppe', 'untick', { if_version: 0 });
      expect(stale.statusCode).toBe(409);
      const body = stale.json();
      expect(body.message).toContain('item ppe was changed by alice');
      expect(body.current).toMatchObject({ id: 'ppe', checked: true, by: 'alice', version: 1, at: first.item.at });
      await must(act(bob, e.id, 'ppe', 'untick', { if_version: 1 }), 200);
    });

    it('the same action_id applies once (an offline queue may resend)', async () => {
      const e = await start();
      const a: ItemActionResult = await must(act(alice, e.id, 'ppe', 'tick', { action_id: 'act-0001-abcd' }), 200);
      await must(act(alice, e.id, 'ppe', 'untick'), 200);
      const again: ItemActionResult = await must(act(alice, e.id, 'ppe', 'tick', { action_id: 'act-0001-abcd' }), 200);
      expect(a.duplicate).toBe(false);
      expect(again.duplicate).toBe(true);
      expect(again.item.checked).toBe(false);
      const rows = await t.ctx.db
        .selectFrom('runbook_execution_events')
        .select('action')
        .where('execution_id', '=', e.id)
        .orderBy('id')
        .execute();
      expect(rows.map((r) => r.action)).toEqual(['start', 'tick', 'untick']);
    });
  });

  describe('evidence', () => {
    let e: Execution;
    beforeAll(async () => {
      e = await start('dep_rb-3');
      await finishPrepare(e.id);
      await must(lena.post(`/runbook-executions/${e.id}/gates/g1-prepare/sign-off`, {}), 200);
    });

    it('stores a photo under its sha-256 in the blob folder and serves it back with auth and its content type', async () => {
      const bytes = png();
      const sha = createHash('sha256').update(bytes).digest('hex');
      // The declared type lies (text/plain): the bytes decide.
      const res = await upload(tok.alice, e.id, 'label-photo', bytes, 'IMG_0001.PNG', 'photo', 'text/plain');
      expect(res.status).toBe(201);
      expect(res.body.evidence).toMatchObject({
        kind: 'photo',
        sha256: sha,
        size: bytes.length,
        content_type: 'image/png',
        filename: 'IMG_0001.PNG',
        by: 'alice',
        item_id: 'label-photo',
      });
      expect(res.body.item.evidence_items).toHaveLength(1);
      expect(fs.readFileSync(path.join(blobDir, sha.slice(0, 2), sha))).toEqual(bytes);

      const url = `${base}${res.body.evidence.url}`;
      expect((await fetch(url)).status).toBe(401);
      const got = await fetch(url, { headers: { authorization: `Bearer ${tok.viewer}` } });
      expect(got.status).toBe(200);
      expect(got.headers.get('content-type')).toBe('image/png');
      expect(got.headers.get('x-content-type-options')).toBe('nosniff');
      expect(Buffer.from(await got.arrayBuffer())).toEqual(bytes);
      expect((await fetch(url, { headers: { authorization: `Bearer ${tok.other}` } })).status).toBe(404);
      // The photo item can now be ticked.
      await must(act(alice, e.id, 'label-photo', 'tick'), 200);
    });

    it('refuses a photo item tick without a photo, a non-image as photo (415) and files off the allow-list (415)', async () => {
      const before = await counts();
      const txt = await upload(
        tok.alice,
        e.id,
        'label-photo',
        Buffer.from('not an image at all, just text'),
        'fake.jpg',
        'photo',
        'image/jpeg',
      );
      expect(txt.status).toBe(415);
      expect(txt.body).toMatchObject({
        error: 'unsupported_media_type',
        message: expect.stringContaining('is not a JPEG, PNG, WebP or HEIC photo'),
      });
      const exe = await upload(
        tok.alice,
        e.id,
        'unbox',
        Buffer.concat([Buffer.from('MZ'), Buffer.alloc(200, 1)]),
        'tool.exe',
        'file',
      );
      expect(exe.status).toBe(415);
      const html = await upload(
        tok.alice,
        e.id,
        'unbox',
        Buffer.from('<!DOCTYPE html><script>alert(1)</script>'),
        'notes.txt',
        'file',
      );
      expect(html.status).toBe(415);
      expect(await counts()).toEqual(before);
      const csv = await upload(tok.alice, e.id, 'unbox', Buffer.from('point,rssi\nA,-97\n'), 'walk.csv', 'file');
      expect(csv.status).toBe(201);
      expect(csv.body.evidence.content_type).toBe('text/csv; charset=utf-8');
      // A JPEG by its bytes (SOI, then a frame header giving 2 × 2 pixels), whatever its name.
      const sof = Buffer.from([0xff, 0xc0, 0x00, 0x11, 8, 0, 2, 0, 2, 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
      const jpeg = await upload(
        tok.alice,
        e.id,
        'cable',
        Buffer.concat([Buffer.from([0xff, 0xd8]), sof, Buffer.from([0xff, 0xd9])]),
        'x.bin',
        'photo',
      );
      expect(jpeg.body.evidence.content_type).toBe('image/jpeg');
    });

    it('refuses evidence above 10 MB (413) and keeps nothing of it', async () => {
      const before = await counts();
      const big = Buffer.alloc(10 * 1024 * 1024 + 1, 0);
      big.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
      const res = await upload(tok.alice, e.id, 'label-photo', big, 'huge.png');
      expect(res.status).toBe(413);
      expect(res.body.error).toBe('payload_too_large');
      expect(await counts()).toEqual(before);
      const tmp = path.join(blobDir, 'tmp');
      expect(fs.existsSync(tmp) ? fs.readdirSync(tmp) : []).toEqual([]);
    });

    it('a link is evidence too; non-http links are refused', async () => {
      const r: ItemActionResult = await must(
        act(alice, e.id, 'led', 'link', { url: 'https://cs.farm-north.example/gateways/0016c001ff10a2b3' }),
        200,
      );
      expect(r.item.evidence_items.at(-1)).toMatchObject({
        kind: 'link',
        url: 'https://cs.farm-north.example/gateways/0016c001ff10a2b3',
      });
      expect((await act(alice, e.id, 'led', 'link', { url: 'javascript:alert(1)' })).statusCode).toBe(400);
    });
  });

  describe('finish and abandon', () => {
    it('cannot finish with open gates; finishes when complete; then every change is 409', async () => {
      const e = await start('dep_rb-2');
      const early = await alice.post(`/runbook-executions/${e.id}/finish`, {});
      expect(early.statusCode).toBe(409);
      expect(early.json().message).toContain('cannot finish yet');
      await finishPrepare(e.id);
      await must(lena.post(`/runbook-executions/${e.id}/gates/g1-prepare/sign-off`, {}), 200);
      await upload(tok.alice, e.id, 'label-photo', png(), 'label.png');
      for (const item of ['unbox', 'label-photo', 'cable', 'led', 'lid', 'tidy'])
        await must(act(alice, e.id, item, 'tick'), 200);
      await must(act(alice, e.id, 'psu-voltage', 'value', { value: 12 }), 200);
      await must(act(alice, e.id, 'surprise', 'tick', { note: 'How fast the other screen updated' }), 200);
      const done: Execution = await must(alice.post(`/runbook-executions/${e.id}/finish`, {}), 200);
      expect(done).toMatchObject({
        state: 'done',
        finished_by: 'alice',
        progress: { checked: 11, total: 11 },
        current_gate: null,
      });

      const before = await counts();
      for (const [verb, body] of [
        ['tick', {}],
        ['untick', {}],
        ['value', { value: 12 }],
        ['note', { note: 'x' }],
      ] as const) {
        const res = await act(alice, e.id, verb === 'value' ? 'psu-voltage' : 'tidy', verb, body);
        expect(res.statusCode).toBe(409);
        expect(res.json().message).toContain(`execution ${e.id} is done`);
      }
      expect((await upload(tok.alice, e.id, 'tidy', png(), 'late.png')).status).toBe(409);
      expect((await alice.post(`/runbook-executions/${e.id}/finish`, {})).statusCode).toBe(409);
      expect((await alice.post(`/runbook-executions/${e.id}/abandon`, { reason: 'x' })).statusCode).toBe(409);
      expect(await counts()).toEqual(before);

      const list = await must(viewer.get(`/runbook-executions?deployment_id=dep_rb-2&state=done`), 200);
      expect(list.items.map((x: { id: string }) => x.id)).toEqual([e.id]);
    });

    it('abandon needs a reason; an abandoned execution takes no ticks', async () => {
      const e = await start('dep_rb-2');
      expect((await alice.post(`/runbook-executions/${e.id}/abandon`, {})).statusCode).toBe(400);
      const ab: Execution = await must(
        alice.post(`/runbook-executions/${e.id}/abandon`, { reason: 'storm, no access to the roof' }),
        200,
      );
      expect(ab).toMatchObject({ state: 'abandoned', abandon_reason: 'storm, no access to the roof' });
      expect((await act(alice, e.id, 'ppe', 'tick')).statusCode).toBe(409);
    });
  });

  describe('lists, activity, audit and the change feed', () => {
    it('lists per deployment, runbook and state, newest first, with keyset pages', async () => {
      const ids = [];
      for (let i = 0; i < 3; i++) ids.push((await start('dep_rb-3')).id);
      const all = await must(viewer.get('/runbook-executions?deployment_id=dep_rb-3&limit=2'), 200);
      expect(all.items).toHaveLength(2);
      expect(all.items[0].id > all.items[1].id).toBe(true);
      const next = await must(
        viewer.get(`/runbook-executions?deployment_id=dep_rb-3&limit=2&cursor=${encodeURIComponent(all.next_cursor)}`),
        200,
      );
      const seen = [...all.items, ...next.items].map((x: { id: string }) => x.id);
      for (const id of ids) expect(seen).toContain(id);
      const open = await must(
        viewer.get(`/runbook-executions?runbook_id=${RB}&state=in_progress,blocked&limit=500`),
        200,
      );
      expect(
        open.items.every(
          (x: { state: string; runbook: { id: string } }) =>
            ['in_progress', 'blocked'].includes(x.state) && x.runbook.id === RB,
        ),
      ).toBe(true);
      expect((await viewer.get('/runbook-executions?state=running')).statusCode).toBe(400);
    });

    it('every action leaves an audit entry, an activity row and an execution.* change event, in order', async () => {
      const e = await start('dep_rb-1', RB, bob);
      await finishPrepare(e.id, bob);
      await must(act(bob, e.id, 'ppe', 'note', { note: 'boots only' }), 200);
      await must(lena.post(`/runbook-executions/${e.id}/gates/g1-prepare/sign-off`, {}), 200);
      await must(act(bob, e.id, 'psu-voltage', 'value', { value: 12.4 }), 200);
      const audit = await t.ctx.db
        .selectFrom('audit_log')
        .select(['actor', 'action'])
        .where('entity_id', '=', e.id)
        .orderBy('id')
        .execute();
      expect(audit.map((a) => `${a.actor}:${a.action}`)).toEqual([
        'bob:start',
        'bob:tick',
        'bob:tick',
        'bob:tick',
        'bob:note',
        'lena:sign_off',
        'bob:value',
      ]);
      const events = await t.ctx.db
        .selectFrom('change_events')
        .select(['type', 'customer_id', 'site_id', 'payload'])
        .where('subject_id', '=', e.id)
        .orderBy('id')
        .execute();
      expect(events.map((x) => x.type)).toEqual([
        'execution.started',
        'execution.item_ticked',
        'execution.item_ticked',
        'execution.item_ticked',
        'execution.blocked',
        'execution.note_added',
        'execution.gate_signed_off',
        'execution.value_recorded',
      ]);
      expect(events.every((x) => x.customer_id === 'cus_rb' && x.site_id === 'site_rb')).toBe(true);
      expect(events.at(-1)!.payload).toMatchObject({
        execution_id: e.id,
        deployment_id: 'dep_rb-1',
        by: 'bob',
        item: { id: 'psu-voltage', value: 12.4 },
      });
      const activity = await must(viewer.get(`/runbook-executions/${e.id}/activity`), 200);
      expect(
        activity.items.map((a: { action: string; item_id: string | null }) => `${a.action}:${a.item_id ?? a.action}`),
      ).toEqual([
        'start:start',
        'tick:deployment-page',
        'tick:site-notes',
        'tick:ppe',
        'note:ppe',
        'sign_off:sign_off',
        'value:psu-voltage',
      ]);
    });

    it('ticks reach SSE clients as `event: change` (execution.*), filtered by topic and tenant', async () => {
      const e = await start('dep_rb-1');
      const sub = await openSse(`${base}/api/v1/stream?topics=execution:${e.id}`, {
        authorization: `Bearer ${tok.viewer}`,
      });
      const scoped = await openSse(`${base}/api/v1/stream?topics=execution`, { authorization: `Bearer ${tok.other}` });
      await expect.poll(() => sub.of('ready').length).toBe(1);
      await expect.poll(() => scoped.of('ready').length).toBe(1);
      await must(act(alice, e.id, 'ppe', 'tick'), 200);
      await expect.poll(() => sub.of('change').length).toBe(1);
      const msg = JSON.parse(sub.of('change')[0]!.data);
      expect(msg).toMatchObject({
        type: 'execution.item_ticked',
        subject: { type: 'execution', id: e.id },
        site_id: 'site_rb',
        payload: { item: { id: 'ppe', checked: true, by: 'alice' } },
      });
      // The other tenant's stream heard nothing of it.
      await new Promise((r) => setTimeout(r, 200));
      expect(scoped.of('change')).toEqual([]);
      await sub.close();
      await scoped.close();
    });

    it('the OpenAPI document describes the execution routes', async () => {
      const doc = (await admin.get('/openapi.json')).json();
      for (const p of [
        '/api/v1/runbook-executions',
        '/api/v1/runbook-executions/{id}/items/{item_id}/tick',
        '/api/v1/runbook-executions/{id}/items/{item_id}/evidence',
        '/api/v1/runbook-executions/{id}/gates/{gate_id}/sign-off',
        '/api/v1/tutorial-progress/{track}/steps/{step}',
      ]) {
        expect(Object.keys(doc.paths)).toContain(p);
      }
    });
  });
});
