import type { Kysely } from 'kysely';
import type { AuthOptions } from './auth/options.ts';
import type { RateLimits } from '../contracts/rate-limits.ts';
import type { BrokerHandle } from '../telemetry/broker/index.ts';
import type { Database, DatabaseHandle } from './db/index.ts';
import type { ChirpstackTopics } from '../telemetry/ingest/chirpstack/topics.ts';
import type { NotificationEngine } from '../notifications/engine.ts';
import type { SiteBuildStatus } from '../site/build.ts';
import type { LiveTelemetry } from '../telemetry/live.ts';
import type { IngestProbes } from '../telemetry/ingest/status.ts';
import type { RetentionOptions } from '../telemetry/ingest/options.ts';
import type { MetricsRegistry } from './metrics/registry.ts';

/**
 * What every area of the API can reach. Built once at start by `createAppContext` (app.ts);
 * tests build their own the same way. Everything per-process lives here, not beside it.
 */
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
  /** Where users reach this deployment (FLEETBOOK_PUBLIC_URL), when configured: OpenAPI `servers`, links. */
  publicUrl?: string | null;
  /** Limits of the claim, events and token routes (default: contracts/rate-limits.ts). */
  rateLimits?: RateLimits;
  /** ChirpStack's MQTT topic templates (ChirpStack's defaults when absent): ingest and downlinks. */
  chirpstack?: ChirpstackTopics;
  /** The notifications engine of this replica, when notifications/ is configured (none in most tests). */
  notifications?: NotificationEngine | null;
  /** Where automation/specs/ is read from for queued runs (default: the project root). */
  automationRoot?: string;
  /** Evidence blobs (default: FLEETBOOK_BLOB_DIR, else `<data dir>/blobs`). */
  blobDir?: string;
  /** Where runbooks/ and docs/ are read from (default: the project root). */
  runbooksRoot?: string;
  /** Largest photo accepted as evidence, in pixels (default: FLEETBOOK_EVIDENCE_MAX_PIXELS, else 50 MP). */
  evidenceMaxPixels?: number;
  /** The telemetry retention this API runs with (the telemetry queries plan by it). */
  retention: RetentionOptions;

  // This process's own state: each replica (each context) has its own.
  /** The Prometheus registry behind GET /metrics. */
  metrics: MetricsRegistry;
  /** Live telemetry for the stream: the newest sample per device, every 50 ms. */
  live: LiveTelemetry;
  /** The ingests running in this process: /health and the metrics read their status. */
  ingests: IngestProbes;
}

/** What a context is built from: everything but this process's own state (and a default retention). */
export type AppContextParts = Omit<AppContext, 'metrics' | 'live' | 'ingests' | 'retention'> & {
  retention?: RetentionOptions;
};

declare module 'fastify' {
  interface FastifyInstance {
    ctx: AppContext;
  }
}
