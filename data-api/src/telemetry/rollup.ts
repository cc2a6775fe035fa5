import { sql, type Kysely } from 'kysely';
import type { Database } from '../kernel/db/index.ts';
import { DEFAULT_RETENTION, type RetentionOptions } from './ingest/options.ts';

/** Buckets start on this origin (UTC): 1-hour and 1-day buckets align to UTC midnight. */
export const BUCKET_ORIGIN = '2000-01-01T00:00:00Z';
/** Arrivals younger than this are left for the next run (belt and braces; see below). */
const SETTLE_MS = 5_000;
/** One step folds in at most this much arrival time (bounded transactions). */
const STEP_MS = 5 * 60_000;
const STATE = 'telemetry';

/**
 * Folds raw telemetry into the 1-minute and 1-hour rollups, incrementally and exactly
 * once: each run takes the rows that ARRIVED (received_at) since the watermark, adds them
 * to their buckets (count, sum, min, max are all mergeable), and moves the watermark, in
 * one transaction. Following arrival time rather than reading time is what makes late
 * data work: a reading backfilled today for last week lands in last week's buckets, even
 * after last week's raw rows are gone.
 *
 * The watermark never passes the start of a transaction still open elsewhere: a row not
 * yet committed has a received_at after its transaction began, so it is never skipped.
 * Only client backends count: autovacuum workers never insert telemetry, and one
 * analysing a busy table would otherwise hold the watermark back for its whole run.
 */
export async function runRollup(
  db: Kysely<Database>,
  options: { maxSteps?: number; settleMs?: number } = {},
): Promise<{ minutes: number; hours: number; watermark: Date | null }> {
  const settleMs = options.settleMs ?? SETTLE_MS;
  let minutes = 0;
  let hours = 0;
  let watermark: Date | null = null;
  for (let step = 0; step < (options.maxSteps ?? 50); step++) {
    const done = await db.transaction().execute(async (trx) => {
      let state = await sql<{
        watermark: Date;
      }>`select watermark from telemetry_rollup_state where name = ${STATE} for update`.execute(trx);
      if (!state.rows.length) {
        await sql`
          insert into telemetry_rollup_state (name, watermark)
          select ${STATE}, min(received_at) - interval '1 millisecond' from telemetry having min(received_at) is not null
          on conflict (name) do nothing`.execute(trx);
        state = await sql<{
          watermark: Date;
        }>`select watermark from telemetry_rollup_state where name = ${STATE} for update`.execute(trx);
        if (!state.rows.length) return true; // no telemetry yet
      }
      const from = new Date(state.rows[0]!.watermark);
      watermark = from;
      const bounds = await sql<{ next: Date | null; open_since: Date | null; now: Date }>`
        select (select min(received_at) from telemetry where received_at > ${from}) as next,
               (select min(xact_start) from pg_stat_activity
                 where xact_start is not null and pid <> pg_backend_pid() and datname = current_database()
                   and backend_type = 'client backend') as open_since,
               now() as now`.execute(trx);
      const b = bounds.rows[0]!;
      if (!b.next) return true;
      const now = new Date(b.now).getTime();
      let cut = Math.min(now - settleMs, new Date(b.next).getTime() - 1 + STEP_MS);
      if (b.open_since) cut = Math.min(cut, new Date(b.open_since).getTime() - 1);
      if (cut <= from.getTime()) return true;
      const to = new Date(cut);

      for (const [table, width] of [
        ['telemetry_1m', '1 minute'],
        ['telemetry_1h', '1 hour'],
      ] as const) {
        const res = await sql`
          insert into ${sql.table(table)} (device_id, metric, bucket, count, sum, min, max)
          select t.device_id, m.key, date_bin(${width}::interval, t.ts, ${BUCKET_ORIGIN}::timestamptz),
                 count(*), sum((m.value)::float8), min((m.value)::float8), max((m.value)::float8)
          from telemetry t cross join lateral jsonb_each(t.metrics) m
          where t.received_at > ${from} and t.received_at <= ${to} and jsonb_typeof(m.value) = 'number'
          group by 1, 2, 3
          on conflict (device_id, metric, bucket) do update set
            count = ${sql.table(table)}.count + excluded.count,
            sum = ${sql.table(table)}.sum + excluded.sum,
            min = least(${sql.table(table)}.min, excluded.min),
            max = greatest(${sql.table(table)}.max, excluded.max)`.execute(trx);
        if (table === 'telemetry_1m') minutes += Number(res.numAffectedRows ?? 0);
        else hours += Number(res.numAffectedRows ?? 0);
      }
      await sql`update telemetry_rollup_state set watermark = ${to}, updated_at = now() where name = ${STATE}`.execute(
        trx,
      );
      watermark = to;
      return cut >= now - settleMs;
    });
    if (done) break;
  }
  return { minutes, hours, watermark };
}

/**
 * Retention (contracts.md: raw 30 days, rollups longer): deletes in chunks so no single
 * statement holds locks for long. Raw rows go only once the rollup has folded them in.
 */
export async function runRetention(
  db: Kysely<Database>,
  retention: RetentionOptions = DEFAULT_RETENTION,
  chunk = 10_000,
): Promise<Record<string, number>> {
  const deleted: Record<string, number> = {};
  const state = await sql<{
    watermark: Date;
  }>`select watermark from telemetry_rollup_state where name = ${STATE}`.execute(db);
  const rolledUpTo = state.rows[0]?.watermark ?? null;
  const jobs: Array<[string, ReturnType<typeof sql>]> = [
    [
      'telemetry',
      sql`delete from telemetry where ctid in (
            select ctid from telemetry where ts < now() - make_interval(days => ${retention.rawDays})
              and received_at <= ${rolledUpTo ?? new Date(0)} limit ${chunk})`,
    ],
    [
      'telemetry_1m',
      sql`delete from telemetry_1m where ctid in (select ctid from telemetry_1m where bucket < now() - make_interval(days => ${retention.rollup1mDays}) limit ${chunk})`,
    ],
    [
      'telemetry_1h',
      sql`delete from telemetry_1h where ctid in (select ctid from telemetry_1h where bucket < now() - make_interval(days => ${retention.rollup1hDays}) limit ${chunk})`,
    ],
    [
      'dead_letters',
      sql`delete from dead_letters where ctid in (select ctid from dead_letters where received_at < now() - make_interval(days => ${retention.deadLetterDays}) limit ${chunk})`,
    ],
    [
      'device_health_events',
      sql`delete from device_health_events where ctid in (select ctid from device_health_events where at < now() - make_interval(days => ${retention.rollup1hDays}) limit ${chunk})`,
    ],
  ];
  for (const [table, statement] of jobs) {
    deleted[table] = 0;
    for (let i = 0; i < 100; i++) {
      const res = await statement.execute(db);
      const n = Number(res.numAffectedRows ?? 0);
      deleted[table] += n;
      if (n < chunk) break;
    }
  }
  return deleted;
}
