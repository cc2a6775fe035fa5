import net from 'node:net';
import path from 'node:path';
import pino, { type Logger } from 'pino';
import { buildApp, type App } from './app.ts';
import { openBroker, type BrokerHandle } from './broker/index.ts';
import type { FleetbookConfig } from './config/index.ts';
import type { AppContext } from './context.ts';
import { openDatabase, type DatabaseHandle } from './db/index.ts';
import { migrateToLatest } from './db/migrator.ts';
import { ensureFirstAdminToken } from './auth/service.ts';
import { loadDemoData } from './demo/index.ts';
import { loadProductCatalog } from './registry/products.ts';
import { PROJECT_ROOT } from './paths.ts';
import { SiteBuilder } from './site/build.ts';
import { VERSION } from './version.ts';
import { createBrokerSecurity } from './ingest/credentials.ts';
import { startTelemetryServices, type TelemetryServices } from './ingest/lifecycle.ts';
import { loadTelemetryOptions, type TelemetryOptions } from './ingest/options.ts';

/** A port we need is taken: printed as one line, non-zero exit. */
export class PortInUseError extends Error {
  readonly exitCode = 1;
  constructor(what: string, port: number, flag: string) {
    super(`port ${port} (${what}) is already in use: stop the other process or choose another with ${flag}`);
    this.name = 'PortInUseError';
  }
}

export interface RunningFleetbook {
  app: App;
  ctx: AppContext;
  url: string;
  /** Where devices connect: the embedded broker, or the external broker's URL. */
  mqttUrl: string;
  /** Embedded mode's first start only: the admin token, shown once (only its hash is kept). */
  firstAdminToken: string | null;
  site: SiteBuilder;
  logger: Logger;
  /** Ingest, health monitor (and demo simulation): stopped before the broker and database close. */
  telemetry: TelemetryServices;
  /** Stops accepting requests, finishes in-flight ones, then closes broker and database. */
  close(): Promise<void>;
}

export interface StartOptions {
  /** Build the site when missing or stale (default from config). */
  buildSite?: FleetbookConfig['buildSite'];
  logger?: Logger;
  /** Ingest / monitor / broker-auth options (default: from the environment, FLEETBOOK_MQTT_AUTH etc.). */
  telemetry?: Partial<TelemetryOptions>;
}

/** Starts one fleetbook process: database, migrations, broker, API + site. */
export async function startFleetbook(config: FleetbookConfig, options: StartOptions = {}): Promise<RunningFleetbook> {
  const logger = options.logger ?? pino({ level: config.logLevel });
  const telemetryOptions: TelemetryOptions = { ...loadTelemetryOptions(process.env), ...options.telemetry };
  await assertPortFree(config.host, config.port, 'HTTP', '--port or PORT');
  if (config.broker.kind === 'aedes') await assertPortFree(config.broker.host, config.broker.port, 'MQTT', '--mqtt-port or MQTT_PORT');

  const cleanups: Array<() => Promise<void>> = [];
  const cleanup = async () => {
    for (const fn of cleanups.reverse()) await fn().catch((err) => logger.error({ err }, 'shutdown step failed'));
  };

  try {
    const database: DatabaseHandle = await openDatabase(
      config.database.kind === 'pg' ? { ...config.database, onError: (err) => logger.warn({ err: err.message }, 'database connection dropped') } : config.database,
    );
    cleanups.push(() => database.close());
    const migrated = await migrateToLatest(database.db);
    if (migrated.length) logger.info({ migrations: migrated.map((m) => m.migrationName) }, 'schema migrated');
    const products = await loadProductCatalog(database.db, path.join(PROJECT_ROOT, 'docs', 'products'));
    logger.info({ products }, 'product catalog loaded from docs/products');

    // Embedded broker: devices log in with their token and publish only under their own topics.
    const brokerSecurity = config.broker.kind === 'aedes' ? createBrokerSecurity(database.db, { enforce: telemetryOptions.mqttAuth }) : null;
    const broker: BrokerHandle = await openBroker(
      config.broker.kind === 'aedes' && brokerSecurity ? { ...config.broker, aedes: brokerSecurity.aedes, credentials: brokerSecurity.internal } : config.broker,
    );
    cleanups.push(() => broker.close());

    const site = new SiteBuilder(config.siteDir, (msg) => logger.info(msg));
    const ctx: AppContext = {
      version: VERSION,
      database,
      db: database.db,
      broker,
      siteDir: config.siteDir,
      siteStatus: () => (config.buildSite === 'never' && site.status().status === 'missing' ? { status: 'disabled', builtAt: null } : site.status()),
      auth: config.auth,
      corsOrigins: config.corsOrigins,
    };

    // Embedded mode: a newcomer gets an admin token once; production creates tokens by CLI.
    const firstAdmin = config.database.kind === 'pglite' ? await ensureFirstAdminToken(database.db) : null;

    if (config.demo) {
      const counts = await loadDemoData(database.db);
      logger.info(counts, 'demo data loaded');
    }

    // After the broker, before the app; stopped (last batch written and acknowledged) before broker and database close.
    const telemetry = await startTelemetryServices(ctx, telemetryOptions, logger);
    cleanups.push(() => telemetry.stop());

    const app = await buildApp(ctx, { logger });
    cleanups.push(() => app.close());
    await app.listen({ port: config.port, host: config.host });
    const address = app.server.address() as net.AddressInfo;
    const shownHost = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
    const url = `http://${shownHost}:${address.port}`;
    const mqttUrl = broker.embedded ? `mqtt://${shownHost}:${broker.embedded.port}` : broker.url;

    const buildSite = options.buildSite ?? config.buildSite;
    if (buildSite === 'always' || (buildSite === 'auto' && site.isStale())) void site.build();

    let closed: Promise<void> | null = null;
    return {
      app,
      ctx,
      url,
      mqttUrl,
      firstAdminToken: firstAdmin?.token ?? null,
      site,
      logger,
      telemetry,
      close: () => (closed ??= (async () => {
        await site.stop().catch(() => {});
        await cleanup();
      })()),
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

async function assertPortFree(host: string, port: number, what: string, flag: string): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new PortInUseError(what, port, flag) : err),
    );
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}
