import path from 'node:path';
import { Writable } from 'node:stream';
import { sql } from 'kysely';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../data-api/src/app.ts';
import { openBroker, type BrokerHandle } from '../../data-api/src/telemetry/broker/index.ts';
import { PROJECT_ROOT } from '../../data-api/src/kernel/paths.ts';
import { loadProductCatalog } from '../../data-api/src/registry/products.ts';
import { createTestBroker, type TestBroker } from '../helpers/broker.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { bearer, client, must, type Client } from '../helpers/registry.ts';
import { headlessContext } from '../helpers/app.ts';
import { migrations } from '../../data-api/migrations/index.ts';

// domain.md: LoRaWAN keys (app_key) are secrets: stored write-only, never returned, never
// written to a page. Issue: never logged — not in responses, logs, audit rows or change events.

const APP_KEY = '2B7E151628AED2A6ABF7158809CF4F3C';
const NWK_KEY = 'A1B2C3D4E5F60718293A4B5C6D7E8F90';
const NEW_APP_KEY = '0F1E2D3C4B5A69788796A5B4C3D2E1F0';
const KEYS = [APP_KEY, NWK_KEY, NEW_APP_KEY];

/** Is any key in this text, in any letter case? */
const leaks = (text: string) => KEYS.filter((k) => text.toLowerCase().includes(k.toLowerCase()));

