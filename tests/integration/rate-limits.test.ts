import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../data-api/src/app.ts';
import { createToken } from '../../data-api/src/kernel/auth/service.ts';
import type { RateLimits } from '../../data-api/src/contracts/rate-limits.ts';
import { openDatabase, type DatabaseHandle } from '../../data-api/src/kernel/db/index.ts';
import { createTestApp, headlessContext, type TestApp } from '../helpers/app.ts';
import { backendName, bearer, seedFleet, tag } from './ingest-fixtures.ts';

// Issue 17: @fastify/rate-limit on the claim, events and token routes: 429 with Retry-After,
// limits from configuration, and one count across two replicas (the counters are in the database).
describe(`rate limits across two replicas (${backendName()})`, () => {
  // A day-long window: the test cannot straddle a window boundary and see the count reset.
  const DAY = 86_400_000;
  const limits = (store: RateLimits['store']): RateLimits => ({
    store,
    limits: { claim: { max: 4, windowMs: DAY }, events: { max: 3, windowMs: DAY }, tokens: { max: 3, windowMs: DAY } },
  });
  let t: TestApp;
  let second: { app: App; database: DatabaseHandle; own: boolean };
  const id = tag();

  /** Another replica: its own app and, on PostgreSQL, its own connection pool to the same database. */
  async function replica(store: RateLimits['store']) {
    const own = t.database.url !== null;
    const database = own ? await openDatabase({ kind: 'pg', url: t.database.url!, max: 5 }) : t.ctx.database;
    const app = await buildApp(headlessContext(database, { rateLimits: limits(store) }));
    await app.ready();
    return { app, database, own };
  }
  const close = async (r: { app: App; database: DatabaseHandle; own: boolean }) => {
    await r.app.close();
    if (r.own) await r.database.close();
  };

  beforeAll(async () => {
    t = await createTestApp({ rateLimits: limits('database') });
    second = await replica('database');
  });
  afterAll(async () => {
    if (second) await close(second);
    await t?.close();
  });

  const claim = (app: App, remoteAddress: string) =>
    app.inject({
      method: 'POST',
      url: '/api/v1/stations/claim',
      remoteAddress,
      payload: { mac: 'aa:bb:cc:dd:ee:01', claim_code: 'WRONG-CODE-0000' },
    });

  it('claims: 4 per client address in all, whichever replica answers; then 429 with Retry-After and the error body', async () => {
    const address = '198.51.100.7';
    const answers = [];
    for (let i = 0; i < 6; i++) answers.push(await claim(i % 2 ? second.app : t.app, address));
    expect(answers.map((r) => r.statusCode)).toEqual([401, 401, 401, 401, 429, 429]);
    const limited = answers[4]!;
    const retryAfter = Number(limited.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(DAY / 1000);
    expect(limited.headers['x-ratelimit-limit']).toBe('4');
    expect(limited.headers['x-ratelimit-remaining']).toBe('0');
    expect(limited.json()).toEqual({
      error: 'rate_limited',
      message: expect.stringMatching(
        /^too many requests to POST \/api\/v1\/stations\/claim: the limit is 4 per day per client address; retry after \d+ s$/,
      ),
    });
    // Another address has its own count.
    expect((await claim(second.app, '198.51.100.8')).statusCode).toBe(401);
  });

  it('with per-replica counters (store: memory) each replica allows the limit: why the database is the default', async () => {
    const a = await replica('memory');
    const b = await replica('memory');
    try {
      const statuses = [];
      for (let i = 0; i < 10; i++) statuses.push((await claim(i % 2 ? b.app : a.app, '198.51.100.9')).statusCode);
      expect(statuses.filter((s) => s === 401)).toHaveLength(8);
      expect(statuses.slice(-2)).toEqual([429, 429]);
    } finally {
      await close(a);
      await close(b);
    }
  });

  it('events: per station; token routes: per caller', async () => {
    const fleet = await seedFleet(t.ctx.db, id, { sites: 1, devices: [{ name: 's1' }, { name: 's2' }] });
    const stationToken = async (device: string) => ({
      authorization: `Bearer ${(await createToken(t.ctx.db, { name: `station-${device}`, role: 'station', stationId: device })).token}`,
    });
    const s1 = await stationToken(fleet.devices.s1!.id);
    const s2 = await stationToken(fleet.devices.s2!.id);
    const post = (app: App, headers: Record<string, string>) =>
      app.inject({ method: 'POST', url: '/api/v1/events', headers, payload: { events: [] } });
    const s1Statuses = [];
    for (let i = 0; i < 5; i++) s1Statuses.push((await post(i % 2 ? second.app : t.app, s1)).statusCode);
    expect(s1Statuses).toEqual([400, 400, 400, 429, 429]); // an empty batch is a 400, and it counts
    expect((await post(second.app, s2)).statusCode).toBe(400);

    const alice = await bearer(t.ctx.db, 'admin');
    const bob = await bearer(t.ctx.db, 'admin');
    const list = (app: App, headers: Record<string, string>) =>
      app.inject({ method: 'GET', url: '/api/v1/tokens', headers });
    const aliceStatuses = [];
    for (let i = 0; i < 4; i++) aliceStatuses.push((await list(i % 2 ? second.app : t.app, alice)).statusCode);
    expect(aliceStatuses).toEqual([200, 200, 200, 429]);
    expect((await list(t.app, bob)).statusCode).toBe(200);
    // Routes without a limit are untouched.
    for (let i = 0; i < 5; i++)
      expect((await t.app.inject({ method: 'GET', url: '/api/v1/whoami', headers: alice })).statusCode).toBe(200);
  });

  it('the limits are in the OpenAPI document: the route says its limit and documents the 429', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json();
    const claimOp = doc.paths['/api/v1/stations/claim'].post;
    expect(claimOp.description).toContain('Rate limit: 4 per day per client address');
    expect(claimOp.responses['429'].headers['retry-after'].schema).toEqual({ type: 'integer' });
    expect(doc.paths['/api/v1/events'].post.description).toContain('per station');
    expect(doc.paths['/api/v1/tokens'].get.responses['429']).toBeDefined();
    expect(doc.paths['/api/v1/whoami'].get.responses['429']).toBeUndefined();
  });
});
