import type { Principal } from '../auth/roles.ts';
import { ApiError, conflict, notFound } from '../errors/index.ts';

export const iso = (d: Date | string | null): string | null => (d === null ? null : new Date(d).toISOString());
/** The customer a principal is limited to, or null for an unscoped principal. */
export const scopeOf = (principal: Principal): string | null => principal.customerId;

/** `q` as an ILIKE "contains" pattern in which `%`, `_` and `\` match only themselves. */
export const likeContains = (q: string): string => `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** A row outside the caller's tenant is reported exactly like a missing one. */
export function assertInScope(principal: Principal, customerId: string | null, what: string, id: string): void {
  const scope = scopeOf(principal);
  if (scope !== null && customerId !== scope) throw notFound(what, id);
}

/** Maps PostgreSQL constraint errors to the contract's 409, naming the duplicate. */
export function translateDbError(err: unknown, what: string, id?: string): never {
  const code = (err as { code?: string }).code;
  if (code === '23505') throw conflict(`${what}${id ? ` ${id}` : ''} already exists`);
  if (code === '23503') throw conflict(`${what}${id ? ` ${id}` : ''} is still referenced by other records`);
  if (err instanceof ApiError) throw err;
  throw err;
}
