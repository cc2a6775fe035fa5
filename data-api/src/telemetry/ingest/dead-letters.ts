import type { Kysely } from 'kysely';
import type { Principal } from '../../kernel/auth/roles.ts';
import type { Database } from '../../kernel/db/index.ts';
import { decodeBeforeCursor, encodeBeforeCursor, isIdBound } from '../../kernel/db/pagination.ts';
import type { DeadLetterQuery, DeadLetterView } from '../../contracts/dead-letters.ts';

/** Newest first, keyset-paginated on id. A customer-scoped token sees its own sites' only. */
export async function listDeadLetters(
  db: Kysely<Database>,
  who: Principal,
  q: DeadLetterQuery,
): Promise<{ items: DeadLetterView[]; next_cursor: string | null }> {
  const before = decodeBeforeCursor(q.cursor, isIdBound);
  let query = db
    .selectFrom('dead_letters')
    .selectAll()
    .orderBy('id', 'desc')
    .limit(q.limit + 1);
  if (who.customerId) query = query.where('customer_id', '=', who.customerId);
  if (q.reason) query = query.where('reason', '=', q.reason);
  if (q.device) query = query.where('device_id', '=', q.device);
  if (q.site) query = query.where('site_id', '=', q.site);
  if (q.from) query = query.where('received_at', '>=', new Date(q.from));
  if (q.to) query = query.where('received_at', '<', new Date(q.to));
  if (before !== null) query = query.where('id', '<', before);
  const rows = await query.execute();
  const more = rows.length > q.limit;
  const items = more ? rows.slice(0, q.limit) : rows;
  return {
    items: items.map((r) => ({
      id: r.id,
      received_at: new Date(r.received_at).toISOString(),
      reason: r.reason as DeadLetterView['reason'],
      topic: r.topic,
      site_id: r.site_id,
      device_id: r.device_id,
      detail: r.detail,
      payload: r.payload,
      payload_encoding: r.payload_encoding,
      payload_bytes: r.payload_bytes,
      truncated: r.truncated,
    })),
    next_cursor: more ? encodeBeforeCursor(items[items.length - 1]!.id) : null,
  };
}
