import fs from 'node:fs';
import path from 'node:path';
import { Kysely, PostgresDialect, sql } from 'kysely';
import type { Database } from './schema.ts';
import { PGliteDialect } from './pglite-dialect.ts';
import { redactUrl } from '../util/url.ts';
import { acquirePidLock } from '../pid-lock.ts';

export * from './schema.ts';

export type DatabaseOptions =
  | { kind: 'pglite'; dataDir?: string } // dataDir undefined: in memory (tests)
  | { kind: 'pg'; url: string; max?: number; onError?: (err: Error) => void };

export interface DatabaseHandle {
  db: Kysely<Database>;
  kind: DatabaseOptions['kind'];
  /** LISTEN on a channel; returns an unlisten function. Same call on both dialects. */
  listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

const INT8_OID = 20;
/** DATE columns stay `YYYY-MM-DD` strings: a calendar date has no time zone to shift. */
const DATE_OID = 1082;

/** Opens the database chosen by config: embedded PGlite or a real PostgreSQL through `pg`. */
export async function openDatabase(options: DatabaseOptions): Promise<DatabaseHandle> {
  return options.kind === 'pglite' ? openPglite(options.dataDir) : openPg(options.url, options.max, options.onError);
}

async function openPglite(dataDir: string | undefined): Promise<DatabaseHandle> {
  const { PGlite } = await import('@electric-sql/pglite');
  let unlock = () => {};
  if (dataDir) {
    fs.mkdirSync(dataDir, { recursive: true });
    unlock = lockDataDir(dataDir);
  }
  const pglite = await PGlite.create(dataDir ?? 'memory://', {
    parsers: { [INT8_OID]: (value: string) => Number(value), [DATE_OID]: (value: string) => value },
  });
  const db = new Kysely<Database>({ dialect: new PGliteDialect(pglite) });
  return {
    db,
    kind: 'pglite',
    async listen(channel, onPayload) {
      const unlisten = await pglite.listen(channel, onPayload);
      return async () => unlisten();
    },
    close: async () => {
      await db.destroy();
      unlock();
    },
  };
}

/**
 * PGlite is one process's database: a second process opening the same folder would
 * corrupt it. A pid file guards the folder; a stale one (dead process) is taken over.
 */
function lockDataDir(dataDir: string): () => void {
  return acquirePidLock(
    path.join(dataDir, 'fleetbook.lock'),
    (pid) => new Error(`the embedded database in ${dataDir} is in use by process ${pid} (a running fleetbook): stop it first, or use the API`),
    () => new Error(`cannot lock the embedded database in ${dataDir}`),
    { reentrant: true },
  );
}

async function openPg(url: string, max = 10, onError: (err: Error) => void = () => {}): Promise<DatabaseHandle> {
  const pg = (await import('pg')).default;
  const pool = new pg.Pool({
    connectionString: url,
    max,
    // Counts and bigserial ids fit in a JS number for any fleet we will see.
    types: { getTypeParser: (oid: number, format?: any) => (oid === INT8_OID ? Number : oid === DATE_OID ? (v: string) => v : pg.types.getTypeParser(oid, format)) } as any,
  });
  // Fail fast with a clear message instead of on the first request.
  const client = await pool.connect().catch(async (err: Error) => {
    await pool.end().catch(() => {});
    throw new Error(`cannot connect to PostgreSQL at ${redactUrl(url)}: ${err.message}`);
  });
  client.release();
  // An idle client's connection can drop (server restart, failover, admin kill): pg
  // emits 'error' on the pool, and an unhandled 'error' would end the process.
  pool.on('error', (err) => onError(err));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const listeners = new Set<{ client: import('pg').PoolClient | null; stop: boolean }>();

  /** A dedicated LISTEN connection that comes back by itself when its connection drops. */
  async function listenOn(entry: { client: import('pg').PoolClient | null; stop: boolean }, channel: string, onPayload: (payload: string) => void, reconnected: boolean) {
    const client = await pool.connect();
    entry.client = client;
    client.on('notification', (msg) => {
      if (msg.channel === channel) onPayload(msg.payload ?? '');
    });
    client.on('error', (err) => {
      // Only while this client is still our listener: once released it belongs to the pool.
      if (entry.client !== client) return;
      onError(err);
      entry.client = null;
      client.release(true);
      if (!entry.stop) setTimeout(() => void listenOn(entry, channel, onPayload, true).catch(onError), 1000).unref();
    });
    await client.query(`LISTEN ${quoteIdent(channel)}`);
    // Notifications sent while the connection was down are lost: a wake-up makes the
    // listener re-read from its own position (the change feed reads by id).
    if (reconnected) onPayload('');
  }

  return {
    db,
    kind: 'pg',
    async listen(channel, onPayload) {
      const entry = { client: null as import('pg').PoolClient | null, stop: false };
      listeners.add(entry);
      await listenOn(entry, channel, onPayload, false);
      return async () => {
        entry.stop = true;
        listeners.delete(entry);
        const client = entry.client;
        entry.client = null;
        if (client) {
          await client.query(`UNLISTEN ${quoteIdent(channel)}`).catch(() => {});
          client.release();
        }
      };
    },
    async close() {
      for (const entry of listeners) {
        entry.stop = true;
        const client = entry.client;
        entry.client = null;
        client?.release();
      }
      listeners.clear();
      await db.destroy();
    },
  };
}

export async function pingDatabase(db: Kysely<Database>): Promise<number> {
  const started = performance.now();
  await sql`select 1`.execute(db);
  return performance.now() - started;
}

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;
