import { sql, type Kysely, type Transaction } from 'kysely';
import { json, type Database } from '../db/index.ts';

/** The one NOTIFY channel of the change feed; the payload is the event id. */
export const CHANGES_CHANNEL = 'fleetbook_changes';

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
