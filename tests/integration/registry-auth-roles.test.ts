import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../data-api/src/app.ts';
import type { ProxyIdentityOptions } from '../../data-api/src/kernel/auth/options.ts';
import { allows, type AuthRequirement } from '../../data-api/src/kernel/auth/roles.ts';
import { hashToken } from '../../data-api/src/kernel/auth/tokens.ts';
import { openDatabase, type DatabaseHandle } from '../../data-api/src/kernel/db/index.ts';
import { migrateToLatest } from '../../data-api/src/kernel/db/migrator.ts';
import { createTestApp, headlessContext, type TestApp } from '../helpers/app.ts';
import { runCli } from '../helpers/cli.ts';
import { createTestDatabase } from '../helpers/database.ts';
import { bearer, client, must, snapshot } from '../helpers/registry.ts';

// contracts.md: bearer tokens with a role — viewer (read), operator, automation, admin
// (registry writes, tokens); stored hashed; an SSO proxy's identity header is trusted
// only from a configured proxy address; open localhost reads only when enabled.

const ROLES = ['viewer', 'operator', 'automation', 'admin', 'station'] as const;

/** The requirement the OpenAPI description states ("Requires: …"), back to config.auth. */
function requirementOf(description: string | undefined): AuthRequirement | 'public' {
  const m = /Requires: (.+)\.$/.exec(description ?? '');
  if (!m) return 'public';
  const table: Record<string, AuthRequirement> = {
    'any role': 'viewer',
    admin: 'admin',
    'operator (or admin)': 'operator',
    'automation (or admin)': 'automation',
    'operator or automation (or admin)': 'operator_or_automation',
    'station token': 'station',
  };
  // Routes shared by every customer add ", with a token not scoped to a customer (…)": the role is before it.
  const need = table[m[1]!.replace(/, with a token not scoped to a customer.*$/, '')];
  if (!need) throw new Error(`unexpected requirement text "${m[1]}"`);
  return need;
}

/** A path parameter value of the right shape, so an allowed call gets past validation. */
function concrete(p: string): string {
  const sample: Record<string, string> = {
    customers: 'cus_nobody',
    sites: 'site_nobody',
    deployments: 'dep_nobody',
    devices: 'dev_nobody',
    inventory: 'inv_nobody',
    tokens: 'tok_nobody',
    products: 'no-such-product',
  };
  return p
    .replace(/\/([a-z-]+)\/\{(\w+)\}/g, (_m, seg: string) => `/${seg}/${sample[seg] ?? 'x'}`)
    .replace(/\{\w+\}/g, 'x');
}

/** Routes of the registry, auth and audit areas: safe to call with an allowed role (no streams). */
const OURS =
  /^\/api\/v1\/((customers|sites|deployments|devices|inventory|tokens)(\/\{id\})?|devices\/\{id\}\/desired-state|products(\/\{code\})?|whoami|audit)$/;

