import { sql, type Kysely } from 'kysely';
import { COPY_NULL, copyField, copyFromStdin } from '../../kernel/db/copy-from-stdin.ts';
import type { Database } from '../../kernel/db/index.ts';
import { isoString } from '../../kernel/db/values.ts';

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
 * The ingest's hot write: a whole batch at once, idempotent on (device_id, msg_id).
 *
 * A batch goes by COPY, PostgreSQL's bulk write: about half the database CPU per row of the
 * INSERT below (no plan, no speculative insertion per row), whether a batch holds 10 rows or 5,000.
 * COPY has no ON CONFLICT, and repeats are rare (a redelivered session, a device sending again),
 * so a batch holding one is refused whole and written again by telemetryInsert, which absorbs
 * the repeats and names them; for REPEATS_QUIET_MS after that every batch takes telemetryInsert
 * (repeats come in runs, and each refused COPY is work thrown away).
 *
 * The benchmark's database ceiling runs this same function (`table` is its copy).
 */
export async function insertTelemetryRows(
  db: Kysely<Database>,
  rows: TelemetryRow[],
  table = 'telemetry',
): Promise<InsertedTelemetry> {
  if (!rows.length) return { inserted: 0, repeats: [] };
  if (Date.now() >= copyAgainAt) {
    if (await copyTelemetryRows(db, rows, table)) return { inserted: rows.length, repeats: [] };
    copyAgainAt = Date.now() + REPEATS_QUIET_MS;
  }
  const out: InsertedTelemetry = { inserted: 0, repeats: [] };
  for (const r of (await telemetryInsert(rows, table).execute(db)).rows) {
    if (r.inserted !== null) out.inserted = r.inserted;
    else out.repeats.push({ device_id: r.device_id!, msg_id: r.msg_id! });
  }
  return out;
}

/** After a batch refused by COPY, batches take telemetryInsert this long. */
const REPEATS_QUIET_MS = 10_000;
// Per process, a hint only: any writer may COPY a batch, whatever another one met.
let copyAgainAt = 0;

const COLUMNS = ['device_id', 'msg_id', 'ts', 'status', 'metrics'] as const;

/**
 * Stores a batch by COPY: true when every row was stored, false when PostgreSQL refused the batch
 * for its data (a reading already stored, or a value COPY cannot take) and stored none of it.
 * In a transaction a savepoint, set in the COPY's own message, keeps the refusal from aborting
 * it; other errors are thrown.
 */
export async function copyTelemetryRows(
  db: Kysely<Database>,
  rows: TelemetryRow[],
  table = 'telemetry',
): Promise<boolean> {
  const savepoint = db.isTransaction ? 'telemetry_copy' : undefined;
  try {
    await db.executeQuery(copyFromStdin(table, COLUMNS, telemetryCopyText(rows), { savepoint }));
    return true;
  } catch (err) {
    if (!refusedForData(err)) throw err;
    if (savepoint) await sql`rollback to savepoint ${sql.id(savepoint)}`.execute(db);
    return false;
  }
}

/** SQLSTATE classes 22 (data exception) and 23 (integrity constraint violation, a repeated key). */
const refusedForData = (err: unknown) => /^2[23]/.test(String((err as { code?: unknown }).code ?? ''));

/** The rows in COPY's text format, in COLUMNS order. */
export function telemetryCopyText(rows: TelemetryRow[]): string {
  let text = '';
  for (const r of rows)
    text += `${copyField(r.device_id)}\t${copyField(r.msg_id)}\t${copyTimestamp(r.ts)}\t${
      r.status === null ? COPY_NULL : copyField(r.status)
    }\t${copyField(JSON.stringify(r.metrics))}\n`;
  return text;
}

const UNIX_TO_POSTGRES_EPOCH_S = 946_684_800;

/**
 * Epoch seconds as the timestamptz `to_timestamp(ts)` makes of them, to the microsecond: PostgreSQL
 * rounds (ts − 2000-01-01) × 10⁶ half to even (rint), so this does too, then writes ISO 8601 UTC.
 */
export function copyTimestamp(ts: number): string {
  const x = (ts - UNIX_TO_POSTGRES_EPOCH_S) * 1e6;
  let us = Math.round(x);
  if (us - x === 0.5 && us % 2 !== 0) us -= 1; // Math.round takes a half up, rint to even
  const unixUs = us + UNIX_TO_POSTGRES_EPOCH_S * 1e6;
  const ms = Math.floor(unixUs / 1000);
  const iso = isoString(new Date(ms));
  return `${iso.slice(0, -1)}${String(unixUs - ms * 1000).padStart(3, '0')}Z`;
}

/**
 * The statement of a batch COPY refused: it absorbs the repeats and names them, the batch's rows
 * that the insert did not return, found by one hash anti-join (tests/integration/telemetry-insert.test.ts
 * checks the plan). It is also the jsonb INSERT of #18's baseline pipeline (bench/ingest-per-message.ts).
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
