import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDatabase, type DatabaseHandle } from '../../data-api/src/kernel/db/index.ts';
import { migrateToLatest } from '../../data-api/src/kernel/db/migrator.ts';

export interface TestDatabase {
  handle: DatabaseHandle;
  /** The connection URL of this test's own database (pg backend only). */
  url: string | null;
  backend: 'pg' | 'pglite';
  drop(): Promise<void>;
}

/**
 * A fresh, migrated database for one test file: a new database on TEST_DATABASE_URL's
 * server when set (CI: the machine's PostgreSQL), otherwise an in-memory PGlite.
 */
export async function createTestDatabase(options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const base = process.env.TEST_DATABASE_URL;
  if (!base) {
    const handle = await openDatabase({ kind: 'pglite' });
    if (options.migrate !== false) await migrateToLatest(handle.db);
    return { handle, url: null, backend: 'pglite', drop: () => handle.close() };
  }
  const url = await createPgDatabase(base);
  const handle = await openDatabase({ kind: 'pg', url, max: 5 });
  if (options.migrate !== false) await migrateToLatest(handle.db);
  return {
    handle,
    url,
    backend: 'pg',
    async drop() {
      await handle.close();
      await dropPgDatabase(base, url);
    },
  };
}

/** Creates an empty database next to `baseUrl`'s and returns its URL (`prefix` names whose it is: tests, a benchmark). */
export async function createPgDatabase(baseUrl: string, prefix = 'fb_test'): Promise<string> {
  const name = `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * Drops a database made by createPgDatabase. pg's pool.end() resolves before its sockets have
 * closed, and a FORCE drop would then kill those backends mid-goodbye (an uncaught 57P01 in
 * this process): wait for them to go first, and force only as the last resort.
 */
export async function dropPgDatabase(baseUrl: string, url: string): Promise<void> {
  const name = new URL(url).pathname.slice(1);
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  try {
    for (let attempt = 0; attempt < 50; attempt++) {
      try {
        await admin.query(`DROP DATABASE IF EXISTS ${name}`);
        return;
      } catch (err) {
        if ((err as { code?: string }).code !== '55006') throw err; // 55006: still in use
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}