describe('roles on every route (table-driven over the OpenAPI document)', () => {
  let t: TestApp;
  const tokens: Partial<Record<(typeof ROLES)[number], string>> = {};
  let revoked: string;
  let operations: Array<{ method: string; path: string; need: AuthRequirement | 'public'; op: any }> = [];

  beforeAll(async () => {
    t = await createTestApp();
    for (const role of ROLES) tokens[role] = await bearer(t.ctx.db, role);
    revoked = await bearer(t.ctx.db, 'admin', null, 'revoked-admin');
    await t.ctx.db
      .updateTable('api_tokens')
      .set({ revoked_at: new Date() })
      .where('secret_hash', '=', hashToken(revoked))
      .execute();
    const doc = (await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json();
    for (const [p, item] of Object.entries<Record<string, any>>(doc.paths)) {
      if (!p.startsWith('/api/v1/')) continue; // e.g. /metrics: outside the versioned API
      for (const [method, op] of Object.entries<any>(item)) {
        if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
        operations.push({ method: method.toUpperCase(), path: p, need: requirementOf(op.description), op });
      }
    }
  });
  afterAll(async () => t?.close());

  it('the document lists the registry routes, each with a stated requirement', () => {
    const names = operations.map((o) => `${o.method} ${o.path}`);
    for (const thing of ['customers', 'sites', 'deployments', 'devices', 'inventory']) {
      expect(names).toEqual(
        expect.arrayContaining([
          `GET /api/v1/${thing}`,
          `POST /api/v1/${thing}`,
          `GET /api/v1/${thing}/{id}`,
          `PATCH /api/v1/${thing}/{id}`,
          `DELETE /api/v1/${thing}/{id}`,
        ]),
      );
    }
    expect(names).toEqual(
      expect.arrayContaining([
        'PUT /api/v1/devices/{id}/desired-state',
        'GET /api/v1/products',
        'GET /api/v1/products/{code}',
        'GET /api/v1/audit',
        'POST /api/v1/tokens',
        'GET /api/v1/tokens',
        'DELETE /api/v1/tokens/{id}',
      ]),
    );
    // Registry writes and tokens are admin's; reads any role's.
    for (const o of operations.filter((o) => OURS.test(o.path))) {
      const isTokenRoute = o.path.startsWith('/api/v1/tokens');
      expect(o.need, `${o.method} ${o.path}`).toBe(o.method === 'GET' && !isTokenRoute ? 'viewer' : 'admin');
    }
  });

  it('every guarded operation declares bearer security and "Requires:", every open one none', () => {
    for (const o of operations) {
      if (o.need === 'public') expect(o.op.security, `${o.method} ${o.path}`).toEqual([]);
      else {
        expect(o.op.security, `${o.method} ${o.path}`).toEqual([{ bearer: [] }]);
        expect(o.op.description).toMatch(
          /Requires: [a-z ()]+(, with a token not scoped to a customer \(shared by every customer\))?\.$/,
        );
      }
    }
    // Health is open; nothing of the registry, tokens or audit is.
    const open = operations.filter((o) => o.need === 'public').map((o) => o.path);
    expect(open).toContain('/api/v1/health');
    expect(open.filter((p) => OURS.test(p))).toEqual([]);
    expect(operations.filter((o) => OURS.test(o.path)).length).toBe(33);
  });

  it('documents every registry, token and audit route with its schemas', () => {
    // contracts.md: the OpenAPI document of the whole API, generated from the same schemas.
    for (const o of operations.filter((x) => OURS.test(x.path))) {
      const where = `${o.method} ${o.path}`;
      expect(o.op.summary, where).toEqual(expect.any(String));
      const ok = Object.keys(o.op.responses).filter((c) => c.startsWith('2'));
      expect(ok, where).toHaveLength(1);
      if (ok[0] !== '204') expect(o.op.responses[ok[0]!].content['application/json'].schema, where).toBeTruthy();
      for (const code of ['401', '403'])
        expect(o.op.responses[code]?.content['application/json'].schema, `${where} ${code}`).toBeTruthy();
      const params = (o.op.parameters ?? []) as Array<{ in: string; name: string; schema: unknown }>;
      for (const name of [...o.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1])) {
        expect(params.find((p) => p.in === 'path' && p.name === name)?.schema, `${where} path ${name}`).toBeTruthy();
      }
      if (['POST', 'PATCH', 'PUT'].includes(o.method))
        expect(o.op.requestBody?.content['application/json'].schema, where).toBeTruthy();
    }
    const devices = operations.find((o) => o.method === 'GET' && o.path === '/api/v1/devices')!;
    const query = (devices.op.parameters as Array<{ in: string; name: string }>)
      .filter((p) => p.in === 'query')
      .map((p) => p.name);
    expect(query).toEqual(
      expect.arrayContaining(['limit', 'cursor', 'site_id', 'deployment_id', 'role', 'status', 'product_code', 'q']),
    );
    const del = operations.find((o) => o.method === 'DELETE' && o.path === '/api/v1/sites/{id}')!;
    expect((del.op.parameters as Array<{ name: string }>).map((p) => p.name)).toContain('cascade');
  });

  it('no token → 401; an unknown, malformed or revoked token → 401 (on every guarded route)', async () => {
    const guarded = operations.filter((o) => o.need !== 'public');
    expect(guarded.length).toBeGreaterThan(30);
    for (const o of guarded) {
      const url = concrete(o.path);
      const body = ['POST', 'PUT', 'PATCH'].includes(o.method)
        ? { payload: '{}', headers: { 'content-type': 'application/json' } }
        : {};
      const none = await t.app.inject({ method: o.method as 'GET', url, ...body });
      expect(none.statusCode, `${o.method} ${url} without token`).toBe(401);
      expect(none.json()).toEqual({ error: 'unauthorized', message: 'a bearer token is required' });
      for (const header of [
        `Bearer ${revoked}`,
        'Bearer fbk_00000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
        'Bearer not-a-token',
        'Basic dXNlcjpwYXNz',
      ]) {
        const res = await t.app.inject({
          method: o.method as 'GET',
          url,
          ...body,
          headers: { ...(body.headers ?? {}), authorization: header },
        });
        expect(res.statusCode, `${o.method} ${url} with ${header.slice(0, 20)}`).toBe(401);
      }
    }
  });

  it('each role gets 403 where it is not allowed and passes auth where it is', async () => {
    let denied = 0;
    let passed = 0;
    for (const o of operations.filter((o) => o.need !== 'public')) {
      const url = concrete(o.path);
      for (const role of ROLES) {
        const principal = { kind: 'token' as const, name: role, role, customerId: null, stationId: null };
        const allowed = allows(principal, o.need as AuthRequirement);
        // Streams never end under inject: only denials are checked outside our areas.
        if (allowed && !OURS.test(o.path)) continue;
        const body = ['POST', 'PUT', 'PATCH'].includes(o.method) ? { payload: '{}' } : {};
        const res = await t.app.inject({
          method: o.method as 'GET',
          url,
          ...body,
          headers: {
            authorization: `Bearer ${tokens[role]}`,
            ...(body.payload ? { 'content-type': 'application/json' } : {}),
          },
        });
        if (allowed) {
          expect([401, 403], `${role} ${o.method} ${url}: ${res.body}`).not.toContain(res.statusCode);
          expect(res.statusCode, `${role} ${o.method} ${url}: ${res.body}`).toBeLessThan(500);
          passed++;
        } else {
          expect(res.statusCode, `${role} ${o.method} ${url}: ${res.body}`).toBe(403);
          expect(res.json()).toEqual({
            error: 'forbidden',
            message: expect.stringContaining(`(role ${role}) may not ${o.method}`),
          });
          denied++;
        }
      }
    }
    expect(denied).toBeGreaterThan(50);
    expect(passed).toBeGreaterThan(30);
  });

  it('a denied write is refused before its body is read: 403, not 400, and nothing is written', async () => {
    const before = await snapshot(t.ctx.db);
    const viewer = client(t.app, tokens.viewer!);
    for (const res of [
      await viewer.post('/customers', { id: 'cus_roles-x', name: 'X' }),
      await viewer.post('/customers', '{"broken'),
      await viewer.del('/sites/not-even-an-id'),
      await client(t.app, tokens.operator!).put('/devices/dev_x/desired-state', { desired_state: {} }),
      await client(t.app, tokens.automation!).post('/tokens', { name: 'escalate', role: 'admin' }),
    ]) {
      expect(res.statusCode).toBe(403);
    }
    expect(await snapshot(t.ctx.db)).toEqual(before);
  });

  it('the app refuses to start with an /api/v1 route that declares no auth', async () => {
    const app = await buildApp(t.ctx);
    app.register(async (api) => api.get('/api/v1/naked', async () => ({ ok: true })));
    await expect(app.ready()).rejects.toThrow('route GET /api/v1/naked declares no auth requirement (config.auth)');
    await app.close().catch(() => {});
  });
});

