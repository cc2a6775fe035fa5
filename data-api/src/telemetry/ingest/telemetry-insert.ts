import { sql, type Kysely } from 'kysely';
import type { Database } from '../../kernel/db/index.ts';

/** One reading as the telemetry table stores it. */
export interface TelemetryRow {
  device_id: string;
  msg_id: string;
  /** epoch seconds */
  ts: number;
  status: string | null;
  metrics: Record<string, number>;
}

/** What an insert stored: how many rows were new, and the keys of those already stored (absorbed). */
export interface InsertedTelemetry {
  inserted: number;
  /** Readings already in the table (a repeated msg_id): usually none. */
  repeats: Array<{ device_id: string; msg_id: string }>;
}

/**
 * The ingest's hot statement: a whole batch in ONE multi-row INSERT, idempotent on
 * (device_id, msg_id). The rows travel as one JSON parameter (jsonb_to_recordset): measured
 * against unnest() of per-column arrays and many-parameter VALUES, it is the fastest on both
 * sides (one JSON.stringify in Node, one parse in PostgreSQL), and the same text works on
 * PGlite. The benchmark's database ceiling runs this same function (`table` is its copy).
 *
 * A large batch answers with the count of new rows and the keys of the repeats only, not every
 * new key (RETURNING the whole batch made the client parse a row per reading, and repeats are
 * rare): one row, plus one per repeat. A small one (below COUNT_FROM_ROWS) returns its new keys:
 * the counting statement costs PostgreSQL about 0.2 ms more to plan, more than the client saves
 * on a few hundred rows (at 5,000 readings a second batches are small and many).
 */
export async function insertTelemetryRows(
  db: Kysely<Database>,
  rows: TelemetryRow[],
  table = 'telemetry',
): Promise<InsertedTelemetry> {
  if (!rows.length) return { inserted: 0, repeats: [] };
  const out: InsertedTelemetry = { inserted: 0, repeats: [] };
  if (rows.length < COUNT_FROM_ROWS) {
    const fresh = (await telemetryInsertReturning(rows, table).execute(db)).rows;
    out.inserted = fresh.length;
    if (fresh.length < rows.length) {
      const keys = new Set(fresh.map((r) => `${r.device_id}\u0000${r.msg_id}`));
      for (const r of rows)
        if (!keys.has(`${r.device_id}\u0000${r.msg_id}`))
          out.repeats.push({ device_id: r.device_id, msg_id: r.msg_id });
    }
    return out;
  }
  for (const r of (await telemetryInsert(rows, table).execute(db)).rows) {
    if (r.inserted !== null) out.inserted = r.inserted;
    else out.repeats.push({ device_id: r.device_id!, msg_id: r.msg_id! });
  }
  return out;
}

/** From this many rows a batch is inserted by telemetryInsert (a count and the repeats), below by telemetryInsertReturning. */
export const COUNT_FROM_ROWS = 256;

/** The statement of a small batch: the keys of the new rows. */
export function telemetryInsertReturning(rows: TelemetryRow[], table = 'telemetry') {
  return sql<{ device_id: string; msg_id: string }>`
    insert into ${sql.table(table)} (device_id, msg_id, ts, status, metrics)
    select device_id, msg_id, to_timestamp(ts), status, metrics
    from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as x(device_id text, msg_id text, ts double precision, status text, metrics jsonb)
    on conflict (device_id, msg_id) do nothing
    returning device_id, msg_id`;
}

/**
 * The statement of insertTelemetryRows. The repeats are the batch's rows that the insert did not
 * return, found by one hash anti-join (tests/integration/telemetry-insert.test.ts checks the plan).
 */
export function telemetryInsert(rows: TelemetryRow[], table = 'telemetry') {
  return sql<{ device_id: string | null; msg_id: string | null; inserted: number | null }>`
    with x as materialized (
      select * from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
        as x(device_id text, msg_id text, ts double precision, status text, metrics jsonb)
    ), ins as (
      insert into ${sql.table(table)} (device_id, msg_id, ts, status, metrics)
      select device_id, msg_id, to_timestamp(ts), status, metrics from x
      on conflict (device_id, msg_id) do nothing
      returning device_id, msg_id
    )
    select null as device_id, null as msg_id, (select count(*) from ins)::int as inserted
    union all
    select x.device_id, x.msg_id, null from x
    where not exists (select 1 from ins where ins.device_id = x.device_id and ins.msg_id = x.msg_id)`;
}
