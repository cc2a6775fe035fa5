import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { backendName, bearer, seedFleet, tag, type Fleet } from './ingest-fixtures.ts';

// GET /uptime (contracts/uptime.ts): each device's state over [from, to) is its last transition
// before `from` (at the site and customer that transition recorded), then its transitions in the
// window.
describe(`uptime (${backendName()})`, () => {
  let t: TestApp;
  let fleet: Fleet;
  let other: Fleet;
  const id = tag();
  const t0 = new Date('2026-01-01T00:00:00Z').getTime();
  const window = `from=${new Date(t0).toISOString()}&to=${new Date(t0 + 120_000).toISOString()}`;
  let admin: Record<string, string>;

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
    const ev = (device: string, site: string, customer: string, status: 'up' | 'down', s: number) => ({
      device_id: device,
      site_id: site,
      customer_id: customer,
      status,
      at: new Date(t0 + s * 1000),
    });
    const d = fleet.devices;
    const c = fleet.customer;
    await t.ctx.db
      .insertInto('device_health_events')
      .values([
        ev(d.gw!.id, s0, c, 'up', -30), // gw: up 90 s, down 30 s
        ev(d.gw!.id, s0, c, 'down', 60),
        ev(d.gw!.id, s0, c, 'up', 90),
        ev(d.p1!.id, s0, c, 'down', 0), // p1: down 120 s
        ev(d.p2!.id, s0, c, 'up', 0), // p2: up 120 s
        ev(d.mover!.id, s0, c, 'down', -60), // at s0 before the window, then moved to s1: up 120 s there
        ev(d.mover!.id, s1, c, 'up', -10),
        ev(other.devices.x!.id, other.sites[0]!, other.customer, 'down', 0), // down 120 s
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
});
