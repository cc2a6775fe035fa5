import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { sql } from 'kysely';
import * as m0109 from '../../data-api/migrations/0109_health_event_product.ts';
import { createTestDatabase } from '../helpers/database.ts';
import { backendName, bearer, seedFleet, tag, type Fleet } from './ingest-fixtures.ts';

// GET /uptime (contracts/uptime.ts): each device's state over [from, to) is its last transition
// before `from` (at the site and customer that transition recorded), then its transitions in the
// window. It takes the fleet filters (site_id, customer_id, product_code: named and checked as on
// /fleet/health and the device list) and group_by=product, tenant-scoped, so FleetHealth on a
// product page shows that product's uptime per site (spec widgets.md: "uptime % over a window").
describe(`uptime (${backendName()})`, () => {
  let t: TestApp;
  let fleet: Fleet;
  let other: Fleet;
  const id = tag();
  const t0 = new Date('2026-01-01T00:00:00Z').getTime();
  const window = `from=${new Date(t0).toISOString()}&to=${new Date(t0 + 120_000).toISOString()}`;
  let admin: Record<string, string>;
  /** A transition as the ingest and the monitor record it: the device's site, customer and product then. */
  const ev = (
    device: { id: string; product: string },
    site: string,
    customer: string,
    status: 'up' | 'down',
    s: number,
  ) => ({
    device_id: device.id,
    site_id: site,
    customer_id: customer,
    product_code: device.product,
    status,
    at: new Date(t0 + s * 1000),
  });

  beforeAll(async () => {
    t = await createTestApp();
    // One site with a gateway (lorawan-gw) and two probes (soil-probe); a probe that moved from
    // that site to the second one before the window; another customer with one probe.
    fleet = await seedFleet(t.ctx.db, id, {
      sites: 2,
      devices: [{ name: 'gw', role: 'gateway' }, { name: 'p1' }, { name: 'p2' }, { name: 'mover', site: 1 }],
    });
    other = await seedFleet(t.ctx.db, `${id}o`, { sites: 1, devices: [{ name: 'x' }] });
    const [s0, s1] = fleet.sites as [string, string];
    const d = fleet.devices;
    const c = fleet.customer;
    await t.ctx.db
      .insertInto('device_health_events')
      .values([
        ev(d.gw!, s0, c, 'up', -30), // gw: up 90 s, down 30 s
        ev(d.gw!, s0, c, 'down', 60),
        ev(d.gw!, s0, c, 'up', 90),
        ev(d.p1!, s0, c, 'down', 0), // p1: down 120 s
        ev(d.p2!, s0, c, 'up', 0), // p2: up 120 s
        ev(d.mover!, s0, c, 'down', -60), // at s0 before the window, then moved to s1: up 120 s there
        ev(d.mover!, s1, c, 'up', -10),
        ev(other.devices.x!, other.sites[0]!, other.customer, 'down', 0), // down 120 s
      ])
      .execute();
    admin = await bearer(t.ctx.db, 'admin');
  });
  afterAll(async () => {
    await t?.close();
  });

  const get = (query: string, headers = admin) =>
    t.app.inject({ method: 'GET', url: `/api/v1/uptime?${query}&${window}`, headers });
  const items = async (query: string, headers = admin) => {
    const res = await get(query, headers);
    expect(res.statusCode, res.body).toBe(200);
    return (res.json() as { items: Array<{ id: string }> }).items;
  };

  it("counts each device from its last transition before the window, at that transition's site", async () => {
    const [s0, s1] = fleet.sites as [string, string];
    // The mover was down at s0, then up at s1, both before the window: its 120 s are up, at s1.
    expect(await items('group_by=site', await bearer(t.ctx.db, 'viewer', fleet.customer))).toEqual([
      { id: s0, name: s0, uptime_pct: 58.333, up_s: 210, down_s: 150, devices: 3 },
      { id: s1, name: s1, uptime_pct: 100, up_s: 120, down_s: 0, devices: 1 },
    ]);
  });

  it('per site, filtered by product: only that product’s devices count, unlike the unfiltered figure', async () => {
    const s0 = fleet.sites[0]!;
    const all = await items(`group_by=site&site_id=${s0}`);
    // gw 90 + p1 0 + p2 120 up; gw 30 + p1 120 down. The mover's time is at the other site.
    expect(all).toEqual([{ id: s0, name: s0, uptime_pct: 58.333, up_s: 210, down_s: 150, devices: 3 }]);
    expect(await items(`group_by=site&site_id=${s0}&product_code=lorawan-gw`)).toEqual([
      { id: s0, name: s0, uptime_pct: 75, up_s: 90, down_s: 30, devices: 1 },
    ]);
    expect(await items(`group_by=site&product_code=soil-probe&customer_id=${fleet.customer}`)).toEqual([
      { id: s0, name: s0, uptime_pct: 50, up_s: 120, down_s: 120, devices: 2 },
      { id: fleet.sites[1], name: fleet.sites[1], uptime_pct: 100, up_s: 120, down_s: 0, devices: 1 },
    ]);
    // The CSV export (the widget's button) takes the same filters.
    const csv = await t.app.inject({
      method: 'GET',
      url: `/api/v1/uptime?group_by=site&site_id=${s0}&product_code=lorawan-gw&${window}`,
      headers: { ...admin, accept: 'text/csv' },
    });
    expect(csv.statusCode, csv.body).toBe(200);
    expect(csv.body.trim().split('\r\n').slice(1)).toEqual([
      `site,${new Date(t0).toISOString()},${new Date(t0 + 120_000).toISOString()},${s0},${s0},75,90,30,1`,
    ]);
  });

  it('group_by=product: one row per product, named from the catalog', async () => {
    expect(await items(`group_by=product&site_id=${fleet.sites[0]}`)).toEqual([
      { id: 'lorawan-gw', name: expect.any(String), uptime_pct: 75, up_s: 90, down_s: 30, devices: 1 },
      { id: 'soil-probe', name: expect.any(String), uptime_pct: 50, up_s: 120, down_s: 120, devices: 2 },
    ]);
    const everything = await items('group_by=product');
    expect(everything.map((i) => i.id)).toEqual(['lorawan-gw', 'soil-probe']);
    // soil-probe everywhere: p1, p2, the mover and the other customer's probe.
    expect(everything[1]).toMatchObject({ up_s: 240, down_s: 240, devices: 4 });
  });

  it('a device deleted from the registry still counts for its product, as for its site and customer', async () => {
    // A gateway up 30 s then down 90 s in the window, and a probe up all 120 s, at a site of
    // their own; then the gateway is deleted. Its history keeps the product it had.
    const del = await seedFleet(t.ctx.db, `${id}d`, {
      sites: 1,
      devices: [{ name: 'gone', role: 'gateway' }, { name: 'stays' }],
    });
    const site = del.sites[0]!;
    const gone = del.devices.gone!;
    const stays = del.devices.stays!;
    await t.ctx.db
      .insertInto('device_health_events')
      .values([
        ev(gone, site, del.customer, 'up', -30),
        ev(gone, site, del.customer, 'down', 30),
        ev(stays, site, del.customer, 'up', 0),
      ])
      .execute();
    const deleted = await t.app.inject({ method: 'DELETE', url: `/api/v1/devices/${gone.id}`, headers: admin });
    expect(deleted.statusCode, deleted.body).toBe(204);

    // The site: 30 + 120 up, 90 down, two devices (62.5 %); per product, the same time split.
    expect(await items(`group_by=site&site_id=${site}`)).toEqual([
      { id: site, name: site, uptime_pct: 62.5, up_s: 150, down_s: 90, devices: 2 },
    ]);
    expect(await items(`group_by=product&site_id=${site}`)).toEqual([
      { id: 'lorawan-gw', name: expect.any(String), uptime_pct: 25, up_s: 30, down_s: 90, devices: 1 },
      { id: 'soil-probe', name: expect.any(String), uptime_pct: 100, up_s: 120, down_s: 0, devices: 1 },
    ]);
    expect(await items(`group_by=site&site_id=${site}&product_code=lorawan-gw`)).toEqual([
      { id: site, name: site, uptime_pct: 25, up_s: 30, down_s: 90, devices: 1 },
    ]);
    expect(await items(`group_by=customer&customer_id=${del.customer}&product_code=lorawan-gw`)).toEqual([
      { id: del.customer, name: expect.any(String), uptime_pct: 25, up_s: 30, down_s: 90, devices: 1 },
    ]);
  });

  it('migration 0109 gives the history before it its device’s product (null for devices already gone)', async () => {
    const database = await createTestDatabase();
    try {
      const db = database.handle.db;
      const f = await seedFleet(db, `${id}m`, { sites: 1, devices: [{ name: 'gw', role: 'gateway' }] });
      const gw = f.devices.gw!;
      await m0109.down(db);
      await sql`
        insert into device_health_events (device_id, site_id, customer_id, status, at)
        values (${gw.id}, ${gw.site}, ${f.customer}, 'up', now()), ('dev_long-gone', ${gw.site}, ${f.customer}, 'up', now())`.execute(
        db,
      );
      await m0109.up(db);
      const rows = await db
        .selectFrom('device_health_events')
        .select(['device_id', 'product_code'])
        .orderBy('device_id')
        .execute();
      expect(rows).toEqual([
        { device_id: 'dev_long-gone', product_code: null },
        { device_id: gw.id, product_code: 'lorawan-gw' },
      ]);
    } finally {
      await database.drop();
    }
  });

  it('refuses a bad filter value with a 400 naming the field (a known field, a bad value)', async () => {
    const cases: Array<[string, string, RegExp]> = [
      ['site_id=nope', 'querystring.site_id', /expected an id like site_…/],
      [`customer_id=${fleet.sites[0]}`, 'querystring.customer_id', /expected an id like cus_…/],
      [`product_code=${'x'.repeat(65)}`, 'querystring.product_code', /64/],
      ['group_by=planet', 'querystring.group_by', /expected one of site, product, customer/],
    ];
    for (const [query, field, message] of cases) {
      const res = await get(query);
      expect(res.statusCode, `${query}: ${res.body}`).toBe(400);
      const issues = (res.json() as { issues?: Array<{ path: string; message: string }> }).issues ?? [];
      expect(issues, query).toEqual([{ path: field, message: expect.stringMatching(message) }]);
    }
  });

  it('refuses a bad `from` with one message naming the field, not one per check', async () => {
    const to = new Date(t0 + 120_000).toISOString();
    const cases: Array<[string, RegExp]> = [
      ['garbage', /expected an ISO 8601 date-time/],
      ['0000-01-01T00:00:00Z', /between the years 1 and 9999/],
      // Past 9999 in UTC, so also after `to`: still the one message, the range's.
      ['9999-12-31T23:00:00-14:00', /between the years 1 and 9999/],
    ];
    for (const [from, message] of cases) {
      const res = await t.app.inject({
        method: 'GET',
        url: `/api/v1/uptime?group_by=site&from=${encodeURIComponent(from)}&to=${to}`,
        headers: admin,
      });
      expect(res.statusCode, `${from}: ${res.body}`).toBe(400);
      const issues = (res.json() as { issues?: Array<{ path: string; message: string }> }).issues ?? [];
      expect(issues, from).toEqual([{ path: 'querystring.from', message: expect.stringMatching(message) }]);
    }
  });

  it('refuses a `from` after now when `to` is left to its default (now): that window ends before it starts', async () => {
    const from = new Date(Date.now() + 3_600_000).toISOString();
    const res = await t.app.inject({ method: 'GET', url: `/api/v1/uptime?group_by=site&from=${from}`, headers: admin });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().issues).toEqual([{ path: 'querystring.from', message: 'from must be before to (default: now)' }]);
  });

  it('a customer-scoped token filtered by another customer’s site or id sees nothing of it', async () => {
    const scoped = await bearer(t.ctx.db, 'viewer', fleet.customer);
    expect(await items(`group_by=site&site_id=${other.sites[0]}`, scoped)).toEqual([]);
    expect(await items(`group_by=product&site_id=${other.sites[0]}`, scoped)).toEqual([]);
    expect(await items(`group_by=customer&customer_id=${other.customer}`, scoped)).toEqual([]);
    // Its own, unfiltered by site, per product: the other customer's probe is not in soil-probe.
    expect(await items('group_by=product', scoped)).toEqual([
      expect.objectContaining({ id: 'lorawan-gw', up_s: 90, down_s: 30, devices: 1 }),
      expect.objectContaining({ id: 'soil-probe', up_s: 240, down_s: 120, devices: 3 }),
    ]);
    // The admin does see it.
    expect(await items(`group_by=site&site_id=${other.sites[0]}`)).toEqual([
      expect.objectContaining({ id: other.sites[0], uptime_pct: 0, down_s: 120, devices: 1 }),
    ]);
  });

  it('the OpenAPI document lists the filters and group_by=product from the same schema', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json', headers: admin })).json();
    const params = doc.paths['/api/v1/uptime'].get.parameters as Array<{ name: string; schema: { enum?: string[] } }>;
    expect(params.map((p) => p.name)).toEqual(
      expect.arrayContaining(['group_by', 'from', 'to', 'site_id', 'customer_id', 'product_code']),
    );
    expect(params.find((p) => p.name === 'group_by')!.schema.enum).toEqual(['site', 'product', 'customer']);
  });
});
