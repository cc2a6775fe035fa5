import type { TokenRole } from '../db/schema.ts';

/** Who is calling: a token, a person behind the SSO proxy, or an open localhost read. */
export interface Principal {
  kind: 'token' | 'proxy' | 'anonymous';
  /** The token name or the proxy's user: what the audit log records as "who". */
  name: string;
  role: TokenRole;
  /** A tenant-scoped principal sees and changes only this customer's data. */
  customerId: string | null;
  /** Station tokens may only post events for their own station. */
  stationId: string | null;
}

/** What a route needs: `public` needs nothing; a role needs that role (admin has all). */
export type AuthRequirement =
  'public' | 'viewer' | 'operator' | 'automation' | 'admin' | 'station' | 'operator_or_automation';

/**
 * Who a write route lets a customer-scoped principal be. `tenant`: a scoped principal may
 * call it, and the route keeps the effect inside its customer (its rows, its share of a
 * schedule slot). `unscoped`: the route changes state every customer shares (surfaces, runbook
 * leads, the simulator's fleet, creating or deleting customers): only a principal that is not
 * scoped to a customer may call it. Every write route under /api/v1 declares one.
 */
export type WriteScope = 'tenant' | 'unscoped';

export const WRITE_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * contracts.md roles: viewer reads; operator also executes runbooks and acknowledges
 * alerts; automation also writes automation runs; admin does everything. A station
 * token reads nothing and may only post its own events.
 */
export function allows(principal: Principal, need: AuthRequirement): boolean {
  if (need === 'public') return true;
  const role = principal.role;
  if (role === 'admin') return need !== 'station';
  if (need === 'station') return role === 'station';
  if (role === 'station') return false;
  if (need === 'viewer') return true;
  if (need === 'operator_or_automation') return role === 'operator' || role === 'automation';
  return role === need;
}
