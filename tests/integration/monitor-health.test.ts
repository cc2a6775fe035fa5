import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { createAppContext } from '../../data-api/src/app.ts';
import { json } from '../../data-api/src/kernel/db/index.ts';
import { startMonitor, sweepDown, type MonitorHandle } from '../../data-api/src/health/monitor/service.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import {
  backendName,
  bearer,
  connectDevice,
  nowS,
  publish,
  seedFleet,
  startTestIngest,
  tag,
  topic,
  type Fleet,
} from './ingest-fixtures.ts';

// contracts.md § Health: a device whose heartbeat or telemetry has not arrived for 3 × its
// heartbeat_interval_s is down; the change opens an alert, and the next message marks it
// up and resolves the alert. Late data does not flip health backwards.
describe(`health monitor (${backendName()})`, () => {
  let t: TestApp;
  let fleet: Fleet;
  let ingest: Awaited<ReturnType<typeof startTestIngest>>;
  let monitor: MonitorHandle;
  let device: MqttClient;
  const id = tag();

  beforeAll(async () => {
    t = await createTestApp();
    fleet = await seedFleet(t.ctx.db, id, {
      sites: 1,
      devices: [
        { name: 'flaky', heartbeat_interval_s: 1 },
        { name: 'gw', role: 'gateway', heartbeat_interval_s: 1 },
        { name: 'steady', heartbeat_interval_s: 3600 },
      ],
    });
    ingest = await startTestIngest(t);
    // Ticked by hand below; the interval is long so the test decides when rounds run.
    monitor = startMonitor(t.ctx, { instance: `mon-a-${id}`, intervalMs: 3_600_000 });
    device = await connectDevice(t.testBroker.url);
  });
  afterAll(async () => {
    await device?.endAsync();
    await monitor?.stop();
    await ingest?.forget();
    await t?.close();
  });

  const status = async (deviceId: string) =>
    (await t.ctx.db.selectFrom('devices').select('status').where('id', '=', deviceId).executeTakeFirstOrThrow()).status;
  const alertsOf = (deviceId: string) =>
    t.ctx.db.selectFrom('alerts').selectAll().where('subject_id', '=', deviceId).orderBy('id').execute();
  const heartbeat = (name: string, ts = nowS()) =>
    publish(device, topic(fleet.devices[name]!.site, fleet.devices[name]!.id, 'heartbeat'), {
      schema_version: 1,
      ts,
      uptime_s: 5,
      fw: '1.5.0',
    });

  it('marks a silent device down, opens one alert, then up and resolved on its next message', async () => {
    const flaky = fleet.devices.flaky!.id;
    await heartbeat('flaky');
    await expect.poll(() => status(flaky), { timeout: 10_000 }).toBe('up');

    // Silent for more than 3 × 1 s: the monitor's next round finds it.
    await expect
      .poll(async () => (await monitor.tick(), status(flaky)), { timeout: 15_000, interval: 500 })
      .toBe('down');
    expect(monitor.isLeader()).toBe(true);
    const [opened, ...more] = await alertsOf(flaky);
    expect(more).toEqual([]);
    expect(opened).toMatchObject({
      rule_id: 'device_down',
      subject_type: 'device',
      state: 'open',
      severity: 'warning',
      dedupe_key: `device_down:${flaky}`,
      customer_id: fleet.customer,
      site_id: fleet.devices.flaky!.site,
    });
    // Further rounds while it stays silent open nothing new.
    await monitor.tick();
    expect(await alertsOf(flaky)).toHaveLength(1);

    // A backfilled reading from two hours ago is stored, but does not bring it back.
    await publish(device, topic(fleet.devices.flaky!.site, flaky, 'telemetry'), {
      schema_version: 1,
      msg_id: 'old',
      ts: nowS() - 7200,
      metrics: { temp_c: 1 },
    });
    await expect
      .poll(() => t.ctx.db.selectFrom('telemetry').select('msg_id').where('device_id', '=', flaky).execute(), {
        timeout: 10_000,
      })
      .toHaveLength(1);
    await ingest.drain();
    expect(await status(flaky)).toBe('down');
    expect((await alertsOf(flaky))[0]!.state).toBe('open');

    await heartbeat('flaky');
    await expect.poll(() => status(flaky), { timeout: 10_000 }).toBe('up');
    const [resolved] = await alertsOf(flaky);
    expect(resolved).toMatchObject({ state: 'resolved', resolved_by: 'system:ingest' });

    const history = await t.ctx.db
      .selectFrom('device_health_events')
      .select(['status', 'product_code'])
      .where('device_id', '=', flaky)
      .orderBy('id')
      .execute();
    expect(history.map((h) => h.status)).toEqual(['up', 'down', 'up']);
    // Each transition records the product, as it does the site and customer (ingest and monitor).
    expect(history.map((h) => h.product_code)).toEqual(['soil-probe', 'soil-probe', 'soil-probe']);
    const feed = await t.ctx.db
      .selectFrom('change_events')
      .select(['type', 'payload'])
      .where('subject_id', 'in', [flaky, opened!.id])
      .orderBy('id')
      .execute();
    expect(feed.map((e) => e.type)).toEqual([
      'device.health_changed',
      'alert.opened',
      'device.health_changed',
      'alert.resolved',
      'device.health_changed',
    ]);
    expect(feed[2]!.payload).toMatchObject({ status: 'down', previous: 'up' });
    const audit = await t.ctx.db
      .selectFrom('audit_log')
      .select(['action', 'actor'])
      .where('entity_id', '=', opened!.id)
      .orderBy('id')
      .execute();
    expect(audit).toEqual([
      { action: 'alert.open', actor: 'system:monitor' },
      { action: 'alert.resolve', actor: 'system:ingest' },
    ]);
  });

  it('opens a critical alert for a gateway', async () => {
    const gw = fleet.devices.gw!.id;
    await heartbeat('gw');
    await expect.poll(() => status(gw), { timeout: 10_000 }).toBe('up');
    await expect.poll(async () => (await monitor.tick(), status(gw)), { timeout: 15_000, interval: 500 }).toBe('down');
    expect((await alertsOf(gw))[0]).toMatchObject({ severity: 'critical', state: 'open' });
  });

  it('never opens two alerts for one outage, whatever number of replicas sweep at once', async () => {
    const steady = fleet.devices.steady!.id;
    // Last heard 4 hours ago, with a 1-hour interval: overdue.
    await t.ctx.db
      .updateTable('devices')
      .set({ status: 'up', last_seen: new Date(Date.now() - 4 * 3600_000), observed_state: json({ status: 'up' }) })
      .where('id', '=', steady)
      .execute();
    const ctxB = createAppContext({ ...t.ctx });
    const other = startMonitor(ctxB, { instance: `mon-b-${id}`, intervalMs: 3_600_000 });
    try {
      // Two replicas' rounds at once: one holds the lease.
      await Promise.all([monitor.tick(), other.tick()]);
      expect([monitor.isLeader(), other.isLeader()].filter(Boolean)).toHaveLength(1);
      // And even two sweeps racing outside the lease open one alert.
      await t.ctx.db.updateTable('devices').set({ status: 'up' }).where('id', '=', steady).execute();
      await t.ctx.db
        .updateTable('alerts')
        .set({ state: 'resolved', resolved_at: new Date() })
        .where('subject_id', '=', steady)
        .execute();
      await Promise.all([sweepDown(t.ctx.db), sweepDown(ctxB.db), sweepDown(t.ctx.db)]);
      const alerts = await alertsOf(steady);
      expect(alerts.filter((a) => a.state !== 'resolved')).toHaveLength(1);
    } finally {
      await other.stop();
    }
    // The lease moves to a surviving replica once its holder stops.
    const next = startMonitor(ctxB, { instance: `mon-c-${id}`, intervalMs: 3_600_000 });
    await monitor.stop();
    await next.tick();
    expect(next.isLeader()).toBe(true);
    await next.stop();
    monitor = startMonitor(t.ctx, { instance: `mon-a-${id}`, intervalMs: 3_600_000 });
  });

  it('after a stop longer than a failover, silence counts from the restart (no alert storm); a failover keeps judging at once', async () => {
    const more = await seedFleet(t.ctx.db, `${id}w`, {
      sites: 1,
      devices: [
        { name: 'quiet', heartbeat_interval_s: 60 },
        { name: 'quieter', heartbeat_interval_s: 60 },
      ],
    });
    const [quiet, quieter] = [more.devices.quiet!.id, more.devices.quieter!.id];
    // Both were up and last heard 10 minutes ago: overdue by 3 × 60 s, had anyone been listening.
    const heardAgo = (deviceId: string, ms: number) =>
      t.ctx.db
        .updateTable('devices')
        .set({ status: 'up', last_seen: new Date(Date.now() - ms), observed_state: json({ status: 'up' }) })
        .where('id', '=', deviceId)
        .execute();
    const lease = (set: Record<string, unknown>) =>
      t.ctx.db.updateTable('leases').set(set).where('name', '=', 'monitor').execute();
    const ago = (ms: number) => new Date(Date.now() - ms);

    // The whole cluster stopped a day ago (longer than a failover takes: the lease's TTL and two rounds).
    await monitor.stop();
    const kept = await t.ctx.db.selectFrom('leases').selectAll().where('name', '=', 'monitor').executeTakeFirst();
    expect(kept, 'a stop keeps the lease row, to tell later how long nobody held it').toBeDefined();
    await lease({ renewed_at: ago(86_400_000), expires_at: ago(86_400_000) });
    await heardAgo(quiet, 600_000);
    monitor = startMonitor(t.ctx, { instance: `mon-a-${id}`, intervalMs: 3_600_000 });
    await monitor.tick();
    expect(monitor.isLeader()).toBe(true);
    // Back up: nobody heard it while fleetbook was stopped, so it is not judged yet.
    expect(await status(quiet)).toBe('up');
    expect(await alertsOf(quiet)).toEqual([]);
    const restarted = await t.ctx.db
      .selectFrom('leases')
      .select('watching_since')
      .where('name', '=', 'monitor')
      .executeTakeFirstOrThrow();
    expect(Date.now() - new Date(restarted.watching_since).getTime()).toBeLessThan(60_000);

    // 3 × 60 s after the restart and still nothing: now it is down, with its alert.
    await lease({ watching_since: ago(181_000) });
    await monitor.tick();
    expect(await status(quiet)).toBe('down');
    expect((await alertsOf(quiet)).map((a) => a.state)).toEqual(['open']);

    // A failover: the holder died 5 s ago and its lease ran out; the next replica takes it within
    // the gap, so watching goes on and an overdue device is judged at its first round.
    await monitor.stop();
    await lease({
      holder: 'dead-replica',
      renewed_at: ago(5_000),
      expires_at: ago(1_000),
      watching_since: ago(3_600_000),
    });
    await heardAgo(quieter, 600_000);
    monitor = startMonitor(t.ctx, { instance: `mon-a-${id}`, intervalMs: 3_600_000 });
    await monitor.tick();
    expect(monitor.isLeader()).toBe(true);
    expect(await status(quieter)).toBe('down');
  });

  it('reports uptime per site and per customer from the health history', async () => {
    const t0 = new Date('2026-01-01T00:00:00Z').getTime();
    const d = fleet.devices.steady!;
    const other = await seedFleet(t.ctx.db, `${id}x`, { sites: 1, devices: [{ name: 'x' }] });
    const ev = (deviceId: string, site: string, customer: string, status: 'up' | 'down', s: number) => ({
      device_id: deviceId,
      site_id: site,
      customer_id: customer,
      product_code: 'soil-probe',
      status,
      at: new Date(t0 + s * 1000),
    });
    await t.ctx.db
      .insertInto('device_health_events')
      .values([
        ev(d.id, d.site, fleet.customer, 'up', -30), // up before the window: counts from `from`
        ev(d.id, d.site, fleet.customer, 'down', 60),
        ev(d.id, d.site, fleet.customer, 'up', 90),
        ev(other.devices.x!.id, other.sites[0]!, other.customer, 'down', 0),
      ])
      .execute();
    const q = `from=${new Date(t0).toISOString()}&to=${new Date(t0 + 120_000).toISOString()}`;
    const viewer = await bearer(t.ctx.db, 'viewer');
    const bySite = (
      await t.app.inject({ method: 'GET', url: `/api/v1/uptime?group_by=site&${q}`, headers: viewer })
    ).json();
    expect(bySite.items).toEqual(
      expect.arrayContaining([
        { id: d.site, name: d.site, uptime_pct: 75, up_s: 90, down_s: 30, devices: 1 },
        { id: other.sites[0], name: other.sites[0], uptime_pct: 0, up_s: 0, down_s: 120, devices: 1 },
      ]),
    );
    const scoped = await bearer(t.ctx.db, 'viewer', fleet.customer);
    const byCustomer = (
      await t.app.inject({ method: 'GET', url: `/api/v1/uptime?group_by=customer&${q}`, headers: scoped })
    ).json();
    expect(byCustomer.items).toEqual([
      { id: fleet.customer, name: `Customer ${id}`, uptime_pct: 75, up_s: 90, down_s: 30, devices: 1 },
    ]);
    const bad = await t.app.inject({ method: 'GET', url: `/api/v1/uptime?group_by=planet`, headers: viewer });
    expect(bad.statusCode).toBe(400);
  });
});
