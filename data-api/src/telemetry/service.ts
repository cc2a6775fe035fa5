import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Principal } from '../kernel/auth/roles.ts';
import type { Database } from '../kernel/db/index.ts';
import { notFound, validationError } from '../kernel/errors/index.ts';
import { DEFAULT_RETENTION, type RetentionOptions } from './ingest/options.ts';
import { BUCKET_ORIGIN } from './rollup.ts';
import type { TelemetryQuery, TelemetrySeries } from '../contracts/telemetry.ts';

const UNIT_S = { s: 1, m: 60, h: 3600, d: 86_400 } as const;
const AUTO_STEPS = [10, 30, 60, 300, 900, 1800, 3600, 10_800, 21_600, 43_200, 86_400, 604_800];
/** `auto` picks the smallest bucket that gives at most this many points. */
const AUTO_TARGET_POINTS = 500;
/** A request may not ask for more points than this. */
export const MAX_POINTS = 10_000;

type Level = 'raw' | '1m' | '1h';
const LEVEL_S: Record<Level, number> = { raw: 0, '1m': 60, '1h': 3600 };

export function parseBucket(bucket: string, rangeS: number): number {
  if (bucket === 'raw') return 0;
  if (bucket === 'auto')
    return AUTO_STEPS.find((s) => rangeS / s <= AUTO_TARGET_POINTS) ?? AUTO_STEPS[AUTO_STEPS.length - 1]!;
  return Number(bucket.slice(0, -1)) * UNIT_S[bucket.slice(-1) as keyof typeof UNIT_S];
}

export const formatBucket = (s: number): string =>
  s === 0
    ? 'raw'
    : s % 86_400 === 0
      ? `${s / 86_400}d`
      : s % 3600 === 0
        ? `${s / 3600}h`
        : s % 60 === 0
          ? `${s / 60}m`
          : `${s}s`;

/**
 * Plans which storage levels answer [from, to): raw where raw is still kept, then 1-minute
 * rollups, then 1-hour rollups for what is older (contracts.md: "queries read the finest
 * level that covers the range"). The bucket is coarsened to the coarsest level used, and
 * segment boundaries fall on bucket boundaries so no reading is counted twice.
 */
export function planQuery(from: Date, to: Date, bucketS: number, retention: RetentionOptions, now = new Date()) {
  const horizon: Record<Level, number> = {
    raw: now.getTime() - retention.rawDays * 86_400_000,
    '1m': now.getTime() - retention.rollup1mDays * 86_400_000,
    '1h': now.getTime() - retention.rollup1hDays * 86_400_000,
  };
  const f = from.getTime();
  const used: Level[] = f >= horizon.raw ? ['raw'] : f >= horizon['1m'] ? ['1m', 'raw'] : ['1h', '1m', 'raw'];
  let effective = bucketS;
  for (const level of used) if (LEVEL_S[level] > 0) effective = Math.max(effective, LEVEL_S[level]);
  // Keep the bucket a multiple of every level's resolution.
  const coarsest = Math.max(...used.map((l) => LEVEL_S[l]));
  if (coarsest > 0) effective = Math.ceil(effective / coarsest) * coarsest;
  const origin = Date.parse(BUCKET_ORIGIN);
  const alignUp = (ms: number) =>
    effective === 0 ? ms : origin + Math.ceil((ms - origin) / (effective * 1000)) * effective * 1000;
  // Segments: [from, b1) from the oldest level, …, [bn, to) from raw.
  const segments: Array<{ level: Level; from: Date; to: Date }> = [];
  let start = f;
  for (let i = 0; i < used.length; i++) {
    const level = used[i]!;
    const next = used[i + 1];
    const end = next ? Math.min(to.getTime(), Math.max(start, alignUp(horizon[next]))) : to.getTime();
    if (end > start) segments.push({ level, from: new Date(start), to: new Date(end) });
    start = end;
  }
  return { bucketS: effective, segments: segments.length ? segments : [{ level: 'raw' as Level, from, to }] };
}

