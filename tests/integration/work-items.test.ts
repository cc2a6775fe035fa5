import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allows, type AuthRequirement } from '../../data-api/src/kernel/auth/roles.ts';
import type { WorkItem, WorkItemDetail } from '../../data-api/src/contracts/work-items.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { bearer, client, must, type Client } from '../helpers/registry.ts';
import { openSse } from '../helpers/sse.ts';

// domain.md "work item": id wi_, kind ticket|task, title, state open|in_progress|blocked|done|
// cancelled, owner, due, priority, links (customer, site, deployment, device, alert, runbook
// execution, automation run), comments, attachments (evidence). contracts.md: every write leaves
// an audit entry and a change event; bad input is a 400 naming the field and writes nothing; a
// customer-scoped token sees and changes only its customer's data, the stream included.
// PGlite + aedes by default; PostgreSQL + Mosquitto with TEST_DATABASE_URL / TEST_MQTT_URL.

const TABLES = ['work_items', 'work_item_comments', 'work_item_attachments', 'audit_log', 'change_events'] as const;
const RB = 'rb-practice-first-execution';

let t: TestApp;
let base: string;
let blobDir: string;
const tok: Record<string, string> = {};
let admin: Client, operator: Client, automation: Client, viewer: Client, opA: Client, viewA: Client, opB: Client;

async function counts(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const table of TABLES)
    out[table] = (
      await sql<{ n: number }>`select count(*)::int as n from ${sql.table(table)}`.execute(t.ctx.db)
    ).rows[0]!.n;
  return out;
}

