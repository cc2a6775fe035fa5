import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { bearer, client, must, type Client } from '../helpers/registry.ts';

// widgets.md: FleetHealth shows up / down / unknown counts per site, product or customer.
// GET /api/v1/fleet/health counts them in the API (one grouped query), so the widget no
// longer pages 100k devices in the browser; contracts.md: a customer-scoped token sees
// only its customer's devices, everywhere.

interface Seeded {
  id: string;
  customer: string | null;
  site: string | null;
  product: string;
  status: 'up' | 'down' | 'unknown';
}

type Counts = { up: number; down: number; unknown: number; total: number };

/** The counts the contract promises, computed here from what was seeded. */
function expectedGroups(devices: Seeded[], key: (d: Seeded) => string | null): Map<string, Counts> {
  const out = new Map<string, Counts>();
  for (const d of devices) {
    const k = key(d) ?? '(none)';
    const g = out.get(k) ?? { up: 0, down: 0, unknown: 0, total: 0 };
    g[d.status]++;
    g.total++;
    out.set(k, g);
  }
  return out;
}
const asMap = (groups: Array<Counts & { key: string }>) =>
  new Map(groups.map(({ key, up, down, unknown, total }) => [key, { up, down, unknown, total }]));

describe('GET /fleet/health: device counts per group, tenant-scoped', () => {
  let t: TestApp;
  let admin: Client;
  let viewer: Client;
  let scopedA: Client;
  const devices: Seeded[] = [];

  beforeAll(async () => {
    t = await createTestApp();
    admin = client(t.app, await bearer(t.ctx.db, 'admin'));
    viewer = client(t.app, await bearer(t.ctx.db, 'viewer'));
    await must(admin.post('/customers', { id: 'cus_fh-a', name: 'Alpha Farms' }));
    await must(admin.post('/customers', { id: 'cus_fh-b', name: 'Beta Pumps' }));
    scopedA = client(t.app, await bearer(t.ctx.db, 'viewer', 'cus_fh-a'));
    const sites = [
      ['site_fh-a1', 'cus_fh-a', 'Alpha North'],
      ['site_fh-a2', 'cus_fh-a', 'Alpha South'],
      ['site_fh-b1', 'cus_fh-b', 'Beta Plant'],
    ] as const;
    for (const [id, customer, name] of sites) await must(admin.post('/sites', { id, customer_id: customer, name }));
    const products = ['soil-probe', 'lorawan-gw', 'pump-ctl'] as const;
    for (let i = 0; i < 45; i++) {
      const [site, customer] = sites[i % 3]!;
      const product = products[(i * 7) % 3]!;
      const status = (['up', 'down', 'unknown', 'up', 'down'] as const)[i % 5]!;
      const id = `${product === 'lorawan-gw' ? 'gw' : 'dev'}_fh-${String(i).padStart(3, '0')}`;
      await must(
        admin.post('/devices', {
          id,
          site_id: site,
          product_code: product,
          role: product === 'lorawan-gw' ? 'gateway' : 'sensor',
        }),
      );
      if (status !== 'unknown') await sql`update devices set status = ${status} where id = ${id}`.execute(t.ctx.db);
      devices.push({ id, customer, site, product, status });
    }
    // In stock: no site, no customer (counted under "(none)" for unscoped callers only).
    await must(admin.post('/devices', { id: 'dev_fh-stock', product_code: 'soil-probe', role: 'sensor' }));
    devices.push({ id: 'dev_fh-stock', customer: null, site: null, product: 'soil-probe', status: 'unknown' });
  });
  afterAll(async () => t?.close());

  it.each([
    ['site', (d: Seeded) => d.site],
    ['product', (d: Seeded) => d.product],
    ['customer', (d: Seeded) => d.customer],
  ] as const)('group_by=%s: the registry’s counts, with totals and names', async (groupBy, key) => {
    const res = await viewer.get(`/fleet/health?group_by=${groupBy}`);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.group_by).toBe(groupBy);
    expect(asMap(body.groups)).toEqual(expectedGroups(devices, key));
    expect(body.total).toEqual(expectedGroups(devices, () => 'all').get('all'));
    // Worst first: most devices down, then by name.
    const downs = body.groups.map((g: Counts) => g.down);
    expect(downs).toEqual([...downs].sort((a, b) => b - a));
    const names = Object.fromEntries(body.groups.map((g: { key: string; name: string }) => [g.key, g.name]));
    if (groupBy === 'site')
      expect(names).toMatchObject({ 'site_fh-a1': 'Alpha North', 'site_fh-b1': 'Beta Plant', '(none)': '(none)' });
    if (groupBy === 'customer') expect(names).toMatchObject({ 'cus_fh-a': 'Alpha Farms', 'cus_fh-b': 'Beta Pumps' });
    if (groupBy === 'product') expect(names['lorawan-gw']).not.toBe('lorawan-gw'); // the catalog's name
  });

  it('a customer-scoped token counts only its own customer’s devices, whatever it asks for', async () => {
    const own = devices.filter((d) => d.customer === 'cus_fh-a');
    for (const groupBy of ['site', 'product', 'customer'] as const) {
      const body = (await scopedA.get(`/fleet/health?group_by=${groupBy}`)).json();
      const key =
        groupBy === 'site'
          ? (d: Seeded) => d.site
          : groupBy === 'product'
            ? (d: Seeded) => d.product
            : (d: Seeded) => d.customer;
      expect(asMap(body.groups)).toEqual(expectedGroups(own, key));
      expect(body.total.total).toBe(own.length);
      // No other customer's key or name leaks into the answer.
      expect(JSON.stringify(body)).not.toMatch(/fh-b|Beta|\(none\)/);
    }
    // Asking for the other customer (or its site) counts nothing, rather than its devices.
    for (const q of ['customer_id=cus_fh-b', 'site_id=site_fh-b1']) {
      const body = (await scopedA.get(`/fleet/health?${q}`)).json();
      expect(body).toEqual({ group_by: 'site', total: { up: 0, down: 0, unknown: 0, total: 0 }, groups: [] });
    }
  });

  it('filters by site, customer and product', async () => {
    const body = (await viewer.get('/fleet/health?group_by=product&site_id=site_fh-a2')).json();
    expect(asMap(body.groups)).toEqual(
      expectedGroups(
        devices.filter((d) => d.site === 'site_fh-a2'),
        (d) => d.product,
      ),
    );
    const pumps = (
      await viewer.get('/fleet/health?group_by=customer&product_code=pump-ctl&customer_id=cus_fh-b')
    ).json();
    expect(asMap(pumps.groups)).toEqual(
      expectedGroups(
        devices.filter((d) => d.product === 'pump-ctl' && d.customer === 'cus_fh-b'),
        (d) => d.customer,
      ),
    );
  });

  it('follows the registry at once (no cache): a device going down moves its group', async () => {
    const target = devices.find((d) => d.site === 'site_fh-b1' && d.status === 'up')!;
    const before = asMap((await viewer.get('/fleet/health')).json().groups).get('site_fh-b1')!;
    await sql`update devices set status = 'down' where id = ${target.id}`.execute(t.ctx.db);
    target.status = 'down';
    const after = asMap((await viewer.get('/fleet/health')).json().groups).get('site_fh-b1')!;
    expect(after).toEqual({ ...before, up: before.up - 1, down: before.down + 1 });
  });

  it('the fleet-overview surface counts with the same query', async () => {
    const surface = (await viewer.get('/surfaces/fleet-overview')).json();
    const model = surface.messages.find((m: { updateDataModel?: unknown }) => m.updateDataModel).updateDataModel.value;
    const api = (await viewer.get('/fleet/health?group_by=site')).json();
    expect(model.by_site).toEqual(api.groups);
    expect(model.devices).toEqual(api.total);
  });

  it('refuses a bad group_by or an unknown parameter (400), and anonymous callers (401)', async () => {
    const bad = await viewer.get('/fleet/health?group_by=deployment');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().issues).toEqual([
      { path: 'querystring.group_by', message: expect.stringContaining('expected one of site, product, customer') },
    ]);
    expect((await viewer.get('/fleet/health?status=up')).statusCode).toBe(400);
    expect((await client(t.app, null).get('/fleet/health')).statusCode).toBe(401);
  });
});