export async function queryTelemetry(
  db: Kysely<Database>,
  who: Principal,
  deviceId: string,
  q: TelemetryQuery,
  retention: RetentionOptions = DEFAULT_RETENTION,
): Promise<TelemetrySeries> {
  const device = await db
    .selectFrom('devices')
    .select(['id', 'customer_id'])
    .where('id', '=', deviceId)
    .executeTakeFirst();
  if (!device || (who.customerId !== null && device.customer_id !== who.customerId)) throw notFound('device', deviceId);

  const to = q.to ? new Date(q.to) : new Date();
  const from = q.from ? new Date(q.from) : new Date(to.getTime() - 86_400_000);
  const rangeS = (to.getTime() - from.getTime()) / 1000;
  const requested = parseBucket(q.bucket, rangeS);
  const plan = planQuery(from, to, requested, retention);
  if (plan.bucketS > 0 && rangeS / plan.bucketS > MAX_POINTS) {
    throw validationError([
      {
        path: 'querystring.bucket',
        message: `a ${formatBucket(plan.bucketS)} bucket over this range gives more than ${MAX_POINTS} points: use a larger bucket or a shorter range`,
      },
    ]);
  }

  if (plan.bucketS === 0) {
    const rows = await sql<{ t: Date; v: number }>`
      select ts as t, (metrics->>${q.metric})::float8 as v from telemetry
      where device_id = ${deviceId} and ts >= ${from} and ts < ${to} and jsonb_typeof(metrics->${q.metric}) = 'number'
      order by ts limit ${MAX_POINTS + 1}`.execute(db);
    if (rows.rows.length > MAX_POINTS) {
      throw validationError([
        {
          path: 'querystring.bucket',
          message: `more than ${MAX_POINTS} raw readings in this range: ask for a bucket (e.g. 1m) or a shorter range`,
        },
      ]);
    }
    return {
      device_id: deviceId,
      metric: q.metric,
      from: from.toISOString(),
      to: to.toISOString(),
      bucket: 'raw',
      bucket_s: 0,
      sources: ['raw'],
      points: rows.rows.map((r) => ({
        t: new Date(r.t).toISOString(),
        avg: Number(r.v),
        min: Number(r.v),
        max: Number(r.v),
        count: 1,
      })),
    };
  }

  const parts: RawBuilder<unknown>[] = plan.segments.map((s) =>
    s.level === 'raw'
      ? sql`select ts as t, 1 as cnt, (metrics->>${q.metric})::float8 as total, (metrics->>${q.metric})::float8 as mn, (metrics->>${q.metric})::float8 as mx
            from telemetry where device_id = ${deviceId} and ts >= ${s.from} and ts < ${s.to} and jsonb_typeof(metrics->${q.metric}) = 'number'`
      : sql`select bucket as t, count as cnt, sum as total, min as mn, max as mx from ${sql.table(s.level === '1m' ? 'telemetry_1m' : 'telemetry_1h')}
            where device_id = ${deviceId} and metric = ${q.metric} and bucket >= ${s.from} and bucket < ${s.to}`,
  );
  const rows = await sql<{ t: Date; count: number; avg: number; min: number; max: number }>`
    select date_bin(make_interval(secs => ${plan.bucketS}), x.t, ${BUCKET_ORIGIN}::timestamptz) as t,
      sum(x.cnt)::int as count, sum(x.total) / nullif(sum(x.cnt), 0) as avg, min(x.mn) as min, max(x.mx) as max
    from (${sql.join(parts, sql` union all `)}) x
    group by 1 order by 1`.execute(db);
  return {
    device_id: deviceId,
    metric: q.metric,
    from: from.toISOString(),
    to: to.toISOString(),
    bucket: formatBucket(plan.bucketS),
    bucket_s: plan.bucketS,
    sources: plan.segments.map((s) => s.level),
    points: rows.rows.map((r) => ({
      t: new Date(r.t).toISOString(),
      avg: Number(r.avg),
      min: Number(r.min),
      max: Number(r.max),
      count: Number(r.count),
    })),
  };
}
