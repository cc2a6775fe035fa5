import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json } from '../../data-api/src/kernel/db/index.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { bearer, client, must, walk, type Client } from '../helpers/registry.ts';

// contracts.md: GET /api/v1/devices filters by site_id, deployment_id, role, status,
// product_code, text q; keyset pagination (limit, cursor). Issue: limit ≤ 500, opaque
// cursor, stable under concurrent inserts; the same for the other lists.

interface Item {
  id: string;
}
const ids = (items: Item[]) => items.map((i) => i.id);
const sorted = (xs: string[]) => [...xs].sort();

/** Ids spread over the whole key space, so inserts land before, inside and after any page. */
const spreadIds = (prefix: string, n: number, tag: string) =>
  Array.from(
    { length: n },
    (_, i) => `${prefix}${'0123456789abcdefghijklmnopqrstuvwxyz'[(i * 7) % 36]}${tag}-${String(i).padStart(3, '0')}`,
  );

describe('registry lists: filters and keyset pagination', () => {
  let t: TestApp;
  let admin: Client;
  let viewer: Client;
  const devices: Array<{ id: string; site: string; dep: string; role: string; status: string; product: string }> = [];

  beforeAll(async () => {
    t = await createTestApp();
    admin = client(t.app, await bearer(t.ctx.db, 'admin'));
    viewer = client(t.app, await bearer(t.ctx.db, 'viewer'));
    await must(admin.post('/customers', { id: 'cus_pg-1', name: 'Paging One' }));
    await must(admin.post('/customers', { id: 'cus_pg-2', name: 'Paging Two' }));
    await must(admin.post('/sites', { id: 'site_pg-a', customer_id: 'cus_pg-1', name: 'A' }));
    await must(admin.post('/sites', { id: 'site_pg-b', customer_id: 'cus_pg-2', name: 'B' }));
    await must(
      admin.post('/deployments', {
        id: 'dep_pg-a-soil',
        site_id: 'site_pg-a',
        product_code: 'soil-probe',
        product_version: '1.4.2',
      }),
    );
    await must(
      admin.post('/deployments', {
        id: 'dep_pg-a-gw',
        site_id: 'site_pg-a',
        product_code: 'lorawan-gw',
        product_version: '2.1.0',
      }),
    );
    await must(
      admin.post('/deployments', {
        id: 'dep_pg-b-pump',
        site_id: 'site_pg-b',
        product_code: 'pump-ctl',
        product_version: '1.4.2',
      }),
    );

    // 90 devices through the API; statuses are the fleet's to report, so they are set in the database.
    const plan = [
      { dep: 'dep_pg-a-soil', site: 'site_pg-a', product: 'soil-probe', role: 'sensor', n: 50 },
      { dep: 'dep_pg-a-gw', site: 'site_pg-a', product: 'lorawan-gw', role: 'gateway', n: 10 },
      { dep: 'dep_pg-b-pump', site: 'site_pg-b', product: 'pump-ctl', role: 'controller', n: 30 },
    ];
    for (const p of plan) {
      for (let i = 0; i < p.n; i++) {
        const id = `${p.role === 'gateway' ? 'gw_' : 'dev_'}pg-${p.product}-${String(i).padStart(3, '0')}`;
        await must(
          admin.post('/devices', {
            id,
            deployment_id: p.dep,
            product_code: p.product,
            role: p.role,
            serial: `SER-${p.product.toUpperCase()}-${i}`,
            name: `${p.product} #${i}`,
            ...(p.role === 'sensor'
              ? { external_refs: { chirpstack: { dev_eui: `a84041ff${String(i).padStart(8, '0')}` } } }
              : {}),
            ...(p.role === 'controller'
              ? { external_refs: { rfid: { mac: `aa:bb:cc:dd:ee:${i.toString(16).padStart(2, '0')}` } } }
              : {}),
          }),
        );
        const status = ['up', 'down', 'unknown'][i % 3]!;
        if (status !== 'unknown')
          await t.ctx.db
            .updateTable('devices')
            .set({ status: status as 'up' | 'down' })
            .where('id', '=', id)
            .execute();
        devices.push({ id, site: p.site, dep: p.dep, role: p.role, status, product: p.product });
      }
    }
  });
  afterAll(async () => t?.close());

  it('walks every device exactly once, in id order, with pages no larger than limit', async () => {
    const all = await walk<Item>(viewer, '/devices', 7);
    expect(ids(all)).toEqual(sorted(devices.map((d) => d.id)));
    // The last page says there is no next one.
    const last = (await viewer.get('/devices?limit=500')).json();
    expect(last.items).toHaveLength(devices.length);
    expect(last.next_cursor).toBeNull();
  });

  it.each([
    ['site_id=site_pg-b', (d: (typeof devices)[number]) => d.site === 'site_pg-b'],
    ['deployment_id=dep_pg-a-gw', (d: (typeof devices)[number]) => d.dep === 'dep_pg-a-gw'],
    ['role=controller', (d: (typeof devices)[number]) => d.role === 'controller'],
    ['status=down', (d: (typeof devices)[number]) => d.status === 'down'],
    ['product_code=soil-probe', (d: (typeof devices)[number]) => d.product === 'soil-probe'],
    ['site_id=site_pg-a&status=up', (d: (typeof devices)[number]) => d.site === 'site_pg-a' && d.status === 'up'],
    [
      'site_id=site_pg-a&role=gateway&status=unknown',
      (d: (typeof devices)[number]) => d.site === 'site_pg-a' && d.role === 'gateway' && d.status === 'unknown',
    ],
    ['customer_id=cus_pg-2', (d: (typeof devices)[number]) => d.site === 'site_pg-b'],
  ])('filters by %s across pages', async (query, keep) => {
    const got = await walk<Item>(viewer, `/devices?${query}`, 4);
    const want = sorted(devices.filter(keep).map((d) => d.id));
    expect(want.length).toBeGreaterThan(0);
    expect(ids(got)).toEqual(want);
  });

  it.each([
    [
      'id',
      'pg-pump-ctl-02',
      [
        'dev_pg-pump-ctl-020',
        'dev_pg-pump-ctl-021',
        'dev_pg-pump-ctl-022',
        'dev_pg-pump-ctl-023',
        'dev_pg-pump-ctl-024',
        'dev_pg-pump-ctl-025',
        'dev_pg-pump-ctl-026',
        'dev_pg-pump-ctl-027',
        'dev_pg-pump-ctl-028',
        'dev_pg-pump-ctl-029',
      ],
    ],
    ['serial', 'ser-lorawan-gw-7', ['gw_pg-lorawan-gw-007']],
    ['name', 'soil-probe #49', ['dev_pg-soil-probe-049']],
    ['ChirpStack DevEUI', 'A84041FF00000012', ['dev_pg-soil-probe-012']],
    ['RFID MAC', 'ee:1d', ['dev_pg-pump-ctl-029']],
  ])('q matches the %s', async (_what, q, want) => {
    const got = await walk<Item>(viewer, `/devices?q=${encodeURIComponent(q)}`, 3);
    expect(ids(got)).toEqual(want);
  });

  it('q treats % and _ literally', async () => {
    expect((await viewer.get('/devices?q=%25')).json().items).toEqual([]);
    expect((await viewer.get('/devices?q=_&limit=500')).json().items.length).toBe(devices.length); // every id has an underscore
    expect((await viewer.get('/devices?q=pg_pump')).json().items).toEqual([]);
  });

  it('the cursor is opaque: not an id, and a tampered one is refused', async () => {
    const first = (await viewer.get('/devices?limit=2')).json();
    expect(first.next_cursor).toEqual(expect.any(String));
    expect(first.next_cursor).not.toContain(first.items[1].id);
    for (const bad of [
      'nope',
      first.next_cursor.slice(0, -3),
      Buffer.from('{"v":2,"after":"dev_x"}').toString('base64url'),
      Buffer.from(first.items[1].id).toString('base64url'),
    ]) {
      const res = await viewer.get(`/devices?cursor=${encodeURIComponent(bad)}`);
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({
        error: 'validation',
        issues: [{ path: 'querystring.cursor', message: expect.stringContaining('invalid cursor') }],
      });
    }
  });

  it('limit is 1..500 (default 50)', async () => {
    expect((await viewer.get('/devices')).json().items).toHaveLength(50);
    expect((await viewer.get('/devices?limit=500')).statusCode).toBe(200);
    for (const [limit, message] of [
      ['501', 'expected at most 500'],
      ['0', 'expected at least 1'],
      ['2.5', 'expected a whole number'],
      ['lots', 'expected a number'],
    ]) {
      const res = await viewer.get(`/devices?limit=${limit}`);
      expect(res.statusCode).toBe(400);
      expect(res.json().issues).toEqual([{ path: 'querystring.limit', message: expect.stringContaining(message!) }]);
    }
  });

  it('a walk under concurrent inserts returns every pre-existing device exactly once', async () => {
    // Issue acceptance: walk all pages while another task inserts devices: every
    // pre-existing device appears exactly once, no duplicates.
    const before = ids((await viewer.get('/devices?limit=500')).json().items);
    const fresh = spreadIds('dev_', 60, 'new');
    let inserted = 0;
    // Between every two pages another writer inserts devices whose ids fall before and
    // after the cursor: deterministic interleaving, not a race against the scheduler.
    const seen = await walk<Item>(viewer, '/devices', 5, async () => {
      for (const id of fresh.slice(inserted, inserted + 3)) {
        await must(
          admin.post('/devices', { id, deployment_id: 'dep_pg-a-soil', product_code: 'soil-probe', role: 'sensor' }),
        );
        inserted++;
      }
    });
    expect(inserted).toBeGreaterThan(0);
    const seenIds = ids(seen);
    expect(new Set(seenIds).size).toBe(seenIds.length); // no duplicates
    for (const id of before) expect(seenIds.filter((s) => s === id)).toHaveLength(1);
    // Whatever new rows were seen came in order with the old ones.
    expect(seenIds).toEqual(sorted(seenIds));
  });

  describe.each([
    ['customers', 'cus_', (id: string) => ({ id, name: id })],
    ['sites', 'site_', (id: string) => ({ id, customer_id: 'cus_pg-1', name: id })],
    [
      'deployments',
      'dep_',
      (id: string) => ({ id, site_id: 'site_pg-b', product_code: 'pump-ctl', product_version: '1.4.2' }),
    ],
    ['inventory', 'inv_', (id: string) => ({ id, sku: 'SKU-PG' })],
  ])('GET /%s', (path, prefix, body) => {
    it('pages every row exactly once, also while rows are inserted', async () => {
      const seed = spreadIds(prefix, 25, 'seed');
      for (const id of seed) await must(admin.post(`/${path}`, body(id)));
      const before = ids(await walk<Item>(viewer, `/${path}`, 500));
      expect(before).toEqual(expect.arrayContaining(seed));
      expect(before).toEqual(sorted(before));

      const fresh = spreadIds(prefix, 30, 'late');
      const inserter = (async () => {
        for (const id of fresh) {
          await must(admin.post(`/${path}`, body(id)));
          await new Promise((r) => setImmediate(r));
        }
      })();
      const seen = ids(await walk<Item>(viewer, `/${path}`, 3, () => new Promise((r) => setImmediate(r))));
      await inserter;
      expect(new Set(seen).size).toBe(seen.length);
      for (const id of before) expect(seen.filter((s) => s === id)).toHaveLength(1);
    });

    it('q matches text literally (% and _ are not wildcards)', async () => {
      expect((await viewer.get(`/${path}?q=%25&limit=500`)).json().items).toEqual([]);
      expect((await viewer.get(`/${path}?q=0see%5F-000&limit=500`)).json().items).toEqual([]);
      expect(ids((await viewer.get(`/${path}?q=0seed&limit=500`)).json().items)).toEqual([`${prefix}0seed-000`]);
    });

    it('refuses limit=501 and a bad cursor (400)', async () => {
      const a = await viewer.get(`/${path}?limit=501`);
      expect(a.statusCode).toBe(400);
      expect(a.json().issues[0].path).toBe('querystring.limit');
      const b = await viewer.get(`/${path}?cursor=garbage`);
      expect(b.statusCode).toBe(400);
      expect(b.json().issues[0].path).toBe('querystring.cursor');
    });
  });

  it('GET /audit pages newest first, every entry once, while writes go on', async () => {
    const before = await walk<{ id: number }>(viewer, '/audit', 500);
    const beforeIds = before.map((e) => e.id);
    expect(beforeIds).toEqual([...beforeIds].sort((a, b) => b - a));
    const inserter = (async () => {
      for (let i = 0; i < 20; i++) {
        await must(admin.post('/customers', { id: `cus_pg-audit-${i}`, name: `A${i}` }));
        await new Promise((r) => setImmediate(r));
      }
    })();
    const seen = (await walk<{ id: number }>(viewer, '/audit', 9, () => new Promise((r) => setImmediate(r)))).map(
      (e) => e.id,
    );
    await inserter;
    expect(new Set(seen).size).toBe(seen.length);
    for (const id of beforeIds) expect(seen.filter((s) => s === id)).toHaveLength(1);
    expect((await viewer.get('/audit?limit=501')).statusCode).toBe(400);
    expect((await viewer.get('/audit?cursor=garbage')).statusCode).toBe(400);
  });

  it('keeps JSON columns as objects in lists', async () => {
    await t.ctx.db
      .updateTable('devices')
      .set({ observed_state: json({ fw: '2.1.0' }) })
      .where('id', '=', 'gw_pg-lorawan-gw-000')
      .execute();
    const page = (await viewer.get('/devices?deployment_id=dep_pg-a-gw&limit=1')).json();
    expect(page.items[0]).toMatchObject({
      id: 'gw_pg-lorawan-gw-000',
      observed_state: { fw: '2.1.0' },
      external_refs: {},
    });
  });
});
