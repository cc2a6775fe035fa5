import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOKEN_CACHE_TTL_MS } from '../../data-api/src/kernel/auth/token-cache.ts';
import { hashToken } from '../../data-api/src/kernel/auth/tokens.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { bearer, client, must } from '../helpers/registry.ts';

// Found tokens are remembered for TOKEN_CACHE_TTL_MS (kernel/auth/token-cache.ts): a revocation
// made through this process takes effect at once, one made anywhere else within that time.

describe('bearer tokens remembered for a second', () => {
  let t: TestApp;
  let admin: ReturnType<typeof client>;

  beforeAll(async () => {
    t = await createTestApp();
    admin = client(t.app, await bearer(t.ctx.db, 'admin', null, 'root'));
  });
  afterAll(async () => t?.close());

  it('a token revoked elsewhere (another worker or replica, the database itself) is refused within TOKEN_CACHE_TTL_MS', async () => {
    const token = await bearer(t.ctx.db, 'viewer', null, 'elsewhere');
    await must(client(t.app, token).get('/whoami'), 200);
    // What another process's revocation looks like from here: the row changes, nothing is told.
    await t.ctx.db
      .updateTable('api_tokens')
      .set({ revoked_at: new Date() })
      .where('secret_hash', '=', hashToken(token))
      .execute();
    await sleep(TOKEN_CACHE_TTL_MS + 50);
    expect((await client(t.app, token).get('/whoami')).statusCode).toBe(401);
  });

  it('a token revoked through this process is refused on the next request', async () => {
    const created = await must(admin.post('/tokens', { name: 'here', role: 'viewer' }));
    await must(client(t.app, created.token).get('/whoami'), 200);
    await must(admin.del(`/tokens/${created.id}`), 204);
    expect((await client(t.app, created.token).get('/whoami')).statusCode).toBe(401);
  });

  it("a deleted customer's tokens are refused on the next request", async () => {
    await must(admin.post('/customers', { id: 'cus_cache', name: 'Cache customer' }));
    const scoped = await bearer(t.ctx.db, 'viewer', 'cus_cache', 'scoped');
    await must(client(t.app, scoped).get('/whoami'), 200);
    await must(admin.del('/customers/cus_cache'), 204);
    expect((await client(t.app, scoped).get('/whoami')).statusCode).toBe(401);
  });
});
