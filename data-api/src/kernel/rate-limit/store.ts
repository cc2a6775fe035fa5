import type { FastifyRateLimitStore } from '@fastify/rate-limit';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/index.ts';

type Callback = (err: Error | null, result?: { current: number; ttl: number }) => void;

/**
 * A @fastify/rate-limit store in PostgreSQL (or PGlite): fixed windows on the database's clock,
 * counted with one upsert, so every replica reads and adds to the same count. Expired windows
 * are deleted every few hundred hits. Made per app (`databaseStore(db)`): the plugin constructs it.
 */
export function databaseStore(db: Kysely<Database>) {
  let hits = 0;
  return class DatabaseRateLimitStore implements FastifyRateLimitStore {
    constructor(
      _options?: unknown,
      private readonly prefix = '',
    ) {}

    incr(key: string, callback: Callback, timeWindow: number): void {
      void this.count(`${this.prefix}${key}`, timeWindow).then(
        (r) => callback(null, r),
        (err: Error) => callback(err),
      );
    }

    // The plugin passes the route's merged options, `routeInfo` among them (typed as RouteOptions).
    child(routeOptions: object): DatabaseRateLimitStore {
      const route = (routeOptions as { routeInfo?: { method?: string | string[]; url?: string } }).routeInfo;
      return new DatabaseRateLimitStore(undefined, `${[route?.method].flat().join(',')} ${route?.url ?? ''}|`);
    }

    private async count(key: string, windowMs: number): Promise<{ current: number; ttl: number }> {
      const window = Math.max(1, Math.trunc(windowMs));
      const { rows } = await sql<{ hits: number; ttl_ms: number }>`
        with w as (select to_timestamp(floor(extract(epoch from now()) * 1000 / ${window}) * ${window} / 1000.0) as start)
        insert into rate_limit_hits (key, window_start, expires_at, hits)
        select ${key}, w.start, w.start + make_interval(secs => ${window / 1000}), 1 from w
        on conflict (key, window_start) do update set hits = rate_limit_hits.hits + 1
        returning hits, greatest(0, extract(epoch from (expires_at - now())) * 1000)::float8 as ttl_ms`.execute(db);
      if (++hits % 500 === 0) {
        void db
          .deleteFrom('rate_limit_hits')
          .where('expires_at', '<', sql<Date>`now()`)
          .execute()
          .catch(() => {});
      }
      return { current: Number(rows[0]!.hits), ttl: Math.ceil(Number(rows[0]!.ttl_ms)) };
    }
  };
}
