import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json } from '../../data-api/src/kernel/db/index.ts';
import { migrateToLatest } from '../../data-api/src/kernel/db/migrator.ts';
import { migrations } from '../../data-api/migrations/index.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';

// One suite, run against whichever backend the environment gives: PostgreSQL through pg
// (TEST_DATABASE_URL, as in CI) or embedded PGlite.
describe(`database (${process.env.TEST_DATABASE_URL ? 'PostgreSQL' : 'PGlite'})`, () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase({ migrate: false });
  });
  afterAll(async () => t?.drop());

  it('migrates an empty database to the registry schema', async () => {
    const results = await migrateToLatest(t.handle.db);
    expect(results.map((r) => [r.migrationName, r.status])).toEqual(
      Object.keys(migrations)
        .sort()
        .map((name) => [name, 'Success']),
    );
    const tables = await sql<{ table_name: string }>`
      select table_name from information_schema.tables where table_schema = 'public' order by table_name`.execute(
      t.handle.db,
    );
    expect(tables.rows.map((r) => r.table_name)).toEqual(
      expect.arrayContaining([
        'audit_log',
        'customers',
        'deployments',
        'device_secrets',
        'devices',
        'inventory_items',
        'product_versions',
        'products',
        'sites',
      ]),
    );
  });

  it('is a no-op the second time', async () => {
    expect(await migrateToLatest(t.handle.db)).toEqual([]);
  });

  it('round-trips JSON columns, defaults and bigserial ids the same on both dialects', async () => {
    const db = t.handle.db;
    await db.insertInto('customers').values({ id: 'cus_a', name: 'A' }).execute();
    await db.insertInto('sites').values({ id: 'site_a', customer_id: 'cus_a', name: 'A', timezone: 'UTC' }).execute();
    await db
      .insertInto('devices')
      .values({
        id: 'dev_a',
        site_id: 'site_a',
        product_code: 'soil-probe',
        role: 'sensor',
        desired_state: json({ interval_s: 60 }),
        observed_state: json({}),
        external_refs: json({ chirpstack: { dev_eui: '0011' } }),
      })
      .execute();
    const device = await db.selectFrom('devices').selectAll().where('id', '=', 'dev_a').executeTakeFirstOrThrow();
    expect(device.desired_state).toEqual({ interval_s: 60 });
    expect(device.external_refs).toEqual({ chirpstack: { dev_eui: '0011' } });
    expect(device.status).toBe('unknown');
    expect(device.heartbeat_interval_s).toBe(60);
    expect(device.created_at).toBeInstanceOf(Date);

    const audit = await db
      .insertInto('audit_log')
      .values({ actor: 't', action: 'create', entity: 'device', entity_id: 'dev_a', after: json([1, 2]) })
      .returning(['id', 'after'])
      .executeTakeFirstOrThrow();
    expect(typeof audit.id).toBe('number');
    expect(audit.after).toEqual([1, 2]);
  });

  it('enforces the domain checks in the schema itself', async () => {
    const db = t.handle.db;
    await expect(
      db
        .insertInto('deployments')
        .values({
          id: 'dep_x',
          site_id: 'site_a',
          customer_id: 'cus_a',
          product_code: 'p',
          product_version: '1',
          state: 'exploded' as never,
        })
        .execute(),
    ).rejects.toThrow(/check constraint/);
    await expect(
      db
        .insertInto('sites')
        .values({ id: 'site_orphan', customer_id: 'cus_missing', name: 'x', timezone: 'UTC' })
        .execute(),
    ).rejects.toThrow(/foreign key/);
  });

  it('runs transactions atomically', async () => {
    const db = t.handle.db;
    await expect(
      db.transaction().execute(async (trx) => {
        await trx.insertInto('customers').values({ id: 'cus_tx', name: 'tx' }).execute();
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect(await db.selectFrom('customers').select('id').where('id', '=', 'cus_tx').executeTakeFirst()).toBeUndefined();
  });

  it('delivers NOTIFY to a LISTENer (the change feed relies on it)', async () => {
    const got: string[] = [];
    const unlisten = await t.handle.listen('fleetbook_test', (payload) => got.push(payload));
    await sql`select pg_notify('fleetbook_test', 'hello')`.execute(t.handle.db);
    await expect.poll(() => got, { timeout: 5000 }).toEqual(['hello']);
    await unlisten();
  });
});

describe('two replicas migrating at once', () => {
  it('applies each migration once (kysely holds an advisory lock)', async () => {
    const a = await createTestDatabase({ migrate: false });
    const { openDatabase } = await import('../../data-api/src/kernel/db/index.ts');
    // PGlite is one process's database: its "second replica" is a second caller on it.
    const b = a.url ? await openDatabase({ kind: 'pg', url: a.url }) : a.handle;
    try {
      const [ra, rb] = await Promise.all([migrateToLatest(a.handle.db), migrateToLatest(b.db)]);
      expect([...ra, ...rb].filter((r) => r.status === 'Success').map((r) => r.migrationName)).toEqual(
        Object.keys(migrations).sort(),
      );
    } finally {
      if (b !== a.handle) await b.close();
      await a.drop();
    }
  });
});
