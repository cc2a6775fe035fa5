import { validationError } from '../errors/index.ts';
import { findUnstorable } from '../validation/storable.ts';

/**
 * Keyset pagination over the primary key: the cursor is the last id of the page, wrapped
 * so callers treat it as opaque. Rows inserted during a walk never shift or repeat a page.
 */
export function encodeCursor(lastId: string): string {
  return Buffer.from(JSON.stringify({ v: 1, after: lastId })).toString('base64url');
}

const invalid = () =>
  validationError([
    { path: 'querystring.cursor', message: 'invalid cursor: pass back the next_cursor of a previous page unchanged' },
  ]);

type Parsed = { v: 1; after: string } | { v: 2; sort: string; k: string | null; after: string };

function parseCursor(cursor: string): Parsed {
  try {
    const p = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Record<string, unknown>;
    // A forged cursor is text too: what PostgreSQL cannot store it cannot compare either.
    if (findUnstorable(p).length > 0) throw invalid();
    const after = typeof p.after === 'string' && p.after.length > 0 ? p.after : null;
    if (p.v === 1 && after) return { v: 1, after };
    if (p.v === 2 && after && typeof p.sort === 'string' && (p.k === null || typeof p.k === 'string'))
      return { v: 2, sort: p.sort, k: p.k, after };
  } catch {
    // fall through to the error below
  }
  throw invalid();
}

/**
 * A numeric keyset bound (a bigserial id) read from a cursor: a whole number PostgreSQL's
 * bigint and a JS number both hold exactly; 1e308 or 2^63 is a forged cursor, not an id.
 */
export const isIdBound = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;

export function decodeCursor(cursor: string | undefined): string | null {
  if (cursor === undefined) return null;
  const parsed = parseCursor(cursor);
  if (parsed.v !== 1) throw invalid();
  return parsed.after;
}

/**
 * Newest-first keyset pagination: the cursor holds the last id of the page as `before`.
 * `isId` says what an id of the list looks like; anything else is a forged cursor.
 */
export function encodeBeforeCursor(lastId: string | number): string {
  return Buffer.from(JSON.stringify({ v: 1, before: lastId })).toString('base64url');
}

export function decodeBeforeCursor<T extends string | number>(
  cursor: string | undefined,
  isId: (before: unknown) => before is T,
): T | null {
  if (cursor === undefined) return null;
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { v?: number; before?: unknown };
    if (parsed.v === 1 && isId(parsed.before)) return parsed.before;
  } catch {
    // fall through to the error below
  }
  throw invalid();
}

/** Where a sorted walk resumes: after the row with this sort key (as text; null when empty) and id. */
export interface SortedAfter {
  key: string | null;
  id: string;
}

/**
 * Keyset pagination under a sort (`sort` ≠ `id`): the cursor holds the sort it was made for
 * and the last row's (sort key, id), so a page never depends on an offset. A cursor made
 * for one sort is refused with another: it would silently skip or repeat rows. Sorting by
 * id keeps the plain cursor above.
 */
export function encodeSortedCursor(sort: string, key: string | null, lastId: string): string {
  return sort === 'id'
    ? encodeCursor(lastId)
    : Buffer.from(JSON.stringify({ v: 2, sort, k: key, after: lastId })).toString('base64url');
}

export function decodeSortedCursor(cursor: string | undefined, sort: string): SortedAfter | null {
  if (cursor === undefined) return null;
  const parsed = parseCursor(cursor);
  const madeFor = parsed.v === 1 ? 'id' : parsed.sort;
  if (madeFor !== sort) {
    throw validationError([
      {
        path: 'querystring.cursor',
        message: `this cursor pages sort=${madeFor}, not sort=${sort}: pass the same sort with it, or start again without a cursor`,
      },
    ]);
  }
  return parsed.v === 1 ? { key: parsed.after, id: parsed.after } : { key: parsed.k, id: parsed.after };
}

/** Splits the `limit + 1` rows a query fetched into a page and its next cursor. */
export function toPage<T extends { id: string }, U>(
  rows: T[],
  limit: number,
  map: (row: T) => U,
  cursorOf: (last: T) => string = (last) => encodeCursor(last.id),
): { items: U[]; next_cursor: string | null } {
  const hasMore = rows.length > limit;
  const items = hasMore ? rows.slice(0, limit) : rows;
  return { items: items.map(map), next_cursor: hasMore ? cursorOf(items[items.length - 1]!) : null };
}
