import { sql, type Kysely, type Transaction } from 'kysely';
import { json, type Database } from '../db/index.ts';

/** The one NOTIFY channel of the change feed; the payload is the event id. */
export const CHANGES_CHANNEL = 'fleetbook_changes';
/** Live, not stored: coalesced telemetry samples fanned out to every replica's SSE clients. */
export const LIVE_CHANNEL = 'fleetbook_live';
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
  // Serialise event-writing transactions from here to commit, so ids become visible in
  // id order: a reader that has seen event N can never later find a committed N-1.
  await sql`select pg_advisory_xact_lock(${CHANGES_LOCK})`.execute(trx);
  const row = await trx
    .insertInto('change_events')
    .values({
      type: change.type,
      subject_type: change.subject.type,
      subject_id: change.subject.id,
      customer_id: change.customerId,
      site_id: change.siteId ?? null,
      payload: json(change.payload ?? {}),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await sql`select pg_notify(${CHANGES_CHANNEL}, ${String(row.id)})`.execute(trx);
  return row.id;
}

/**
 * Live telemetry for SSE clients on every replica: a NOTIFY, nothing stored. Callers
 * coalesce per device (a few per second at most); PostgreSQL caps a payload at 8000 bytes.
 */
export async function publishLive(db: Kysely<Database>, sample: { device_id: string; site_id: string | null; customer_id: string | null; ts: number; status?: string | null; metrics: Record<string, number> }): Promise<void> {
  const payload = JSON.stringify(sample);
  if (payload.length > 7900) return;
  await sql`select pg_notify(${LIVE_CHANNEL}, ${payload})`.execute(db);
}
