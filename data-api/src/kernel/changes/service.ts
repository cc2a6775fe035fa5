import { sql, type Kysely, type Transaction } from 'kysely';
import { json, type Database } from '../db/index.ts';

/** The one NOTIFY channel of the change feed; the payload is the event id. */
export const CHANGES_CHANNEL = 'fleetbook_changes';
/** Live, not stored: coalesced telemetry samples fanned out to every replica's SSE clients. */
export const LIVE_CHANNEL = 'fleetbook_live';
/** PostgreSQL refuses NOTIFY payloads of 8,000 bytes or more; larger live samples are dropped. */
export const MAX_NOTIFY_BYTES = 7900;
const CHANGES_LOCK = 7_273_001;

export interface ChangeInput {
  /** e.g. `device.updated`, `alert.opened`, `execution.ticked`. */
  type: string;
  subject: { type: string; id: string };
  /** For tenant filtering on the stream: null means visible to unscoped readers only. */
  customerId: string | null;
  siteId?: string | null;
  payload?: Record<string, unknown>;
}

/**
 * Records a change inside the caller's transaction and notifies every replica. The
 * NOTIFY is transactional too: listeners hear of it only if the write commits, and the
 * event id (bigserial) orders the feed for SSE `Last-Event-ID`.
 */
export async function emitChange(trx: Transaction<Database> | Kysely<Database>, change: ChangeInput): Promise<number> {
  return (await emitChanges(trx, [change]))[0]!;
}

/** Rows per INSERT: 6 parameters each, well under PostgreSQL's 65,535. */
const EMIT_CHUNK = 1000;

/**
 * Several changes at once (in order): one lock, one INSERT per 1,000, one NOTIFY. The
 * ingest uses it when many devices come up in one batch (a fleet reconnecting after an
 * outage), where one round trip per event would hold the change lock for seconds.
 */
export async function emitChanges(
  trx: Transaction<Database> | Kysely<Database>,
  changes: ChangeInput[],
): Promise<number[]> {
  if (!changes.length) return [];
  // Serialise event-writing transactions from here to commit, so ids become visible in
  // id order: a reader that has seen event N can never later find a committed N-1.
  await sql`select pg_advisory_xact_lock(${CHANGES_LOCK})`.execute(trx);
  const ids: number[] = [];
  for (let i = 0; i < changes.length; i += EMIT_CHUNK) {
    const rows = await trx
      .insertInto('change_events')
      .values(
        changes.slice(i, i + EMIT_CHUNK).map((change) => ({
          type: change.type,
          subject_type: change.subject.type,
          subject_id: change.subject.id,
          customer_id: change.customerId,
          site_id: change.siteId ?? null,
          payload: json(change.payload ?? {}),
        })),
      )
      .returning('id')
      .execute();
    // A multi-row INSERT takes serial values in VALUES order; sort anyway, ids are the feed's order.
    ids.push(...rows.map((r) => r.id).sort((a, b) => a - b));
  }
  // One wake-up is enough: every replica reads all events after the last it delivered.
  await sql`select pg_notify(${CHANGES_CHANNEL}, ${String(ids[ids.length - 1])})`.execute(trx);
  return ids;
}

/**
 * Live telemetry for SSE clients on every replica: a NOTIFY, nothing stored. Callers
 * coalesce per device (a few per second at most).
 */
export async function publishLive(
  db: Kysely<Database>,
  sample: {
    device_id: string;
    site_id: string | null;
    customer_id: string | null;
    ts: number;
    status?: string | null;
    metrics: Record<string, number>;
  },
): Promise<void> {
  const payload = JSON.stringify(sample);
  if (payload.length > MAX_NOTIFY_BYTES) return;
  await sql`select pg_notify(${LIVE_CHANNEL}, ${payload})`.execute(db);
}
