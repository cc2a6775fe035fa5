import type { Kysely } from 'kysely';
import type { AuthOptions } from './auth/options.ts';
import type { BrokerHandle } from './broker/index.ts';
import type { Database, DatabaseHandle } from './db/index.ts';
import type { SiteBuildStatus } from './site/build.ts';

/** What every area of the API can reach. Built once at start; tests build their own. */
export interface AppContext {
  version: string;
  database: DatabaseHandle;
  db: Kysely<Database>;
  broker: BrokerHandle | null;
  /** Folder of the built site, or null when the API runs without it (tests, `--no-site`). */
  siteDir: string | null;
  siteStatus(): SiteBuildStatus;
  auth: AuthOptions;
  corsOrigins: string[];
}

declare module 'fastify' {
  interface FastifyInstance {
    ctx: AppContext;
  }
}
