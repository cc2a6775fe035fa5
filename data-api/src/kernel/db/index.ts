import fs from 'node:fs';
import path from 'node:path';
import { Kysely, PostgresDialect, sql } from 'kysely';
import type { Database } from './schema.ts';
import { PGliteDialect } from './pglite-dialect.ts';
import { timestamptzParser } from './timestamptz.ts';
import { copyingPool } from './copy-from-stdin.ts';
import { quoteIdent } from './values.ts';
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
const TIMESTAMPTZ_OID = 1184;

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

/** The embedded database is open in another process (a running fleetbook). */
export class DatabaseInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(
      `the embedded database in ${dataDir} is in use by process ${pid} (a running fleetbook): stop it first, or use the API`,
    );
    this.name = 'DatabaseInUseError';
  }
}

/**
 * PGlite is one process's database: a second process opening the same folder would
 * corrupt it. A pid file guards the folder; a stale one (dead process) is taken over.
 */
function lockDataDir(dataDir: string): () => void {
  return acquirePidLock(
    path.join(dataDir, 'fleetbook.lock'),
    (pid) => new DatabaseInUseError(dataDir, pid),
    () => new Error(`cannot lock the embedded database in ${dataDir}`),
    { reentrant: true },
  );
}

async function openPg(url: string, max = 10, onError: (err: Error) => void = () => {}): Promise<DatabaseHandle> {
  const pg = (await import('pg')).default;
  const parseTimestamptz = timestamptzParser(pg.types.getTypeParser(TIMESTAMPTZ_OID, 'text'));
  const pool = new pg.Pool({
    connectionString: url,
    max,
    // Counts and bigserial ids fit in a JS number for any fleet we will see.
    types: {
      getTypeParser: (oid: number, format?: any) =>
        oid === INT8_OID
          ? Number
          : oid === DATE_OID
            ? (v: string) => v
            : oid === TIMESTAMPTZ_OID && format !== 'binary'
              ? parseTimestamptz
              : pg.types.getTypeParser(oid, format),
    } as any,
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
  // It can also drop while a client is checked out between two statements (a transaction
  // awaiting the next write): pg then emits 'error' on the client itself, which the pool only
  // listens to while the client is idle — unhandled, it ended the process in a database outage.
  // The statement in flight still fails on its own, and the pool discards the broken client.
  pool.on('connect', (client) => client.on('error', (err) => onError(err)));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: copyingPool(pool) }) });
  // One LISTEN connection per process, shared by every listener (change feed, live stream,
  // registry cache, notifications): each channel is LISTENed once on it and its payloads fanned
  // out, so a replica holds one pool client for all of them instead of one per listener.
  type PoolClient = import('pg').PoolClient;
  const handlers = new Map<string, Set<(payload: string) => void>>();
  let listener: PoolClient | null = null;
  let connecting: Promise<PoolClient> | null = null;
  let closed = false;

  function connectListener(reconnected: boolean): Promise<PoolClient> {
    connecting ??= (async () => {
      const client = await pool.connect();
      client.on('notification', (msg) => {
        for (const h of handlers.get(msg.channel) ?? []) h(msg.payload ?? '');
      });
      client.on('error', (err) => {
        // Only while this client is still our listener: once released it belongs to the pool.
        if (listener !== client) return;
        onError(err);
        listener = null;
        client.release(true);
        if (!closed) setTimeout(() => void connectListener(true).catch(onError), 1000).unref();
      });
      try {
        for (const channel of handlers.keys()) await client.query(`LISTEN ${quoteIdent(channel)}`);
      } catch (err) {
        client.release(true);
        throw err;
      }
      listener = client;
      // Notifications sent while the connection was down are lost: a wake-up makes each
      // listener re-read from its own position (the change feed reads by id).
      if (reconnected) for (const set of handlers.values()) for (const h of set) h('');
      return client;
    })().finally(() => {
      connecting = null;
    });
    return connecting;
  }

  return {
    db,
    kind: 'pg',
    async listen(channel, onPayload) {
      let set = handlers.get(channel);
      const first = !set;
      if (!set) handlers.set(channel, (set = new Set()));
      set.add(onPayload);
      try {
        // A connection being made LISTENs every channel known when it started: ask again once it is there.
        const client = listener ?? (await connectListener(false));
        if (first) await client.query(`LISTEN ${quoteIdent(channel)}`);
      } catch (err) {
        set.delete(onPayload);
        if (!set.size) handlers.delete(channel);
        throw err;
      }
      return async () => {
        const current = handlers.get(channel);
        if (!current?.delete(onPayload) || current.size) return;
        handlers.delete(channel);
        await listener?.query(`UNLISTEN ${quoteIdent(channel)}`).catch(() => {});
      };
    },
    async close() {
      closed = true;
      handlers.clear();
      await connecting?.catch(() => {});
      const client = listener;
      listener = null;
      client?.release();
      await db.destroy();
    },
  };
}

export async function pingDatabase(db: Kysely<Database>): Promise<number> {
  const started = performance.now();
  await sql`select 1`.execute(db);
  return performance.now() - started;
}