describe('tokens are stored hashed and shown once', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => t?.close());

  it('POST /tokens returns a working token once; the database and every listing hold only its hash', async () => {
    const admin = client(t.app, await bearer(t.ctx.db, 'admin', null, 'root'));
    await must(admin.post('/customers', { id: 'cus_tok', name: 'Tok' }));
    const created = await must(admin.post('/tokens', { name: 'grafana', role: 'viewer', customer_id: 'cus_tok' }));
    expect(created).toMatchObject({
      name: 'grafana',
      role: 'viewer',
      customer_id: 'cus_tok',
      token: expect.stringMatching(/^fbk_[0-9a-f]{8}_[A-Za-z0-9_-]{43}$/),
    });
    expect(created.token.startsWith(`fbk_${created.prefix}_`)).toBe(true);
    const secret = created.token.slice(`fbk_${created.prefix}_`.length);

    // It works…
    const who = await must(client(t.app, created.token).get('/whoami'), 200);
    expect(who).toEqual({ kind: 'token', name: 'grafana', role: 'viewer', customer_id: 'cus_tok' });

    // …and nothing stored or listed contains it: only sha256(token).
    const row = await t.ctx.db
      .selectFrom('api_tokens')
      .selectAll()
      .where('id', '=', created.id)
      .executeTakeFirstOrThrow();
    expect(row.secret_hash).toBe(hashToken(created.token));
    const { rows } = await sql<{ dump: string }>`
      select (select coalesce(string_agg(t::text, '|'), '') from api_tokens t) ||
             (select coalesce(string_agg(a::text, '|'), '') from audit_log a) ||
             (select coalesce(string_agg(c::text, '|'), '') from change_events c) as dump`.execute(t.ctx.db);
    expect(rows[0]!.dump).not.toContain(secret);
    expect(rows[0]!.dump).not.toContain(created.token);
    const list = await admin.get('/tokens');
    expect(list.body).not.toContain(secret);
    expect(list.json().items).toContainEqual(
      expect.objectContaining({ id: created.id, name: 'grafana', prefix: created.prefix, revoked_at: null }),
    );
    expect(list.json().items[0]).not.toHaveProperty('token');
    expect(list.json().items[0]).not.toHaveProperty('secret_hash');

    // Revoked: the same token is refused from then on.
    expect((await admin.del(`/tokens/${created.id}`)).statusCode).toBe(204);
    expect((await client(t.app, created.token).get('/whoami')).statusCode).toBe(401);
    expect((await admin.del(`/tokens/${created.id}`)).statusCode).toBe(204); // idempotent
    expect((await admin.del('/tokens/tok_nope')).statusCode).toBe(404);
  });

  it('POST /tokens refuses an unknown customer (404) and an unknown role (400), writing nothing', async () => {
    const admin = client(t.app, await bearer(t.ctx.db, 'admin', null, 'root2'));
    const before = await snapshot(t.ctx.db);
    const a = await admin.post('/tokens', { name: 'x', role: 'viewer', customer_id: 'cus_nobody' });
    expect(a.statusCode).toBe(404);
    expect(a.json().message).toBe('customer cus_nobody not found');
    const b = await admin.post('/tokens', { name: 'x', role: 'station' });
    expect(b.statusCode).toBe(400);
    expect(b.json().issues[0].path).toBe('body.role');
    expect(await snapshot(t.ctx.db)).toEqual(before);
  });
});

