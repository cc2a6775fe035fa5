import type { Kysely } from 'kysely';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Database } from '../kernel/db/index.ts';
import type { BrokerHandle } from '../telemetry/broker/index.ts';
import type { BlobStore } from './blobs.ts';
import type { RunbookCatalog } from './catalog.ts';

/** The app a route module registers on (the runbooks plugin's, with its zod type provider). */
export type RunbooksApp = Parameters<FastifyPluginAsyncZod>[0];

/** What the runbooks routes share: built once per app in routes.ts. */
export interface RunbooksDeps {
  db(): Kysely<Database>;
  /** The broker the API uses (mqtt probes), null without one. */
  broker(): BrokerHandle | null;
  catalog: RunbookCatalog;
  blobs: BlobStore;
  /** Largest photo accepted as evidence, in pixels. */
  maxPixels: number;
}

export const tags = ['runbooks'];
