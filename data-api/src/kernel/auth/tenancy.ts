// Tenancy: a customer-scoped principal sees only its customer's rows, and anything else looks missing.
import { notFound } from '../errors/index.ts';
import type { Principal } from './roles.ts';

/** The customer a principal is limited to, or null for an unscoped principal. */
export const scopeOf = (principal: Principal): string | null => principal.customerId;

/** A row outside the caller's tenant is reported exactly like a missing one. */
export function assertInScope(principal: Principal, customerId: string | null, what: string, id: string): void {
  const scope = scopeOf(principal);
  if (scope !== null && customerId !== scope) throw notFound(what, id);
}
