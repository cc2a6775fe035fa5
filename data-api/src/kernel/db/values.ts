// Values between SQL and the API: timestamps, LIKE patterns, constraint errors.
import { ApiError, conflict } from '../errors/index.ts';

export const iso = (d: Date | string | null): string | null => (d === null ? null : new Date(d).toISOString());

/** `q` as an ILIKE "contains" pattern in which `%`, `_` and `\` match only themselves. */
export const likeContains = (q: string): string => `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** Maps PostgreSQL constraint errors to the contract's 409, naming the duplicate. */
export function translateDbError(err: unknown, what: string, id?: string): never {
  const code = (err as { code?: string }).code;
  if (code === '23505') throw conflict(`${what}${id ? ` ${id}` : ''} already exists`);
  if (code === '23503') throw conflict(`${what}${id ? ` ${id}` : ''} is still referenced by other records`);
  if (err instanceof ApiError) throw err;
  throw err;
}