describe('identity from an SSO proxy', () => {
  const proxy: ProxyIdentityOptions = {
    trustedAddresses: ['10.0.0.5', 'fd00::5'],
    userHeader: 'x-forwarded-user',
    groupsHeader: 'x-forwarded-groups',
    roleMap: { 'fleet-admins': 'admin', 'fleet-ops': 'operator' },
    defaultRole: 'viewer',
  };
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ auth: { openReads: false, proxy } });
  });
  afterAll(async () => t?.close());

  const as = (remoteAddress: string, user?: string, groups?: string) =>
    client(t.app, null, {
      remoteAddress,
      headers: { ...(user ? { 'x-forwarded-user': user } : {}), ...(groups ? { 'x-forwarded-groups': groups } : {}) },
    });

  it('is honoured from a configured proxy address and mapped to a role', async () => {
    // contracts.md: the API can trust an identity header from a configured proxy address, mapped to a role.
    expect((await as('10.0.0.5', 'alice', 'staff,fleet-admins').get('/whoami')).json()).toEqual({
      kind: 'proxy',
      name: 'alice',
      role: 'admin',
      customer_id: null,
    });
    expect((await as('::ffff:10.0.0.5', 'olga', 'fleet-ops').get('/whoami')).json()).toMatchObject({
      name: 'olga',
      role: 'operator',
    });
    expect((await as('fd00::5', 'bob').get('/whoami')).json()).toMatchObject({ name: 'bob', role: 'viewer' });

    // Writes go through with the mapped role and are audited under the proxy's user.
    await must(as('10.0.0.5', 'alice', 'fleet-admins').post('/customers', { id: 'cus_proxy', name: 'Via proxy' }));
    const entry = await t.ctx.db
      .selectFrom('audit_log')
      .selectAll()
      .where('entity_id', '=', 'cus_proxy')
      .executeTakeFirstOrThrow();
    expect(entry.actor).toBe('alice');
    // A default-role user may read but not write.
    expect((await as('10.0.0.5', 'bob').get('/customers/cus_proxy')).statusCode).toBe(200);
    expect((await as('10.0.0.5', 'bob').post('/customers', { name: 'nope' })).statusCode).toBe(403);
  });

  it('is ignored from any other address (and without a user header)', async () => {
    const before = await snapshot(t.ctx.db);
    for (const addr of ['10.0.0.6', '127.0.0.1', '::1', '192.168.1.5']) {
      const res = await as(addr, 'mallory', 'fleet-admins').post('/customers', { id: 'cus_spoofed', name: 'Spoofed' });
      expect(res.statusCode, addr).toBe(401);
      expect((await as(addr, 'mallory', 'fleet-admins').get('/customers')).statusCode, addr).toBe(401);
    }
    expect((await as('10.0.0.5', undefined, 'fleet-admins').get('/customers')).statusCode).toBe(401);
    // Claiming to come through the proxy does not make it so: only the socket address counts.
    const forwarded = client(t.app, null, {
      remoteAddress: '10.9.9.9',
      headers: {
        'x-forwarded-for': '10.0.0.5',
        'x-real-ip': '10.0.0.5',
        'x-forwarded-user': 'mallory',
        'x-forwarded-groups': 'fleet-admins',
      },
    });
    expect((await forwarded.get('/whoami')).statusCode).toBe(401);
    expect(await snapshot(t.ctx.db)).toEqual(before);
  });

  it('a bearer token wins over proxy headers', async () => {
    const token = await bearer(t.ctx.db, 'viewer', null, 'token-user');
    const res = await client(t.app, token, {
      remoteAddress: '10.0.0.5',
      headers: { 'x-forwarded-user': 'alice', 'x-forwarded-groups': 'fleet-admins' },
    }).get('/whoami');
    expect(res.json()).toMatchObject({ kind: 'token', name: 'token-user', role: 'viewer' });
  });

  it('a proxy user named like fleetbook’s own actors (system:…, station:…) is refused (403), nothing written', async () => {
    const before = await snapshot(t.ctx.db);
    for (const user of ['system:monitor', 'station:dev_x']) {
      const res = await as('10.0.0.5', user, 'fleet-admins').post('/customers', { name: 'Impostor' });
      expect(res.statusCode).toBe(403);
      expect(res.json().message).toBe(
        `${user}: names beginning with system: or station: are fleetbook's own (its background jobs and RFID stations)`,
      );
    }
    expect(await snapshot(t.ctx.db)).toEqual(before);
  });

  it('with no default role, a user in no mapped group is refused (403)', async () => {
    const strict = await createTestApp({ auth: { openReads: false, proxy: { ...proxy, defaultRole: null } } });
    try {
      const res = await strict.app.inject({
        method: 'GET',
        url: '/api/v1/whoami',
        remoteAddress: '10.0.0.5',
        headers: { 'x-forwarded-user': 'eve', 'x-forwarded-groups': 'staff' },
      });
      expect(res.statusCode).toBe(403);
      expect(res.json().message).toBe('eve is in no group mapped to a fleetbook role');
    } finally {
      await strict.close();
    }
  });
});

