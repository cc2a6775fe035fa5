import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Principal } from '../../data-api/src/kernel/auth/roles.ts';
import { cachedPrincipal, forgetTokens, TOKEN_CACHE_TTL_MS } from '../../data-api/src/kernel/auth/token-cache.ts';

const viewer: Principal = { kind: 'token', name: 'grafana', role: 'viewer', customerId: null, stationId: null };

/** A lookup that answers `answer` and counts how often it was asked. */
function counting(answer: Principal | null) {
  const lookup = Object.assign(async () => (lookup.calls++, answer), { calls: 0 });
  return lookup;
}

describe('the bearer token cache', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('looks a found token up once per TOKEN_CACHE_TTL_MS, then again', async () => {
    vi.useFakeTimers({ toFake: ['performance'] });
    const db = {};
    const lookup = counting(viewer);
    expect(await cachedPrincipal(db, 'h1', lookup)).toEqual(viewer);
    expect(await cachedPrincipal(db, 'h1', lookup)).toEqual(viewer);
    expect(lookup.calls).toBe(1);
    vi.advanceTimersByTime(TOKEN_CACHE_TTL_MS + 1);
    expect(await cachedPrincipal(db, 'h1', lookup)).toEqual(viewer);
    expect(lookup.calls).toBe(2);
  });

  it('keeps no unknown or revoked token: each request asks again', async () => {
    const db = {};
    const lookup = counting(null);
    expect(await cachedPrincipal(db, 'h2', lookup)).toBeNull();
    expect(await cachedPrincipal(db, 'h2', lookup)).toBeNull();
    expect(lookup.calls).toBe(2);
  });

  it('forgetTokens() (a revocation in this process) makes every entry stale at once', async () => {
    const db = {};
    const lookup = counting(viewer);
    await cachedPrincipal(db, 'h3', lookup);
    forgetTokens();
    await cachedPrincipal(db, 'h3', lookup);
    expect(lookup.calls).toBe(2);
  });

  it('an entry whose lookup raced a forgetTokens() is stale: the revocation may have committed meanwhile', async () => {
    const db = {};
    let release!: () => void;
    const slow = new Promise<void>((resolve) => (release = resolve));
    const racing = cachedPrincipal(db, 'h4', async () => (await slow, viewer));
    forgetTokens();
    release();
    await racing;
    const lookup = counting(null);
    expect(await cachedPrincipal(db, 'h4', lookup)).toBeNull();
    expect(lookup.calls).toBe(1);
  });

  it('keeps the entries of two databases apart', async () => {
    const lookup = counting(viewer);
    await cachedPrincipal({}, 'h5', lookup);
    expect(await cachedPrincipal({}, 'h5', counting(null))).toBeNull();
  });
});
