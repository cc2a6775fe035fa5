import type { Principal } from './roles.ts';

/**
 * The principals of bearer tokens seen in the last second, so that a client's every request
 * is not also a database round trip (issue #18: the registry list at 10 connections).
 *
 * How promptly a revocation takes effect:
 * - revoked through this process (DELETE /tokens, a station's re-claim, a customer's
 *   deletion): at once, since each of those writers calls forgetTokens() after its commit;
 * - revoked anywhere else (another worker or replica, `fleetbook token revoke` on the
 *   database): within TOKEN_CACHE_TTL_MS, when the entry expires and the token is looked up again.
 *
 * Only found tokens are kept: an unknown token is looked up on every request (so one created a
 * moment ago by another worker works at once, and junk tokens cannot fill the cache). Entries
 * are per database handle, so apps on two databases in one process never share one.
 */
export const TOKEN_CACHE_TTL_MS = 1000;

/** Beyond this many live tokens per database the cache starts over (a bound, not an expected size). */
const MAX_ENTRIES = 10_000;

interface Entry {
  principal: Principal;
  expires: number;
  generation: number;
}

const caches = new WeakMap<object, Map<string, Entry>>();
/** Bumped by forgetTokens(): every entry of an older generation is stale. */
let generation = 0;

/** Drops every cached principal of this process: call after a committed write that revokes or deletes tokens. */
export function forgetTokens(): void {
  generation++;
}

/**
 * The principal of the token whose hash is `hash`, from the cache or from `lookup` (null: unknown
 * or revoked, not cached). An entry made from a lookup that raced a forgetTokens() is already
 * stale: it carries the generation from before the lookup.
 */
export async function cachedPrincipal(
  /** The database handle (Kysely) the token is looked up in. */
  db: object,
  hash: string,
  lookup: () => Promise<Principal | null>,
): Promise<Principal | null> {
  let cache = caches.get(db);
  if (!cache) caches.set(db, (cache = new Map()));
  const now = performance.now();
  const hit = cache.get(hash);
  if (hit && hit.expires > now && hit.generation === generation) return hit.principal;
  const asked = generation;
  const principal = await lookup();
  if (!principal) {
    cache.delete(hash);
    return null;
  }
  if (cache.size >= MAX_ENTRIES) cache.clear();
  cache.set(hash, { principal, expires: now + TOKEN_CACHE_TTL_MS, generation: asked });
  return principal;
}