const upload = async (token: string, id: string, bytes: Buffer, filename: string, kind: 'photo' | 'file' = 'file') => {
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(bytes)], { type: 'application/octet-stream' }), filename);
  const res = await fetch(`${base}/api/v1/work-items/${id}/attachments?kind=${kind}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
    body: form,
  });
  return { status: res.status, body: await res.json() };
};

beforeAll(async () => {
  blobDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fb-wi-blobs-'));
  t = await createTestApp({ blobDir });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  const db = t.ctx.db;
  for (const role of ['admin', 'operator', 'automation', 'viewer'] as const)
    tok[role] = await bearer(db, role, null, `${role}-person`);
  admin = client(t.app, tok.admin!);
  operator = client(t.app, tok.operator!);
  automation = client(t.app, tok.automation!);
  viewer = client(t.app, tok.viewer!);
  for (const c of ['a', 'b']) {
    await must(admin.post('/customers', { id: `cus_wi-${c}`, name: `Customer ${c}` }));
    await must(admin.post('/sites', { id: `site_wi-${c}`, customer_id: `cus_wi-${c}`, name: `Site ${c}` }));
    await must(admin.post('/sites', { id: `site_wi-${c}2`, customer_id: `cus_wi-${c}`, name: `Second site ${c}` }));
    await must(
      admin.post('/deployments', {
        id: `dep_wi-${c}`,
        site_id: `site_wi-${c}`,
        product_code: 'lorawan-gw',
        product_version: '2.1.0',
        state: 'installing',
      }),
    );
    await must(
      admin.post('/deployments', {
        id: `dep_wi-${c}2`,
        site_id: `site_wi-${c}2`,
        product_code: 'lorawan-gw',
        product_version: '2.1.0',
      }),
    );
    await must(
      admin.post('/devices', {
        id: `gw_wi-${c}`,
        deployment_id: `dep_wi-${c}`,
        site_id: `site_wi-${c}`,
        product_code: 'lorawan-gw',
        role: 'gateway',
      }),
    );
  }
  tok.opA = await bearer(db, 'operator', 'cus_wi-a', 'ana');
  tok.viewA = await bearer(db, 'viewer', 'cus_wi-a', 'vic');
  tok.opB = await bearer(db, 'operator', 'cus_wi-b', 'bo');
  tok.adminA = await bearer(db, 'admin', 'cus_wi-a', 'admin-a');
  opA = client(t.app, tok.opA);
  viewA = client(t.app, tok.viewA);
  opB = client(t.app, tok.opB);
});

afterAll(async () => {
  await t?.close();
  if (blobDir) fs.rmSync(blobDir, { recursive: true, force: true });
});

describe('work items: create, read, change, comment, attach, delete', () => {
  it('creates a task with defaults and completes its links from the narrowest one (a device)', async () => {
    const item: WorkItem = await must(
      operator.post('/work-items', { title: 'Replace the gateway antenna', links: { device_id: 'gw_wi-a' } }),
    );
    expect(item).toMatchObject({
      id: expect.stringMatching(/^wi_[0-9a-z]{26}$/),
      kind: 'task',
      title: 'Replace the gateway antenna',
      state: 'open',
      priority: 'normal',
      origin: 'manual',
      owner: null,
      due: null,
      closed_at: null,
      version: 1,
      created_by: 'operator-person',
      comment_count: 0,
      attachment_count: 0,
      links: {
        device_id: 'gw_wi-a',
        deployment_id: 'dep_wi-a',
        site_id: 'site_wi-a',
        customer_id: 'cus_wi-a',
        alert_id: null,
        runbook_execution_id: null,
        runbook_item_id: null,
        automation_run_id: null,
      },
    });
    const got: WorkItemDetail = await must(viewer.get(`/work-items/${item.id}`), 200);
    expect(got).toEqual({ ...item, comments: [], attachments: [] });
  });

  it('takes every field, a chosen id, and answers 409 when the id is taken', async () => {
    const body = {
      id: 'wi_fw-rollout',
      kind: 'ticket',
      title: 'Roll out 1.4.3',
      description: 'after the soak',
      state: 'blocked',
      owner: 'lena',
      due: '2026-03-31',
      priority: 'urgent',
      links: { site_id: 'site_wi-b' },
      external_ref: { system: 'jira', key: 'OPS-12', url: 'https://jira.example.com/browse/OPS-12' },
    };
    const item: WorkItem = await must(automation.post('/work-items', body));
    expect(item).toMatchObject({
      ...body,
      links: { site_id: 'site_wi-b', customer_id: 'cus_wi-b', deployment_id: null },
      created_by: 'automation-person',
    });
    const again = await automation.post('/work-items', body);
    expect(again.statusCode).toBe(409);
    expect(again.json()).toEqual({ error: 'conflict', message: 'work item wi_fw-rollout already exists' });
  });

  it('moves through states: done sets closed_at, a reopen clears it; every change bumps the version; a stale if_version is 409', async () => {
    const item: WorkItem = await must(
      opA.post('/work-items', { title: 'Survey block C', links: { deployment_id: 'dep_wi-a' } }),
    );
    const started: WorkItem = await must(
      opA.patch(`/work-items/${item.id}`, { state: 'in_progress', owner: 'ana', if_version: 1 }),
      200,
    );
    expect(started).toMatchObject({ state: 'in_progress', owner: 'ana', version: 2, closed_at: null });
    const done: WorkItem = await must(opA.patch(`/work-items/${item.id}`, { state: 'done' }), 200);
    expect(done.closed_at).toEqual(expect.any(String));
    expect(Date.parse(done.closed_at!)).toBeGreaterThanOrEqual(Date.parse(started.updated_at));
    const cancelled: WorkItem = await must(opA.patch(`/work-items/${item.id}`, { state: 'cancelled' }), 200);
    expect(cancelled.closed_at).toBe(done.closed_at); // closed once, still closed
    const reopened: WorkItem = await must(opA.patch(`/work-items/${item.id}`, { state: 'open' }), 200);
    expect(reopened).toMatchObject({ state: 'open', closed_at: null, version: 5 });
    const before = await counts();
    const stale = await opA.patch(`/work-items/${item.id}`, { state: 'done', if_version: 2 });
    expect(stale.statusCode).toBe(409);
    expect(stale.json().message).toContain(`work item ${item.id} is at version 5, not 2`);
    expect(await counts()).toEqual(before);
  });

  it('links named in a change win, older links that no longer fit are dropped; links that disagree are refused with 409', async () => {
    const item: WorkItem = await must(
      operator.post('/work-items', { title: 'Check the mast', links: { device_id: 'gw_wi-a' } }),
    );
    const moved: WorkItem = await must(
      operator.patch(`/work-items/${item.id}`, { links: { deployment_id: 'dep_wi-a2' } }),
      200,
    );
    expect(moved.links).toMatchObject({
      deployment_id: 'dep_wi-a2',
      site_id: 'site_wi-a2',
      customer_id: 'cus_wi-a',
      device_id: null,
    });
    const before = await counts();
    const clash = await operator.post('/work-items', {
      title: 'x',
      links: { device_id: 'gw_wi-a', site_id: 'site_wi-a2' },
    });
    expect(clash.statusCode).toBe(409);
    expect(clash.json().message).toBe('links disagree: device gw_wi-a belongs to site site_wi-a, not site site_wi-a2');
    const tenants = await operator.post('/work-items', {
      title: 'x',
      links: { site_id: 'site_wi-a', deployment_id: 'dep_wi-b' },
    });
    expect(tenants.statusCode).toBe(409);
    expect(tenants.json().message).toContain('customer');
    const missing = await operator.post('/work-items', { title: 'x', links: { deployment_id: 'dep_nope' } });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({ error: 'not_found', message: 'deployment dep_nope not found' });
    const orphanItem = await operator.post('/work-items', { title: 'x', links: { runbook_item_id: 'ppe' } });
    expect(orphanItem.statusCode).toBe(400);
    expect(orphanItem.json().issues).toEqual([
      { path: 'body.links.runbook_item_id', message: 'a checklist item needs its runbook_execution_id' },
    ]);
    expect(await counts()).toEqual(before);
  });

  it('a runbook item raises one: origin runbook, linked to the execution, its item, deployment, site and customer', async () => {
    const exec = await must(operator.post('/runbook-executions', { runbook_id: RB, deployment_id: 'dep_wi-a' }));
    const item: WorkItem = await must(
      operator.post('/work-items', {
        kind: 'ticket',
        title: 'No hard hats on site',
        links: { runbook_execution_id: exec.id, runbook_item_id: 'ppe' },
      }),
    );
    expect(item).toMatchObject({
      origin: 'runbook',
      kind: 'ticket',
      links: {
        runbook_execution_id: exec.id,
        runbook_item_id: 'ppe',
        deployment_id: 'dep_wi-a',
        site_id: 'site_wi-a',
        customer_id: 'cus_wi-a',
      },
    });
    const unknown = await operator.post('/work-items', {
      title: 'x',
      links: { runbook_execution_id: exec.id, runbook_item_id: 'no-such-item' },
    });
    expect(unknown.statusCode).toBe(404);
    const listed = await must(viewer.get(`/work-items?runbook_execution_id=${exec.id}`), 200);
    expect(listed.items.map((i: WorkItem) => i.id)).toEqual([item.id]);
  });

  it('comments (oldest first) and attachments (sniffed, stored by sha-256, served back) show on the item', async () => {
    const item: WorkItem = await must(
      operator.post('/work-items', { title: 'Document the cabinet', links: { site_id: 'site_wi-a' } }),
    );
    const c1 = await must(
      operator.post(`/work-items/${item.id}/comments`, { body: 'Cabinet key is with the farm manager' }),
    );
    const c2 = await must(automation.post(`/work-items/${item.id}/comments`, { body: 'Reminder sent' }));
    expect(c1).toMatchObject({ author: 'operator-person', body: 'Cabinet key is with the farm manager' });
    const log = Buffer.from('2026-01-10 12:00 link up\n2026-01-10 12:05 link down\n');
    const up = await upload(tok.operator!, item.id, log, 'modem.log');
    expect(up.status).toBe(201);
    const sha = (await import('node:crypto')).createHash('sha256').update(log).digest('hex');
    expect(up.body).toMatchObject({
      id: expect.stringMatching(/^evd_/),
      kind: 'file',
      filename: 'modem.log',
      content_type: 'text/plain; charset=utf-8',
      size: log.length,
      sha256: sha,
      added_by: 'operator-person',
    });
    expect(fs.readFileSync(path.join(blobDir, sha.slice(0, 2), sha))).toEqual(log);
    const bytes = await fetch(`${base}${up.body.url}`, { headers: { authorization: `Bearer ${tok.viewer}` } });
    expect(bytes.status).toBe(200);
    expect(bytes.headers.get('etag')).toBe(`"${sha}"`);
    expect(Buffer.from(await bytes.arrayBuffer())).toEqual(log);
    // A photo must be a photo by its bytes, whatever its name.
    const fake = await upload(tok.operator!, item.id, Buffer.from('not an image'), 'IMG_1.jpg', 'photo');
    expect(fake.status).toBe(415);
    const got: WorkItemDetail = await must(viewer.get(`/work-items/${item.id}`), 200);
    expect(got.comments.map((c) => c.id)).toEqual([c1.id, c2.id]);
    expect(got.attachments).toEqual([up.body]);
    expect(got).toMatchObject({ comment_count: 2, attachment_count: 1, version: 1 });
  });

  it('every write is audited and on the change feed (work_item.*, subject the item, its customer and site)', async () => {
    const item: WorkItem = await must(
      operator.post('/work-items', { title: 'Audit me', links: { deployment_id: 'dep_wi-b' } }),
    );
    await must(operator.patch(`/work-items/${item.id}`, { owner: 'bo' }), 200);
    await must(operator.post(`/work-items/${item.id}/comments`, { body: 'noted' }));
    const del = await admin.del(`/work-items/${item.id}`);
    expect(del.statusCode).toBe(204);
    expect((await viewer.get(`/work-items/${item.id}`)).statusCode).toBe(404);
    const audit = await t.ctx.db
      .selectFrom('audit_log')
      .select(['actor', 'action', 'customer_id'])
      .where('entity', '=', 'work_item')
      .where('entity_id', '=', item.id)
      .orderBy('id')
      .execute();
    expect(audit).toEqual([
      { actor: 'operator-person', action: 'create', customer_id: 'cus_wi-b' },
      { actor: 'operator-person', action: 'update', customer_id: 'cus_wi-b' },
      { actor: 'operator-person', action: 'comment', customer_id: 'cus_wi-b' },
      { actor: 'admin-person', action: 'delete', customer_id: 'cus_wi-b' },
    ]);
    const events = await t.ctx.db
      .selectFrom('change_events')
      .select(['type', 'customer_id', 'site_id', 'payload'])
      .where('subject_type', '=', 'work_item')
      .where('subject_id', '=', item.id)
      .orderBy('id')
      .execute();
    expect(events.map((e) => [e.type, e.customer_id, e.site_id])).toEqual([
      ['work_item.created', 'cus_wi-b', 'site_wi-b'],
      ['work_item.updated', 'cus_wi-b', 'site_wi-b'],
      ['work_item.commented', 'cus_wi-b', 'site_wi-b'],
      ['work_item.deleted', 'cus_wi-b', 'site_wi-b'],
    ]);
    expect((events[1]!.payload as { work_item: WorkItem }).work_item).toMatchObject({
      id: item.id,
      owner: 'bo',
      version: 2,
    });
  });

  it('lists newest first with filters (state, owner=me, site, closed_since) and keyset pages', async () => {
    const mine: WorkItem[] = [];
    for (const title of ['one', 'two', 'three'])
      mine.push(await must(opB.post('/work-items', { title, owner: 'bo', links: { site_id: 'site_wi-b2' } })));
    await must(opB.patch(`/work-items/${mine[0]!.id}`, { state: 'done' }), 200);
    const page1 = await must(opB.get('/work-items?owner=me&site_id=site_wi-b2&limit=2'), 200);
    expect(page1.items.map((i: WorkItem) => i.title)).toEqual(['three', 'two']);
    const page2 = await must(
      opB.get(`/work-items?owner=me&site_id=site_wi-b2&limit=2&cursor=${page1.next_cursor}`),
      200,
    );
    expect(page2).toEqual({ items: [expect.objectContaining({ title: 'one', state: 'done' })], next_cursor: null });
    const active = await must(opB.get('/work-items?owner=me&state=open,in_progress,blocked'), 200);
    expect(active.items.map((i: WorkItem) => i.title)).toEqual(['three', 'two']);
    const future = new Date(Date.now() + 60_000).toISOString();
    const recent = await must(
      opB.get(`/work-items?site_id=site_wi-b2&closed_since=${encodeURIComponent(future)}`),
      200,
    );
    expect(recent.items.map((i: WorkItem) => i.title)).toEqual(['three', 'two']);
    expect((await must(viewer.get('/work-items?owner=me'), 200)).items).toEqual([]);
  });
});

describe('work items: bad input is a 400 naming the field, and writes nothing', () => {
  it.each([
    ['an unknown state', { title: 'x', state: 'closed' }, 'body.state'],
    ['an empty title', { title: '  ' }, 'body.title'],
    ['a bad due date', { title: 'x', due: '31/03/2026' }, 'body.due'],
    ['an unknown field', { title: 'x', assignee: 'lena' }, 'body.assignee'],
    ['a bad link id', { title: 'x', links: { site_id: 'farm-north' } }, 'body.links.site_id'],
    ['a bad priority', { title: 'x', priority: 'p1' }, 'body.priority'],
    [
      'a non-http tracker URL',
      { title: 'x', external_ref: { system: 'jira', url: 'javascript:alert(1)' } },
      'body.external_ref.url',
    ],
  ])('%s', async (_what, body, field) => {
    const before = await counts();
    const res = await operator.post('/work-items', body);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({
      error: 'validation',
      issues: expect.arrayContaining([expect.objectContaining({ path: field })]),
    });
    expect(await counts()).toEqual(before);
  });

  it('a bad list filter or a malformed id answers 400, never 500', async () => {
    const bad = await viewer.get('/work-items?state=open,closed');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().issues[0]).toMatchObject({
      path: 'querystring.state',
      message: expect.stringContaining('unknown state closed'),
    });
    expect((await viewer.get('/work-items/not-an-id')).statusCode).toBe(400);
    expect((await operator.patch('/work-items/wi_x', { if_version: 0 })).statusCode).toBe(400);
    expect((await operator.post('/work-items/wi_x/comments', { body: '' })).statusCode).toBe(400);
  });
});

describe("work items: tenancy (a scoped token never sees or changes another customer's items)", () => {
  let itemA: WorkItem, itemB: WorkItem, unlinked: WorkItem;
  beforeAll(async () => {
    itemA = await must(admin.post('/work-items', { title: 'A: fence', links: { site_id: 'site_wi-a' } }));
    itemB = await must(admin.post('/work-items', { title: 'B: pump', links: { site_id: 'site_wi-b' } }));
    unlinked = await must(admin.post('/work-items', { title: 'Fleet-wide: renew certificates' }));
  });

  it("lists and reads only its own customer; another customer's item (or an unlinked one) is a 404 like a missing one", async () => {
    const listed = await must(viewA.get('/work-items?limit=500'), 200);
    expect(listed.items.length).toBeGreaterThan(0);
    expect(listed.items.every((i: WorkItem) => i.links.customer_id === 'cus_wi-a')).toBe(true);
    expect(listed.items.map((i: WorkItem) => i.id)).toContain(itemA.id);
    expect((await must(viewA.get(`/work-items?customer_id=cus_wi-b`), 200)).items).toEqual([]);
    for (const id of [itemB.id, unlinked.id]) {
      const res = await viewA.get(`/work-items/${id}`);
      expect(res.statusCode).toBe(404);
      expect(res.json()).toEqual({ error: 'not_found', message: `work item ${id} not found` });
    }
    expect(unlinked.links.customer_id).toBeNull();
    expect((await must(viewer.get(`/work-items/${unlinked.id}`), 200)).id).toBe(unlinked.id);
  });

  it('changes nothing of another customer: patch, comment, attach, delete, link — all 404, nothing written', async () => {
    const before = await counts();
    expect((await opA.patch(`/work-items/${itemB.id}`, { state: 'done' })).statusCode).toBe(404);
    expect((await opA.post(`/work-items/${itemB.id}/comments`, { body: 'peek' })).statusCode).toBe(404);
    expect((await upload(tok.opA!, itemB.id, Buffer.from('x\n'), 'a.txt')).status).toBe(404);
    expect((await client(t.app, tok.adminA!).del(`/work-items/${itemB.id}`)).statusCode).toBe(404);
    const link = await opA.post('/work-items', { title: 'x', links: { deployment_id: 'dep_wi-b' } });
    expect(link.statusCode).toBe(404);
    expect(link.json().message).toBe('deployment dep_wi-b not found');
    expect((await opA.patch(`/work-items/${itemA.id}`, { links: { site_id: 'site_wi-b' } })).statusCode).toBe(404);
    expect(await counts()).toEqual(before);
    expect((await must(viewer.get(`/work-items/${itemB.id}`), 200)).state).toBe('open');
  });

  it('an item a scoped token creates without links belongs to its customer', async () => {
    const item: WorkItem = await must(opA.post('/work-items', { title: 'Order spare PSUs' }));
    expect(item.links.customer_id).toBe('cus_wi-a');
    expect((await opB.get(`/work-items/${item.id}`)).statusCode).toBe(404);
  });

  it("the stream carries another customer's work item events only to unscoped readers", async () => {
    const a = await openSse(`${base}/api/v1/stream?topics=work_item`, { authorization: `Bearer ${tok.viewA}` });
    const all = await openSse(`${base}/api/v1/stream?topics=work_item`, { authorization: `Bearer ${tok.viewer}` });
    try {
      await new Promise((r) => setTimeout(r, 300));
      const forB: WorkItem = await must(opB.post('/work-items', { title: 'B only', links: { site_id: 'site_wi-b' } }));
      const forA: WorkItem = await must(opA.post('/work-items', { title: 'A only', links: { site_id: 'site_wi-a' } }));
      const seen = (events: Array<{ event: string; data: string }>, id: string) =>
        events.some((e) => e.event === 'change' && JSON.parse(e.data).subject.id === id);
      for (
        let i = 0;
        i < 100 && !(seen(all.events, forA.id) && seen(all.events, forB.id) && seen(a.events, forA.id));
        i++
      )
        await new Promise((r) => setTimeout(r, 50));
      expect(seen(all.events, forB.id)).toBe(true);
      expect(seen(a.events, forA.id)).toBe(true);
      expect(seen(a.events, forB.id)).toBe(false);
    } finally {
      a.close();
      all.close();
    }
  });
});

describe('work items: roles × routes (table-driven over the OpenAPI document)', () => {
  const ROLES = ['viewer', 'operator', 'automation', 'admin'] as const;
  let ops: Array<{ method: string; path: string; description: string }> = [];

  beforeAll(async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json();
    ops = Object.entries<Record<string, any>>(doc.paths)
      .filter(([p]) => p.startsWith('/api/v1/work-items'))
      .flatMap(([p, item]) =>
        Object.entries<any>(item).map(([method, op]) => ({
          method: method.toUpperCase(),
          path: p,
          description: op.description ?? '',
        })),
      );
  });

  it('documents each route with the role it needs: viewers read, operators and automation write, admins delete', () => {
    const table = Object.fromEntries(
      ops.map((o) => [`${o.method} ${o.path}`, /Requires: (.+)\.$/.exec(o.description)?.[1]]),
    );
    const write = 'operator or automation (or admin)';
    expect(table).toEqual({
      'GET /api/v1/work-items': 'any role',
      'POST /api/v1/work-items': write,
      'GET /api/v1/work-items/{id}': 'any role',
      'PATCH /api/v1/work-items/{id}': write,
      'DELETE /api/v1/work-items/{id}': 'admin',
      'POST /api/v1/work-items/{id}/comments': write,
      'POST /api/v1/work-items/{id}/attachments': write,
      'GET /api/v1/work-items/{id}/attachments/{attachment_id}': 'any role',
    });
  });

  it('each role is refused (403, nothing written) where it may not go, and gets through where it may', async () => {
    const need: Record<string, AuthRequirement> = {
      GET: 'viewer',
      POST: 'operator_or_automation',
      PATCH: 'operator_or_automation',
      DELETE: 'admin',
    };
    let denied = 0;
    let passed = 0;
    for (const role of ROLES) {
      const target: WorkItem = await must(
        admin.post('/work-items', { title: `target for ${role}`, links: { site_id: 'site_wi-a' } }),
      );
      const att = await upload(tok.admin!, target.id, Buffer.from('ok\n'), 'a.txt');
      const calls: Array<[string, string, unknown]> = [
        ['GET', '/work-items', undefined],
        ['GET', `/work-items/${target.id}`, undefined],
        ['GET', `/work-items/${target.id}/attachments/${att.body.id}`, undefined],
        ['POST', '/work-items', { title: `by ${role}` }],
        ['PATCH', `/work-items/${target.id}`, { state: 'in_progress' }],
        ['POST', `/work-items/${target.id}/comments`, { body: `by ${role}` }],
        ['DELETE', `/work-items/${target.id}`, undefined],
      ];
      for (const [method, url, body] of calls) {
        const principal = { kind: 'token' as const, name: role, role, customerId: null, stationId: null };
        const allowed = allows(principal, need[method]!);
        const before = await counts();
        const res = await client(t.app, tok[role]!).call(method as 'GET', url, body);
        if (allowed) {
          expect(res.statusCode, `${role} ${method} ${url}: ${res.body}`).toBeLessThan(300);
          passed++;
        } else {
          expect(res.statusCode, `${role} ${method} ${url}`).toBe(403);
          expect(await counts()).toEqual(before);
          denied++;
        }
      }
      const file = await upload(
        tok[role]!,
        (await must(admin.post('/work-items', { title: 'upload target' }))).id,
        Buffer.from('x\n'),
        'b.txt',
      );
      expect(file.status, `${role} upload`).toBe(role === 'viewer' ? 403 : 201);
    }
    // viewer: 4 writes refused; operator and automation: delete refused.
    expect(denied).toBe(6);
    expect(passed).toBe(ROLES.length * 7 - 6);
  });

  it('no token: 401 on every work item route', async () => {
    for (const o of ops) {
      const url = o.path.replace('{id}', 'wi_x').replace('{attachment_id}', 'evd_x');
      const res = await t.app.inject({
        method: o.method as 'GET',
        url,
        ...(o.method === 'POST' || o.method === 'PATCH'
          ? { payload: '{}', headers: { 'content-type': 'application/json' } }
          : {}),
      });
      expect(res.statusCode, `${o.method} ${url}`).toBe(401);
    }
  });
});
