import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/index.ts';
import { REPLAY_LIMIT } from '../stream/hub.ts';

export interface ChangeRetention {
  /** Events younger than this are kept (default 7 days): the feed is for catching up, the audit log is the record. */
  days: number;
  /** The newest events kept whatever their age, so a stream client can always resume within the replay window. */
  keepLast: number;
}

export const DEFAULT_CHANGE_RETENTION: ChangeRetention = { days: 7, keepLast: REPLAY_LIMIT };

/**
 * Trims the change feed. A client that asks to resume from a pruned event gets the stream's
 * `reset` (re-fetch by REST), exactly as when it falls out of the replay window, so nothing
 * is silently skipped. Deletes in chunks: no long lock on a table every write appends to.
 */
export async function pruneChangeEvents(
  db: Kysely<Database>,
  retention: ChangeRetention = DEFAULT_CHANGE_RETENTION,
  chunk = 10_000,
): Promise<number> {
  let deleted = 0;
  for (let i = 0; i < 100; i++) {
    const res = await sql`
      delete from change_events where id in (
        select id from change_events
        where at < now() - make_interval(days => ${retention.days})
          and id <= (select coalesce(max(id), 0) from change_events) - ${retention.keepLast}
        order by id limit ${chunk})`.execute(db);
    const n = Number(res.numAffectedRows ?? 0);
    deleted += n;
    if (n < chunk) break;
  }
  return deleted;
}
