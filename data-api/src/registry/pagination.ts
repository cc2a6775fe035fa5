import { validationError } from '../errors/index.ts';

/**
 * Keyset pagination over the primary key: the cursor is the last id of the page, wrapped
 * so callers treat it as opaque. Rows inserted during a walk never shift or repeat a page.
 */
export function encodeCursor(lastId: string): string {
  return Buffer.from(JSON.stringify({ v: 1, after: lastId })).toString('base64url');
}

export function decodeCursor(cursor: string | undefined): string | null {
  if (cursor === undefined) return null;
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { v?: number; after?: unknown };
    if (parsed.v === 1 && typeof parsed.after === 'string' && parsed.after.length > 0) return parsed.after;
  } catch {
    // fall through to the error below
  }
  throw validationError([{ path: 'querystring.cursor', message: 'invalid cursor: pass back the next_cursor of a previous page unchanged' }]);
}

/** Splits the `limit + 1` rows a query fetched into a page and its next cursor. */
export function toPage<T extends { id: string }, U>(rows: T[], limit: number, map: (row: T) => U): { items: U[]; next_cursor: string | null } {
  const hasMore = rows.length > limit;
  const items = hasMore ? rows.slice(0, limit) : rows;
  return { items: items.map(map), next_cursor: hasMore ? encodeCursor(items[items.length - 1]!.id) : null };
}
