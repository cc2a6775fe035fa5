import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { bearer, client, must, snapshot, walk, type Client } from '../helpers/registry.ts';

// domain.md: every write through the API leaves an audit entry — who (token name), what
// (action, entity, id), before/after, at. Issue: GET /api/v1/audit filters.

interface Entry {
  id: number;
  at: string;
  actor: string;
  action: string;
  entity: string;
  entity_id: string;
  customer_id: string | null;
  before: any;
  after: any;
}

describe('audit log', () => {
  let t: TestApp;
  let admin: Client;
  let viewer: Client;
  let lastId = 0;

  /** Entries written since the previous call, oldest first. */
  async function fresh(): Promise<Entry[]> {
    const all = await walk<Entry>(viewer, '/audit', 500);
    const out = all.filter((e) => e.id > lastId).reverse();
    if (all.length) lastId = Math.max(lastId, ...all.map((e) => e.id));
    return out;
  }

  /** Runs one write and returns the single audit entry it left. */
  async function one(write: () => Promise<{ statusCode: number; body: string }>, status: number): Promise<Entry> {
    await fresh();
    const res = await write();
    expect(res.statusCode, res.body).toBe(status);
    const entries = await fresh();
    expect(entries, JSON.stringify(entries)).toHaveLength(1);
    const e = entries[0]!;
    expect(e.actor).toBe('audit-admin');
    expect(Number.isNaN(Date.parse(e.at))).toBe(false);
    return e;
  }

  beforeAll(async () => {
    t = await createTestApp();
    admin = client(t.app, await bearer(t.ctx.db, 'admin', null, 'audit-admin'));
    viewer = client(t.app, await bearer(t.ctx.db, 'viewer', null, 'audit-viewer'));
  });
  afterAll(async () => t?.close());

  it('records every registry write with who, action, entity, id, before and after', async () => {
    const cus = await one(() => admin.post('/customers', { id: 'cus_aud', name: 'Audit Co' }), 201);
    expect(cus).toMatchObject({
      action: 'create',
      entity: 'customer',
      entity_id: 'cus_aud',
      customer_id: 'cus_aud',
      before: null,
      after: { id: 'cus_aud', name: 'Audit Co' },
    });

    const ren = await one(() => admin.patch('/customers/cus_aud', { name: 'Audit Co Ltd' }), 200);
    expect(ren).toMatchObject({
      action: 'update',
      entity: 'customer',
      before: { name: 'Audit Co' },
      after: { name: 'Audit Co Ltd' },
    });

    const site = await one(
      () => admin.post('/sites', { id: 'site_aud', customer_id: 'cus_aud', name: 'Audit site' }),
      201,
    );
    expect(site).toMatchObject({
      action: 'create',
      entity: 'site',
      entity_id: 'site_aud',
      customer_id: 'cus_aud',
      after: { name: 'Audit site' },
    });
    const siteUpd = await one(() => admin.patch('/sites/site_aud', { timezone: 'Asia/Bangkok' }), 200);
    expect(siteUpd).toMatchObject({
      action: 'update',
      before: { timezone: 'UTC' },
      after: { timezone: 'Asia/Bangkok' },
    });

    const dep = await one(
      () =>
        admin.post('/deployments', {
          id: 'dep_aud',
          site_id: 'site_aud',
          product_code: 'lorawan-gw',
          product_version: '2.1.0',
        }),
      201,
    );
    expect(dep).toMatchObject({
      action: 'create',
      entity: 'deployment',
      entity_id: 'dep_aud',
      customer_id: 'cus_aud',
      after: { state: 'planned' },
    });
    const moved = await one(() => admin.patch('/deployments/dep_aud', { state: 'installing' }), 200);
    expect(moved).toMatchObject({
      action: 'state:installing',
      entity: 'deployment',
      before: { state: 'planned' },
      after: { state: 'installing' },
    });

    const dev = await one(
      () =>
        admin.post('/devices', { id: 'gw_aud', deployment_id: 'dep_aud', product_code: 'lorawan-gw', role: 'gateway' }),
      201,
    );
    expect(dev).toMatchObject({
      action: 'create',
      entity: 'device',
      entity_id: 'gw_aud',
      customer_id: 'cus_aud',
      after: { site_id: 'site_aud' },
    });
    const devUpd = await one(() => admin.patch('/devices/gw_aud', { name: 'Mast' }), 200);
    expect(devUpd).toMatchObject({ action: 'update', before: { name: null }, after: { name: 'Mast' } });
    const desired = await one(
      () => admin.put('/devices/gw_aud/desired-state', { desired_state: { channel_plan: 'AS923_1' } }),
      200,
    );
    expect(desired).toMatchObject({
      action: 'desired_state',
      entity: 'device',
      before: { desired_state: {}, desired_version: 0 },
      after: { desired_state: { channel_plan: 'AS923_1' }, desired_version: 1 },
    });

    const inv = await one(() => admin.post('/inventory', { id: 'inv_aud', sku: 'GW-OUT-8CH' }), 201);
    expect(inv).toMatchObject({ action: 'create', entity: 'inventory_item', entity_id: 'inv_aud', customer_id: null });
    const alloc = await one(
      () => admin.patch('/inventory/inv_aud', { state: 'allocated', deployment_id: 'dep_aud' }),
      200,
    );
    expect(alloc).toMatchObject({
      action: 'update',
      customer_id: 'cus_aud',
      before: { state: 'in_stock' },
      after: { state: 'allocated', deployment_id: 'dep_aud' },
    });

    const tok = await one(() => admin.post('/tokens', { name: 'aud-tok', role: 'viewer' }), 201);
    expect(tok).toMatchObject({ action: 'create', entity: 'token', after: { name: 'aud-tok', role: 'viewer' } });
    const revoke = await one(() => admin.del(`/tokens/${tok.entity_id}`), 204);
    expect(revoke).toMatchObject({ action: 'revoke', entity: 'token', entity_id: tok.entity_id });

    const delDev = await one(() => admin.del('/devices/gw_aud'), 204);
    expect(delDev).toMatchObject({
      action: 'delete',
      entity: 'device',
      entity_id: 'gw_aud',
      before: { id: 'gw_aud', name: 'Mast', desired_version: 1 },
      after: null,
    });

    // Deleting the deployment also releases the inventory allocated to it: two writes, two entries.
    await fresh();
    expect((await admin.del('/deployments/dep_aud')).statusCode).toBe(204);
    const depDel = await fresh();
    expect(depDel.map((e) => `${e.action} ${e.entity} ${e.entity_id}`).sort()).toEqual([
      'delete deployment dep_aud',
      'release inventory_item inv_aud',
    ]);
    expect(depDel.find((e) => e.entity === 'inventory_item')).toMatchObject({
      before: { state: 'allocated', deployment_id: 'dep_aud' },
      after: { state: 'in_stock', deployment_id: null },
    });

    const delInv = await one(() => admin.del('/inventory/inv_aud'), 204);
    expect(delInv).toMatchObject({ action: 'delete', entity: 'inventory_item', before: { id: 'inv_aud' } });
    const delSite = await one(() => admin.del('/sites/site_aud'), 204);
    expect(delSite).toMatchObject({ action: 'delete', entity: 'site', before: { id: 'site_aud' } });
    const delCus = await one(() => admin.del('/customers/cus_aud'), 204);
    expect(delCus).toMatchObject({
      action: 'delete',
      entity: 'customer',
      before: { name: 'Audit Co Ltd' },
      after: null,
    });
  });

  it('a cascading site delete leaves one entry per record it removed or released', async () => {
    await must(admin.post('/customers', { id: 'cus_aud-c', name: 'Cascade' }));
    await must(admin.post('/sites', { id: 'site_aud-c', customer_id: 'cus_aud-c', name: 'Cascade' }));
    await must(
      admin.post('/deployments', {
        id: 'dep_aud-c',
        site_id: 'site_aud-c',
        product_code: 'soil-probe',
        product_version: '1.4.2',
      }),
    );
    await must(
      admin.post('/devices', {
        id: 'dev_aud-c-1',
        deployment_id: 'dep_aud-c',
        product_code: 'soil-probe',
        role: 'sensor',
      }),
    );
    await must(
      admin.post('/devices', { id: 'dev_aud-c-2', site_id: 'site_aud-c', product_code: 'soil-probe', role: 'sensor' }),
    );
    await must(
      admin.post('/inventory', { id: 'inv_aud-c', sku: 'SP', state: 'allocated', deployment_id: 'dep_aud-c' }),
    );
    await fresh();
    expect((await admin.del('/sites/site_aud-c?cascade=true')).statusCode).toBe(204);
    const entries = await fresh();
    expect(entries.map((e) => `${e.action} ${e.entity} ${e.entity_id}`).sort()).toEqual([
      'delete_cascade deployment dep_aud-c',
      'delete_cascade device dev_aud-c-1',
      'delete_cascade device dev_aud-c-2',
      'delete_cascade site site_aud-c',
      'release inventory_item inv_aud-c',
    ]);
    expect(entries.every((e) => e.actor === 'audit-admin' && e.customer_id === 'cus_aud-c')).toBe(true);
    expect(entries.find((e) => e.entity === 'site')!.before).toMatchObject({
      deleted_deployments: ['dep_aud-c'],
      deleted_devices: 2,
    });
    expect(entries.find((e) => e.entity_id === 'dev_aud-c-1')!.before).toMatchObject({
      id: 'dev_aud-c-1',
      deployment_id: 'dep_aud-c',
    });
    // A device's own history ends with its deletion.
    const history = (await viewer.get('/audit?entity=device&entity_id=dev_aud-c-1'))
      .json()
      .items.map((e: Entry) => e.action);
    expect(history).toEqual(['delete_cascade', 'create']);
  });

  it('a refused write leaves no entry', async () => {
    await fresh();
    await admin.post('/customers', { id: 'cus_aud-bad', name: '' });
    await admin.patch('/deployments/dep_nowhere', { state: 'live' });
    await viewer.post('/customers', { id: 'cus_aud-viewer', name: 'x' });
    await admin.del('/sites/site_nowhere');
    expect(await fresh()).toEqual([]);
  });

  it('reads are not audited', async () => {
    await fresh();
    await viewer.get('/customers');
    await viewer.get('/devices?limit=5');
    await admin.get('/tokens');
    expect(await fresh()).toEqual([]);
  });

  describe('GET /audit filters', () => {
    beforeAll(async () => {
      const other = client(t.app, await bearer(t.ctx.db, 'admin', null, 'audit-other'));
      await must(admin.post('/customers', { id: 'cus_aud-f1', name: 'F1' }));
      await must(other.post('/customers', { id: 'cus_aud-f2', name: 'F2' }));
      await must(other.patch('/customers/cus_aud-f2', { name: 'F2b' }), 200);
      await must(admin.post('/sites', { id: 'site_aud-f', customer_id: 'cus_aud-f1', name: 'F' }));
    });

    const list = async (qs: string) => {
      const res = await viewer.get(`/audit?${qs}`);
      expect(res.statusCode, res.body).toBe(200);
      return res.json().items as Entry[];
    };

    it('by entity, entity id, actor and action — each narrowing, newest first', async () => {
      const sites = await list('entity=site');
      expect(sites.length).toBeGreaterThan(0);
      expect(sites.every((e) => e.entity === 'site')).toBe(true);
      expect((await list('entity_id=cus_aud-f2')).map((e) => e.action)).toEqual(['update', 'create']);
      const byOther = await list('actor=audit-other');
      expect(byOther.map((e) => e.entity_id)).toEqual(['cus_aud-f2', 'cus_aud-f2']);
      expect((await list('actor=audit-other&action=create')).map((e) => e.entity_id)).toEqual(['cus_aud-f2']);
      expect((await list('entity=customer&action=update&actor=audit-other')).length).toBe(1);
      expect(await list('actor=nobody')).toEqual([]);
    });

    it('by time: from (inclusive) and to (exclusive)', async () => {
      const all = await list('limit=500');
      const newest = all[0]!;
      expect((await list(`from=${encodeURIComponent(newest.at)}`)).map((e) => e.id)).toContain(newest.id);
      expect((await list(`to=${encodeURIComponent(newest.at)}`)).map((e) => e.id)).not.toContain(newest.id);
      const future = new Date(Date.parse(newest.at) + 3_600_000).toISOString();
      expect(await list(`from=${future}`)).toEqual([]);
      expect((await list(`to=${future}&limit=500`)).length).toBe(all.length);
      expect(await list('to=2000-01-01T00:00:00Z')).toEqual([]);
      expect((await list('from=2000-01-01T00:00:00%2B07:00&limit=500')).length).toBe(all.length);
    });

    it('refuses malformed filters (400) naming the parameter', async () => {
      for (const [qs, field] of [
        ['from=yesterday', 'querystring.from'],
        ['to=2026-13-01', 'querystring.to'],
        ['limit=501', 'querystring.limit'],
        ['cursor=%%%', 'querystring.cursor'],
        ['colour=red', 'querystring.colour'],
      ]) {
        const res = await viewer.get(`/audit?${qs}`);
        expect(res.statusCode, qs).toBe(400);
        expect(res.json().issues[0].path).toBe(field);
      }
    });
  });
});