describe('LoRaWAN keys are write-only', () => {
  let database: TestDatabase;
  let testBroker: TestBroker;
  let broker: BrokerHandle;
  let app: App;
  let admin: Client;
  let viewer: Client;
  let logs = '';
  const bodies: string[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    await loadProductCatalog(database.handle.db, path.join(PROJECT_ROOT, 'docs', 'products'));
    testBroker = await createTestBroker();
    broker = await openBroker({ kind: 'external', url: testBroker.url }, `fb-secrets-${process.pid}`);
    // The most talkative logger there is: every request, every level.
    const sink = new Writable({
      write(chunk, _enc, done) {
        logs += chunk.toString();
        done();
      },
    });
    const logger = pino({ level: 'trace' }, sink);
    app = await buildApp(headlessContext(database.handle, { broker }), { logger });
    await app.ready();
    const record = (c: Client): Client => {
      const wrap = async (p: Promise<{ body: string }>) => {
        const r = await p;
        bodies.push(r.body);
        return r;
      };
      return {
        get: (u) => wrap(c.get(u)) as never,
        post: (u, b) => wrap(c.post(u, b)) as never,
        patch: (u, b) => wrap(c.patch(u, b)) as never,
        put: (u, b) => wrap(c.put(u, b)) as never,
        del: (u) => wrap(c.del(u)) as never,
        call: (m, u, b) => wrap(c.call(m, u, b)) as never,
      };
    };
    admin = record(client(app, await bearer(database.handle.db, 'admin')));
    viewer = record(client(app, await bearer(database.handle.db, 'viewer')));

    await must(admin.post('/customers', { id: 'cus_sec', name: 'Secrets' }));
    await must(admin.post('/sites', { id: 'site_sec', customer_id: 'cus_sec', name: 'S' }));
    await must(
      admin.post('/deployments', {
        id: 'dep_sec',
        site_id: 'site_sec',
        product_code: 'soil-probe',
        product_version: '1.4.2',
      }),
    );
  });
  afterAll(async () => {
    await app?.close();
    await broker?.close();
    await testBroker?.close();
    await database?.drop();
  });

  it('stores keys on create and on change, and only ever shows their names', async () => {
    const created = await must(
      admin.post('/devices', {
        id: 'dev_sec-1',
        deployment_id: 'dep_sec',
        product_code: 'soil-probe',
        role: 'sensor',
        external_refs: { chirpstack: { dev_eui: 'a84041ffff00beef', device_id: 'cs-beef' } },
        secrets: { app_key: APP_KEY, nwk_key: NWK_KEY },
      }),
    );
    expect(created.secrets_set).toEqual(['app_key', 'nwk_key']);
    expect(created).not.toHaveProperty('secrets');

    const patched = await must(
      admin.patch('/devices/dev_sec-1', { name: 'Probe', secrets: { app_key: NEW_APP_KEY } }),
      200,
    );
    expect(patched.secrets_set).toEqual(['app_key', 'nwk_key']);
    await must(admin.put('/devices/dev_sec-1/desired-state', { desired_state: { adr: true } }), 200);

    // Lists tell the same story as the single read: which keys are set, never their values.
    const listed = await must(viewer.get('/devices?deployment_id=dep_sec'), 200);
    expect(listed.items.find((d: { id: string }) => d.id === 'dev_sec-1').secrets_set).toEqual(['app_key', 'nwk_key']);

    // Stored (write-only) where the ingest/provisioning can use it.
    const stored = await database.handle.db
      .selectFrom('device_secrets')
      .select(['name', 'value'])
      .where('device_id', '=', 'dev_sec-1')
      .orderBy('name')
      .execute();
    expect(stored).toEqual([
      { name: 'app_key', value: NEW_APP_KEY },
      { name: 'nwk_key', value: NWK_KEY },
    ]);
  });

  it('refused writes that carry a key do not echo it', async () => {
    for (const body of [
      { secrets: { app_key: APP_KEY, colour: NWK_KEY } },
      { secrets: { app_key: `${APP_KEY}00` } },
      { secrets: { app_key: APP_KEY }, observed_state: { k: NWK_KEY } },
    ]) {
      const res = await admin.patch('/devices/dev_sec-1', body);
      expect(res.statusCode).toBe(400);
    }
    const dup = await admin.post('/devices', {
      id: 'dev_sec-1',
      deployment_id: 'dep_sec',
      product_code: 'soil-probe',
      role: 'sensor',
      secrets: { app_key: APP_KEY },
    });
    expect(dup.statusCode).toBe(409);
    const forbidden = await viewer.patch('/devices/dev_sec-1', { secrets: { app_key: APP_KEY } });
    expect(forbidden.statusCode).toBe(403);
  });

  it('no key appears in any response, list, search, log line, audit row or change event', async () => {
    // Read it back every way the API offers.
    await must(viewer.get('/devices/dev_sec-1'), 200);
    await must(viewer.get('/devices?deployment_id=dep_sec'), 200);
    const search = await must(viewer.get(`/devices?q=${APP_KEY.slice(0, 12)}`), 200);
    expect(search.items).toEqual([]); // keys are not searchable either
    await must(viewer.get('/audit?entity_id=dev_sec-1'), 200);
    const openapi = await app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
    bodies.push(openapi.body);

    expect(bodies.length).toBeGreaterThan(10);
    for (const body of bodies) expect(leaks(body)).toEqual([]);

    const { rows } = await sql<{ dump: string }>`
      select (select coalesce(string_agg(a::text, '|'), '') from audit_log a) || '#' ||
             (select coalesce(string_agg(c::text, '|'), '') from change_events c) || '#' ||
             (select coalesce(string_agg(d::text, '|'), '') from devices d) as dump`.execute(database.handle.db);
    // The dump is not trivially empty: it holds the device's entries, just not its keys.
    expect(rows[0]!.dump).toContain('dev_sec-1');
    expect(rows[0]!.dump).toContain('a84041ffff00beef');
    expect(leaks(rows[0]!.dump)).toEqual([]);

    // The logger really captured the traffic (including the writes), and no key.
    expect(logs).toContain('/api/v1/devices/dev_sec-1');
    expect(logs.split('\n').filter(Boolean).length).toBeGreaterThan(20);
    expect(leaks(logs)).toEqual([]);
  });

  it('a database migrated from before secrets_set was stored gets the names of the keys it holds', async () => {
    const db = database.handle.db;
    await must(
      admin.post('/devices', { id: 'dev_sec-2', deployment_id: 'dep_sec', product_code: 'soil-probe', role: 'sensor' }),
    );
    const m = migrations['0106_device_secrets_set']!;
    await m.down!(db);
    await m.up(db);
    const rows = await db.selectFrom('devices').select(['id', 'secrets_set']).orderBy('id').execute();
    expect(rows).toEqual([
      { id: 'dev_sec-1', secrets_set: ['app_key', 'nwk_key'] },
      { id: 'dev_sec-2', secrets_set: [] },
    ]);
    expect((await must(viewer.get('/devices/dev_sec-1'), 200)).secrets_set).toEqual(['app_key', 'nwk_key']);
  });

  it('deleting the device deletes its keys', async () => {
    expect((await admin.del('/devices/dev_sec-1')).statusCode).toBe(204);
    const left = await database.handle.db
      .selectFrom('device_secrets')
      .selectAll()
      .where('device_id', '=', 'dev_sec-1')
      .execute();
    expect(left).toEqual([]);
    expect(leaks(logs)).toEqual([]);
  });
});
