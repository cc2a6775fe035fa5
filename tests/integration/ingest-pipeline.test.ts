import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import {
  backendName,
  bearer,
  connectDevice,
  count,
  nowS,
  publish,
  seedFleet,
  startTestIngest,
  tag,
  topic,
  type Fleet,
} from './ingest-fixtures.ts';

// contracts.md § MQTT: ingest idempotent on msg_id; invalid, unknown-device and
// wrong-site messages go to dead letters and never stop the ingest; late data is stored
// in its place and does not move health backwards.
describe(`MQTT ingest (${backendName()})`, () => {
  let t: TestApp;
  let ingest: Awaited<ReturnType<typeof startTestIngest>>;
  let fleet: Fleet;
  let device: MqttClient;
  const id = tag();

  beforeAll(async () => {
    t = await createTestApp();
    fleet = await seedFleet(t.ctx.db, id, {
      sites: 2,
      devices: [
        { name: 'a' },
        { name: 'b' },
        { name: 'other-site', site: 1 },
        { name: 'gw', role: 'gateway' },
        { name: 's1' },
        { name: 's2' },
        { name: 'late' },
      ],
    });
    // Observed state written with every batch (no 5 s coalescing), so each step can be checked at once.
    ingest = await startTestIngest(t, { stateEveryMs: 0 });
    device = await connectDevice(t.testBroker.url);
  });
  afterAll(async () => {
    await device?.endAsync();
    await ingest?.forget();
    await t?.close();
  });

  const dev = (name: string) => fleet.devices[name]!;
  const rows = (deviceId: string) => count(t.ctx.db, 'telemetry', (q) => q.where('device_id', '=', deviceId));
  const deadLetters = (deviceId: string) =>
    t.ctx.db.selectFrom('dead_letters').selectAll().where('device_id', '=', deviceId).orderBy('id').execute();

  it('stores a v1 telemetry message and keeps the device’s observed state current', async () => {
    const a = dev('a');
    const ts = nowS();
    await publish(device, topic(a.site, a.id, 'telemetry'), {
      schema_version: 1,
      msg_id: 'm-1',
      ts,
      status: 'running',
      metrics: { temp_c: 24.8, rssi_dbm: -97, snr_db: 7.5 },
    });
    await expect.poll(() => rows(a.id), { timeout: 10_000 }).toBe(1);
    const row = await t.ctx.db
      .selectFrom('telemetry')
      .selectAll()
      .where('device_id', '=', a.id)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      msg_id: 'm-1',
      status: 'running',
      metrics: { temp_c: 24.8, rssi_dbm: -97, snr_db: 7.5 },
    });
    expect(Math.abs(new Date(row.ts).getTime() / 1000 - ts)).toBeLessThan(0.001);
    const d = await t.ctx.db
      .selectFrom('devices')
      .select(['status', 'last_seen', 'observed_state'])
      .where('id', '=', a.id)
      .executeTakeFirstOrThrow();
    expect(d.status).toBe('up');
    expect(d.observed_state).toMatchObject({
      status: 'up',
      metrics: { temp_c: 24.8 },
      run_status: 'running',
      rssi_dbm: -97,
      snr_db: 7.5,
    });
    expect(d.last_seen).not.toBeNull();
  });

  it('stores a repeated msg_id once, however often it arrives (contracts.md: ingest idempotent on msg_id)', async () => {
    const b = dev('b');
    const payload = { schema_version: 1, msg_id: 'dup-1', ts: nowS(), status: 'ok', metrics: { temp_c: 20 } };
    await Promise.all(Array.from({ length: 25 }, () => publish(device, topic(b.site, b.id, 'telemetry'), payload)));
    await publish(device, topic(b.site, b.id, 'telemetry'), { ...payload, msg_id: 'after-dups' });
    await expect.poll(() => rows(b.id), { timeout: 10_000 }).toBe(2);
    await ingest.drain();
    expect(await rows(b.id)).toBe(2);
    expect(ingest.stats().duplicates).toBeGreaterThanOrEqual(24);
  });

  it('maps a legacy v0 payload (no schema_version, epoch milliseconds) forward to v1', async () => {
    const a = dev('a');
    const ms = Date.now();
    await publish(device, topic(a.site, a.id, 'telemetry'), { mid: 'legacy-1', t: ms, st: 'err', d: { temp_c: 30.5 } });
    await publish(device, topic(a.site, a.id, 'heartbeat'), { t: ms, up: 1234, fw: '1.3.0' });
    await expect
      .poll(
        () =>
          t.ctx.db
            .selectFrom('telemetry')
            .selectAll()
            .where('device_id', '=', a.id)
            .where('msg_id', '=', 'legacy-1')
            .executeTakeFirst(),
        { timeout: 10_000 },
      )
      .toMatchObject({
        status: 'fault',
        metrics: { temp_c: 30.5 },
      });
    await expect
      .poll(
        async () =>
          (
            await t.ctx.db
              .selectFrom('devices')
              .select('observed_state')
              .where('id', '=', a.id)
              .executeTakeFirstOrThrow()
          ).observed_state,
      )
      .toMatchObject({
        fw: '1.3.0',
        uptime_s: 1234,
      });
  });

  it('stores each element of a gateway batch, dead-letters only the bad ones', async () => {
    const gw = dev('gw');
    const ts = nowS();
    await publish(device, topic(gw.site, gw.id, 'batch'), [
      {
        schema_version: 1,
        device_id: dev('s1').id,
        msg_id: 'b-1',
        ts,
        status: 'ok',
        metrics: { soil_moisture_pct: 31.4 },
      },
      {
        schema_version: 1,
        device_id: dev('s2').id,
        msg_id: 'b-2',
        ts,
        status: 'ok',
        metrics: { soil_moisture_pct: 28.9 },
      },
      { schema_version: 1, device_id: dev('s2').id, msg_id: 'b-3', ts, metrics: { soil_moisture_pct: 'wet' } },
      { schema_version: 1, device_id: dev('other-site').id, msg_id: 'b-4', ts, metrics: { temp_c: 1 } },
      { dev: dev('s1').id, mid: 'b-legacy', t: Math.round(ts * 1000), d: { temp_c: 22 } },
    ]);
    await expect.poll(() => rows(dev('s1').id), { timeout: 10_000 }).toBe(2);
    expect(await rows(dev('s2').id)).toBe(1);
    await expect.poll(async () => (await deadLetters(dev('s2').id)).map((d) => d.reason)).toEqual(['validation']);
    const [bad] = await deadLetters(dev('s2').id);
    expect(bad!.detail).toContain('batch[2]');
    expect(JSON.parse(bad!.payload)).toMatchObject({ msg_id: 'b-3' });
    await expect
      .poll(async () => (await deadLetters(dev('other-site').id)).map((d) => d.reason))
      .toEqual(['site_mismatch']);
    // The gateway itself is alive: it published.
    const g = await t.ctx.db
      .selectFrom('devices')
      .select(['status', 'last_seen'])
      .where('id', '=', gw.id)
      .executeTakeFirstOrThrow();
    expect(g.status).toBe('up');
  });

  it('accepts late (backfilled) data in its place without moving last_seen backwards', async () => {
    const late = dev('late');
    const now = nowS();
    await publish(device, topic(late.site, late.id, 'telemetry'), {
      schema_version: 1,
      msg_id: 'now',
      ts: now,
      metrics: { temp_c: 25 },
    });
    await expect.poll(() => rows(late.id), { timeout: 10_000 }).toBe(1);
    const before = await t.ctx.db
      .selectFrom('devices')
      .select(['last_seen', 'observed_state'])
      .where('id', '=', late.id)
      .executeTakeFirstOrThrow();
    await publish(device, topic(late.site, late.id, 'telemetry'), {
      schema_version: 1,
      msg_id: 'two-hours-ago',
      ts: now - 7200,
      metrics: { temp_c: 11 },
    });
    await expect.poll(() => rows(late.id), { timeout: 10_000 }).toBe(2);
    const after = await t.ctx.db
      .selectFrom('devices')
      .select(['last_seen', 'observed_state', 'status'])
      .where('id', '=', late.id)
      .executeTakeFirstOrThrow();
    expect(after.last_seen).toEqual(before.last_seen);
    expect(after.observed_state.metrics).toEqual({ temp_c: 25 }); // the newest reading stays the snapshot
    expect(after.status).toBe('up');
  });

  it('lists dead letters through the API with filters and keyset pagination', async () => {
    const a = dev('a');
    for (let i = 0; i < 5; i++) await publish(device, topic(a.site, a.id, 'telemetry'), `not json ${i}`);
    await expect.poll(async () => (await deadLetters(a.id)).length, { timeout: 10_000 }).toBeGreaterThanOrEqual(5);
    const headers = await bearer(t.ctx.db, 'viewer');
    const page1 = await t.app.inject({
      method: 'GET',
      url: `/api/v1/dead-letters?device=${a.id}&reason=validation&limit=3`,
      headers,
    });
    expect(page1.statusCode).toBe(200);
    const body1 = page1.json();
    expect(body1.items).toHaveLength(3);
    expect(body1.items[0]).toMatchObject({
      reason: 'validation',
      device_id: a.id,
      site_id: a.site,
      payload_encoding: 'utf8',
    });
    expect(body1.items[0].payload).toMatch(/^not json \d$/);
    expect(body1.next_cursor).toEqual(expect.any(String));
    const page2 = (
      await t.app.inject({
        method: 'GET',
        url: `/api/v1/dead-letters?device=${a.id}&reason=validation&limit=3&cursor=${body1.next_cursor}`,
        headers,
      })
    ).json();
    const ids = [...body1.items, ...page2.items].map((d: { id: number }) => d.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual([...ids].sort((x, y) => y - x)); // newest first, no repeats across pages
    const bad = await t.app.inject({ method: 'GET', url: '/api/v1/dead-letters?cursor=nope', headers });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().issues[0].path).toBe('querystring.cursor');
    const tooMany = await t.app.inject({ method: 'GET', url: '/api/v1/dead-letters?limit=501', headers });
    expect(tooMany.statusCode).toBe(400);
  });

  it('shows a customer-scoped token only its own dead letters', async () => {
    const scoped = await bearer(t.ctx.db, 'viewer', fleet.customer);
    const other = await t.ctx.db
      .insertInto('customers')
      .values({ id: `cus_${id}-other`, name: 'other' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const stranger = await bearer(t.ctx.db, 'viewer', other.id);
    const mine = (
      await t.app.inject({ method: 'GET', url: `/api/v1/dead-letters?device=${dev('a').id}`, headers: scoped })
    ).json();
    expect(mine.items.length).toBeGreaterThan(0);
    const theirs = (
      await t.app.inject({ method: 'GET', url: `/api/v1/dead-letters?device=${dev('a').id}`, headers: stranger })
    ).json();
    expect(theirs.items).toEqual([]);
  });
});