describe('open localhost reads', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ auth: { openReads: true, proxy: null } });
  });
  afterAll(async () => t?.close());

  it('lets localhost read without a token, and nothing else', async () => {
    // contracts.md: reads can be left open to localhost (FLEETBOOK_OPEN_READS).
    for (const addr of ['127.0.0.1', '::1', '::ffff:127.0.0.1']) {
      const res = await client(t.app, null, { remoteAddress: addr }).get('/customers');
      expect(res.statusCode, addr).toBe(200);
    }
    expect((await client(t.app, null, { remoteAddress: '127.0.0.1' }).get('/whoami')).json()).toEqual({
      kind: 'anonymous',
      name: 'localhost',
      role: 'viewer',
      customer_id: null,
    });
    expect((await client(t.app, null, { remoteAddress: '10.1.2.3' }).get('/customers')).statusCode).toBe(401);
    expect(
      (await client(t.app, null, { remoteAddress: '127.0.0.1' }).post('/customers', { name: 'x' })).statusCode,
    ).toBe(401);
    // Token admin is still admin-only.
    expect((await client(t.app, null, { remoteAddress: '127.0.0.1' }).get('/tokens')).statusCode).toBe(403);
  });
});

describe('fleetbook token create (CLI)', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetbook-token-cli-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  /** The CLI needs a database a child process can open: the test's pg database, or a PGlite folder. */
  async function cliDatabase(): Promise<{
    args: string[];
    env: Record<string, string>;
    seed(fn: (db: DatabaseHandle['db']) => Promise<unknown>): Promise<void>;
    open(): Promise<DatabaseHandle>;
    close(): Promise<void>;
  }> {
    if (process.env.TEST_DATABASE_URL) {
      const database = await createTestDatabase();
      return {
        args: [],
        env: { DATABASE_URL: database.url! },
        seed: async (fn) => void (await fn(database.handle.db)),
        open: async () => database.handle,
        close: () => database.drop(),
      };
    }
    // PGlite is one process's database: the test lets go of the folder while the CLI runs.
    const dataDir = path.join(tmp, 'data');
    const options = { kind: 'pglite' as const, dataDir: path.join(dataDir, 'pg') };
    let handle: DatabaseHandle | null = null;
    return {
      args: ['--data-dir', dataDir],
      env: { DATABASE_URL: '' },
      async seed(fn) {
        const h = await openDatabase(options);
        try {
          await migrateToLatest(h.db);
          await fn(h.db);
        } finally {
          await h.close();
        }
      },
      open: async () => (handle ??= await openDatabase(options)),
      close: async () => handle?.close(),
    };
  }

  it('prints a token that works against the API, scoped to the customer it names', async () => {
    const cli = await cliDatabase();
    try {
      await cli.seed((db) =>
        db
          .insertInto('customers')
          .values([
            { id: 'cus_cli', name: 'CLI Co' },
            { id: 'cus_cli-other', name: 'Other' },
          ])
          .execute(),
      );
      const res = await runCli(
        ['token', 'create', '--name', 'ci-reader', '--role', 'viewer', '--customer', 'cus_cli', ...cli.args],
        { ...cli.env, LOG_LEVEL: 'silent' },
      );
      expect(res.code, res.stderr).toBe(0);
      const token = res.stdout.trim();
      expect(token).toMatch(/^fbk_[0-9a-f]{8}_[A-Za-z0-9_-]{43}$/);
      expect(res.stderr).toMatch(
        /^token tok_[0-9a-f]+ \(viewer, customer cus_cli\): shown once, only its hash is stored\n$/,
      );

      const bad = await runCli(
        ['token', 'create', '--name', 'x', '--role', 'viewer', '--customer', 'cus_nope', ...cli.args],
        cli.env,
      );
      expect(bad.code).toBe(1);
      expect(bad.stderr).toBe('fleetbook: customer cus_nope not found\n');
      const badRole = await runCli(['token', 'create', '--name', 'x', '--role', 'root', ...cli.args], cli.env);
      expect(badRole.code).not.toBe(0);
      expect(badRole.stderr).toContain('Allowed choices are viewer, operator, automation, admin');

      const handle = await cli.open();
      const stored = await handle.db.selectFrom('api_tokens').selectAll().execute();
      expect(stored).toHaveLength(1);
      expect(stored[0]).toMatchObject({
        name: 'ci-reader',
        role: 'viewer',
        customer_id: 'cus_cli',
        secret_hash: hashToken(token),
      });
      expect(JSON.stringify(stored)).not.toContain(token.slice(14));

      const app = await buildApp(headlessContext(handle));
      try {
        const api = client(app, token);
        expect((await api.get('/whoami')).json()).toEqual({
          kind: 'token',
          name: 'ci-reader',
          role: 'viewer',
          customer_id: 'cus_cli',
        });
        expect((await api.get('/customers')).json().items.map((c: { id: string }) => c.id)).toEqual(['cus_cli']);
        expect((await api.get('/customers/cus_cli-other')).statusCode).toBe(404);
        expect((await api.post('/customers', { name: 'x' })).statusCode).toBe(403);
      } finally {
        await app.close();
      }
    } finally {
      await cli.close();
    }
  }, 120_000);
});
