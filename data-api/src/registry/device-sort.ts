import { sql, type SelectQueryBuilder } from 'kysely';
import type { DeviceSort, DeviceSortKey } from '../contracts/registry.ts';
import type { Database } from '../kernel/db/index.ts';
import { validationError } from '../kernel/errors/index.ts';
import type { SortedAfter } from '../kernel/db/pagination.ts';

/** How each sort key's cursor value (text) is read back for comparison. */
const KEY_TYPE: Record<DeviceSortKey, 'text' | 'timestamptz'> = {
  id: 'text',
  name: 'text',
  serial: 'text',
  status: 'text',
  last_seen: 'timestamptz',
  site_id: 'text',
  deployment_id: 'text',
  product_code: 'text',
  role: 'text',
  created_at: 'timestamptz',
};

/** PostgreSQL's text form of a timestamptz (`2025-05-01 12:34:56.789012+00`), as the cursor carries it. */
const PG_TIMESTAMPTZ = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(\.\d{1,6})?(Z|[+-]\d{2}(:?\d{2}){0,2})?$/;

/**
 * A timestamp key from a cursor, checked here rather than by the cast in SQL: a forged value
 * ('garbage', month 13) would otherwise fail inside PostgreSQL as a 500.
 */
function assertTimestampKey(key: string): void {
  const m = PG_TIMESTAMPTZ.exec(key);
  const [y, mo, d, h, mi, s] = (m ?? []).slice(1, 7).map(Number) as number[];
  const valid =
    m !== null &&
    mo! >= 1 &&
    mo! <= 12 &&
    d! >= 1 &&
    d! <= new Date(Date.UTC(y!, mo!, 0)).getUTCDate() &&
    h! <= 23 &&
    mi! <= 59 &&
    s! <= 59;
  if (!valid)
    throw validationError([
      { path: 'querystring.cursor', message: 'invalid cursor: pass back the next_cursor of a previous page unchanged' },
    ]);
}

export const parseSort = (sort: DeviceSort): { key: DeviceSortKey; desc: boolean } =>
  sort.startsWith('-')
    ? { key: sort.slice(1) as DeviceSortKey, desc: true }
    : { key: sort as DeviceSortKey, desc: false };

/**
 * Orders a device list by (key, id), empty keys last in both directions, and resumes after
 * a cursor's row. The key is also selected as text (`sort_key`) for the next cursor: text
 * keeps a timestamp's microseconds, which a JS Date would round away (and so repeat rows).
 *
 * No index serves these orders except id's: PostgreSQL runs a top-N sort over the filtered
 * rows (tens of ms at 100k devices). last_seen in particular stays unindexed on purpose:
 * every reading updates it, and an index on it would turn those into non-HOT updates.
 * A row whose key changes during a walk can move across the cursor (inherent to keyset).
 */
export function orderDevices<O>(
  query: SelectQueryBuilder<Database, 'devices', O>,
  sort: DeviceSort,
  after: SortedAfter | null,
) {
  const { key, desc } = parseSort(sort);
  const id = sql.ref('devices.id');
  const cmp = sql.raw(desc ? '<' : '>');
  if (key === 'id') {
    const q = after ? query.where(sql<boolean>`${id} ${cmp} ${after.id}`) : query;
    return q.select(sql<string | null>`devices.id`.as('sort_key')).orderBy(id, desc ? 'desc' : 'asc');
  }
  const col = sql.ref(`devices.${key}`);
  let q = query;
  if (after) {
    if (after.key !== null && KEY_TYPE[key] === 'timestamptz') assertTimestampKey(after.key);
    const k = sql`cast(${after.key} as ${sql.raw(KEY_TYPE[key])})`;
    q = q.where(
      after.key === null
        ? sql<boolean>`(${col} is null and ${id} ${cmp} ${after.id})`
        : sql<boolean>`(${col} ${cmp} ${k} or (${col} = ${k} and ${id} ${cmp} ${after.id}) or ${col} is null)`,
    );
  }
  return q
    .select(sql<string | null>`${col}::text`.as('sort_key'))
    .orderBy(col, (ob) => (desc ? ob.desc() : ob.asc()).nullsLast())
    .orderBy(id, desc ? 'desc' : 'asc');
}
