import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runRetention, runRollup } from '../../data-api/src/telemetry/rollup.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { backendName, bearer, seedFleet, tag, type Fleet } from './ingest-fixtures.ts';

// contracts.md: GET /api/v1/devices/:id/telemetry?metric=&from=&to=&bucket= is bucketed
// server-side; raw telemetry is kept for a while and rolled up into 1-minute and 1-hour
// aggregates kept longer; queries read the finest level that covers the range.
const HOUR = 3600_000;
const H = Math.floor(Date.now() / HOUR) * HOUR; // an hour boundary (buckets align to UTC)
const iso = (ms: number) => new Date(ms).toISOString();
// Short retention so every level is exercised: raw 1 day, 1-minute 3 days, 1-hour 30 days.
const RETENTION = { rawDays: 1, rollup1mDays: 3, rollup1hDays: 30, deadLetterDays: 30 };

describe(`telemetry queries, rollups and retention (${backendName()})`, () => {
  let t: TestApp;
  let fleet: Fleet;
  let viewer: Record<string, string>;
  let dev: string;
  const id = tag();

  const insert = async (rows: Array<{ ts: number; v: number; msg: string }>) => {
    await sql`
      insert into telemetry (device_id, msg_id, ts, status, metrics)
      select ${dev}, x.msg, to_timestamp(x.ts / 1000.0), 'ok', jsonb_build_object('temp_c', x.v)
      from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as x(ts double precision, v double precision, msg text)`.execute(
      t.ctx.db,
    );
  };
  const series = (n: number, start: number, stepMs: number, value: (i: number) => number, prefix: string) =>
    Array.from({ length: n }, (_, i) => ({ ts: start + i * stepMs, v: value(i), msg: `${prefix}-${i}` }));
  const query = async (params: Record<string, string>, headers = viewer) => {
    const res = await t.app.inject({
      method: 'GET',
      url: `/api/v1/devices/${dev}/telemetry?${new URLSearchParams(params)}`,
      headers,
    });
    return { status: res.statusCode, body: res.json() };
  };
  // The rollup leaves arrivals of the last seconds for its next run (settleMs: 0 lifts
  // that), and stops short of any transaction open elsewhere, which may commit rows older
  // than itself; so a test runs it until nothing that arrived is left unfolded.
  const rollup = async () => {
    for (let attempt = 0; attempt < 100; attempt++) {
      await runRollup(t.ctx.db, { settleMs: 0 });
      const pending = await sql<{ n: number }>`
        select count(*)::int as n from telemetry
        where received_at > (select watermark from telemetry_rollup_state where name = 'telemetry')`.execute(t.ctx.db);
      if (pending.rows[0]!.n === 0) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error('the rollup did not catch up with what arrived');
  };

  beforeAll(async () => {
    t = await createTestApp();
    t.ctx.retention = RETENTION;
    fleet = await seedFleet(t.ctx.db, id, { sites: 1, devices: [{ name: 'probe' }] });
    dev = fleet.devices.probe!.id;
    viewer = await bearer(t.ctx.db, 'viewer', fleet.customer);
    await insert(series(180, H - 2 * HOUR, 10_000, (i) => i, 'a')); // A: recent, every 10 s
    await insert(series(240, H - 48 * HOUR, 30_000, (i) => 10 + (i % 2), 'b')); // B: two days ago
    await insert(series(60, H - 240 * HOUR, 60_000, () => 5, 'c')); // C: ten days ago
  });
  afterAll(async () => t?.close());

  it('buckets raw readings server-side (1m, 5m, raw, auto)', async () => {
    const range = { metric: 'temp_c', from: iso(H - 2 * HOUR), to: iso(H - 1.5 * HOUR) };
    const m1 = await query({ ...range, bucket: '1m' });
    expect(m1.status).toBe(200);
    expect(m1.body).toMatchObject({ device_id: dev, metric: 'temp_c', bucket: '1m', bucket_s: 60, sources: ['raw'] });
    expect(m1.body.points).toHaveLength(30);
    expect(m1.body.points[0]).toEqual({ t: iso(H - 2 * HOUR), avg: 2.5, min: 0, max: 5, count: 6 });
    expect(m1.body.points[29]).toEqual({
      t: iso(H - 2 * HOUR + 29 * 60_000),
      avg: 176.5,
      min: 174,
      max: 179,
      count: 6,
    });
    const m5 = await query({ ...range, bucket: '5m' });
    expect(m5.body.points.map((p: { count: number }) => p.count)).toEqual([30, 30, 30, 30, 30, 30]);
    const raw = await query({ ...range, bucket: 'raw' });
    expect(raw.body.points).toHaveLength(180);
    expect(raw.body.points[3]).toEqual({ t: iso(H - 2 * HOUR + 30_000), avg: 3, min: 3, max: 3, count: 1 });
    const auto = await query(range);
    expect(auto.body).toMatchObject({ bucket: '10s', bucket_s: 10 });
    expect(auto.body.points).toHaveLength(180);
  });

  it('rolls up incrementally, including late data for buckets already rolled up', async () => {
    await rollup();
    const minute = await t.ctx.db
      .selectFrom('telemetry_1m')
      .selectAll()
      .where('device_id', '=', dev)
      .where('bucket', '=', new Date(H - 48 * HOUR))
      .executeTakeFirstOrThrow();
    expect(minute).toMatchObject({ metric: 'temp_c', count: 2, sum: 21, min: 10, max: 11 });
    // A reading backfilled into that minute, after it was rolled up:
    await insert([{ ts: H - 48 * HOUR + 45_000, v: 100, msg: 'late' }]);
    await rollup();
    const again = await t.ctx.db
      .selectFrom('telemetry_1m')
      .selectAll()
      .where('device_id', '=', dev)
      .where('bucket', '=', new Date(H - 48 * HOUR))
      .executeTakeFirstOrThrow();
    expect(again).toMatchObject({ count: 3, sum: 121, min: 10, max: 100 });
    const hour = await t.ctx.db
      .selectFrom('telemetry_1h')
      .selectAll()
      .where('device_id', '=', dev)
      .where('bucket', '=', new Date(H - 48 * HOUR))
      .executeTakeFirstOrThrow();
    expect(hour).toMatchObject({ count: 121, max: 100 });
    // Running again with nothing new changes nothing.
    await rollup();
    expect(
      (
        await t.ctx.db
          .selectFrom('telemetry_1h')
          .select('count')
          .where('device_id', '=', dev)
          .where('bucket', '=', new Date(H - 48 * HOUR))
          .executeTakeFirstOrThrow()
      ).count,
    ).toBe(121);
  });

  it('drops raw rows past retention only once rolled up, and keeps rollups longer', async () => {
    await insert([{ ts: H - 30 * HOUR, v: 1, msg: 'not-rolled-up-yet' }]);
    const deleted = await runRetention(t.ctx.db, RETENTION);
    expect(deleted.telemetry).toBe(240 + 1 + 60); // B, its late reading, C — but not the row the rollup has not seen
    expect(deleted.telemetry_1m).toBe(60); // C's minutes are older than 3 days
    expect(deleted.telemetry_1h).toBe(0);
    const left = await t.ctx.db
      .selectFrom('telemetry')
      .select('msg_id')
      .where('device_id', '=', dev)
      .where('ts', '<', new Date(Date.now() - 86_400_000))
      .execute();
    expect(left.map((r) => r.msg_id)).toEqual(['not-rolled-up-yet']);
    await rollup();
    await runRetention(t.ctx.db, RETENTION);
    expect(
      await t.ctx.db.selectFrom('telemetry').select('msg_id').where('msg_id', '=', 'not-rolled-up-yet').execute(),
    ).toEqual([]);
  });

  it('reads the finest level that covers the range, coarsening the bucket to it', async () => {
    const b = await query({ metric: 'temp_c', from: iso(H - 48 * HOUR), to: iso(H - 46 * HOUR), bucket: '1h' });
    expect(b.body).toMatchObject({ bucket: '1h', sources: ['1m'] });
    expect(b.body.points).toEqual([
      { t: iso(H - 48 * HOUR), avg: (120 * 10.5 + 100) / 121, min: 10, max: 100, count: 121 },
      { t: iso(H - 47 * HOUR), avg: 10.5, min: 10, max: 11, count: 120 },
    ]);
    const fine = await query({ metric: 'temp_c', from: iso(H - 48 * HOUR), to: iso(H - 46 * HOUR), bucket: '30s' });
    expect(fine.body).toMatchObject({ bucket: '1m', bucket_s: 60 });
    expect(fine.body.points).toHaveLength(120);
    const c = await query({ metric: 'temp_c', from: iso(H - 240 * HOUR), to: iso(H - 239 * HOUR), bucket: '1m' });
    expect(c.body).toMatchObject({ bucket: '1h', sources: ['1h'] });
    expect(c.body.points).toEqual([{ t: iso(H - 240 * HOUR), avg: 5, min: 5, max: 5, count: 60 }]);
  });

  it('counts every reading once across level boundaries', async () => {
    // A late reading for the ten-day-old hour, after its raw rows and minutes are gone:
    await insert([{ ts: H - 240 * HOUR + 90_000, v: 7, msg: 'very-late' }]);
    await rollup();
    // `to` past now: with day buckets, raw answers from the first midnight after the raw horizon
    // (now − 1 day) on. Ending at H, that part was empty from 00:00 to 01:00 UTC (CI read no raw).
    const all = await query({ metric: 'temp_c', from: iso(H - 250 * HOUR), to: iso(H + 2 * HOUR), bucket: '1d' });
    expect(all.body.sources).toEqual(['1h', '1m', 'raw']);
    const total = all.body.points.reduce((n: number, p: { count: number }) => n + p.count, 0);
    expect(total).toBe(180 + 240 + 1 + 60 + 1 + 1);
  });

  it('validates the query, refuses more than 10,000 points, and scopes by tenant', async () => {
    expect((await query({ metric: 'Temp C' })).status).toBe(400);
    expect((await query({ metric: 'temp_c', bucket: '7 minutes' })).status).toBe(400);
    const tooMany = await query({ metric: 'temp_c', from: iso(H - 20 * HOUR), to: iso(H), bucket: '1s' });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.issues[0].path).toBe('querystring.bucket');
    expect((await query({ metric: 'temp_c', from: iso(H), to: iso(H - HOUR) })).status).toBe(400);
    // No `to` is now: a `from` later than that is the same inverted window, not an empty series.
    const future = await query({ metric: 'temp_c', from: iso(Date.now() + HOUR) });
    expect(future.status).toBe(400);
    expect(future.body.issues).toEqual([
      { path: 'querystring.from', message: 'from must be before to (default: now)' },
    ]);
    expect((await query({ metric: 'humidity_pct', from: iso(H - 2 * HOUR), to: iso(H) })).body.points).toEqual([]);
    const other = await t.ctx.db
      .insertInto('customers')
      .values({ id: `cus_${id}-x`, name: 'x' })
      .returning('id')
      .executeTakeFirstOrThrow();
    expect((await query({ metric: 'temp_c' }, await bearer(t.ctx.db, 'viewer', other.id))).status).toBe(404);
  });
});
