import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import pino, { type Logger } from 'pino';
import { buildApp, createAppContext, type App } from './app.ts';
import { openBroker, type BrokerHandle } from './telemetry/broker/index.ts';
import type { FleetbookConfig } from './kernel/config/index.ts';
import type { AppContext } from './kernel/context.ts';
import { openDatabase, type DatabaseHandle } from './kernel/db/index.ts';
import { migrateToLatest } from './kernel/db/migrator.ts';
import { ensureFirstAdminToken } from './kernel/auth/service.ts';
import { loadDemoData } from './demo/index.ts';
import { seedDemoHistory } from './demo/history.ts';
import { demoReporters } from './demo/reporters.ts';
import { unreachableContactPoints } from './demo/notifications.ts';
import { loadProductCatalog, readProductCatalog, type ProductCatalog } from './registry/products.ts';
import { formatLine } from '../../plugins/remark-runbook/report.ts';
import { PROJECT_ROOT } from './kernel/paths.ts';
import { SiteBuilder } from './site/build.ts';
import { watchSite, type SiteWatch } from './site/watch.ts';
import { emitChange } from './kernel/changes/service.ts';
import { VERSION } from './kernel/version.ts';
import { publishLocalInstance } from './kernel/local-instance.ts';
import { createBrokerSecurity } from './telemetry/ingest/credentials.ts';
import { startTelemetryServices, type TelemetryServices } from './telemetry/ingest/lifecycle.ts';
import { loadTelemetryOptions, type TelemetryOptions } from './telemetry/ingest/options.ts';
import { startNotificationEngine } from './notifications/engine.ts';
import {
  formatDiagnostic,
  loadNotificationConfig,
  readRuleCatalog,
  type NotificationConfig,
} from './notifications/rules.ts';

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
  // A port asked for must be free; the default one may move to the next free port (see below).
  if (config.broker.kind === 'aedes' && !config.broker.portFallback)
    await assertPortFree(config.broker.host, config.broker.port, 'MQTT', '--mqtt-port or MQTT_PORT');

  // A product page in error does not stop the start (the other products serve): each issue is
  // logged where it is, before the notification rules: a rule on a product left out is kept, with
  // a warning naming the page (docs/contracts/notifications.mdx).
  const productsDir = path.join(PROJECT_ROOT, 'docs', 'products');
  const products = readProductCatalog(productsDir);
  for (const problem of products.problems) logger.warn(formatLine(problem));
  if (products.problems.length)
    logger.warn(
      { issues: products.problems.length },
      'product pages in error are not loaded: their products keep what the database held (docs/contracts/library.mdx)',
    );

  // Rules as code: an invalid notifications/ folder stops the start, saying where.
  const notifications = await loadNotifications(
    config.notificationsDir ?? path.join(PROJECT_ROOT, 'notifications'),
    products,
    logger,
  );

  const cleanups: Array<() => Promise<void>> = [];
  const cleanup = async () => {
    for (const fn of cleanups.reverse()) await fn().catch((err) => logger.error({ err }, 'shutdown step failed'));
  };

  try {
    const database: DatabaseHandle = await openDatabase(
      config.database.kind === 'pg'
        ? { ...config.database, onError: (err) => logger.warn({ err: err.message }, 'database connection dropped') }
        : config.database,
    );
    cleanups.push(() => database.close());
    const migrated = await migrateToLatest(database.db);
    if (migrated.length) logger.info({ migrations: migrated.map((m) => m.migrationName) }, 'schema migrated');
    const { loaded } = await loadProductCatalog(database.db, productsDir, products);
    logger.info({ products: loaded }, 'product catalog loaded from docs/products');

    const broker = await openFleetbookBroker(config, telemetryOptions, database, logger);
    cleanups.push(() => broker.close());
    if (broker.embedded && broker.embedded.port !== broker.embedded.requestedPort) {
      logger.warn(
        { requested: broker.embedded.requestedPort, port: broker.embedded.port },
        'MQTT port taken (a local Mosquitto?): the embedded broker uses the next free port',
      );
    }

    const site = siteBuilder(config, database, logger);
    const ctx = createAppContext({
      version: VERSION,
      database,
      db: database.db,
      broker,
      siteDir: config.siteDir,
      siteStatus: () =>
        config.buildSite === 'never' && site.status().status === 'missing'
          ? { status: 'disabled', builtAt: null }
          : site.status(),
      auth: config.auth,
      corsOrigins: config.corsOrigins,
      publicUrl: config.publicUrl,
      rateLimits: config.rateLimits,
      chirpstack: telemetryOptions.chirpstackTopics,
      retention: telemetryOptions.retention,
    });

    // Embedded mode: a newcomer gets an admin token once; production creates tokens by CLI.
    const firstAdmin = config.database.kind === 'pglite' ? await ensureFirstAdminToken(database.db) : null;

    // --demo lives unless told not to (--no-simulate, FLEETBOOK_SIMULATE=0): devices report, a week of history.
    const simulate = telemetryOptions.simulate ?? config.demo;
    if (config.demo) await loadDemo(database, telemetryOptions, simulate, logger);

    // Before the ingest (it evaluates the rules on what it stores); stopped after it.
    if (notifications) cleanups.push(await startNotifications(ctx, notifications, config, telemetryOptions, logger));

    // After the broker, before the app; stopped (last batch written and acknowledged) before broker and database close.
    const telemetry = await startTelemetryServices(ctx, { ...telemetryOptions, simulate }, logger);
    cleanups.push(() => telemetry.stop());

    const app = await buildApp(ctx, { logger });
    cleanups.push(() => app.close());
    await app.listen({ port: config.port, host: config.host });
    const address = app.server.address() as net.AddressInfo;
    const shownHost = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
    const url = `http://${shownHost}:${address.port}`;
    // Embedded: the CLI cannot open the database while we hold it, so it reaches us here.
    // Its unpublish runs before app.close() (cleanups run in reverse): the database is still open.
    if (config.database.kind === 'pglite') cleanups.push(await publishForCli(config, database, address.port));
    const mqttUrl = broker.embedded ? `mqtt://${shownHost}:${broker.embedded.port}` : broker.url;

    const buildSite = options.buildSite ?? config.buildSite;
    if (buildSite === 'always' || (buildSite === 'auto' && site.isStale())) void site.build();
    const watch: SiteWatch | null =
      config.siteWatch && buildSite !== 'never'
        ? watchSite(site, {
            debounceMs: config.siteDebounceMs,
            gitPullMs: config.gitPullMs,
            log: (msg) => logger.info(msg),
          })
        : null;

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
      close: () =>
        (closed ??= (async () => {
          watch?.close();
          await site.stop().catch(() => {});
          await cleanup();
        })()),
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/** The site builder; open pages learn that a newer build is served (the handbook banner offers a reload). */
function siteBuilder(config: FleetbookConfig, database: DatabaseHandle, logger: Logger): SiteBuilder {
  return new SiteBuilder(config.siteDir, (msg) => logger.info(msg), {
    publicUrl: config.publicUrl,
    onBuilt: (status) =>
      void emitChange(database.db, {
        type: 'handbook.built',
        subject: { type: 'handbook', id: 'site' },
        customerId: null,
        payload: { build_id: status.buildId ?? null, built_at: status.builtAt },
      }).catch((err: Error) => logger.warn({ err: err.message }, 'could not announce the new site build')),
  });
}

/** --demo: the demo fleet, and a week of history when it is simulated. */
async function loadDemo(
  database: DatabaseHandle,
  telemetryOptions: TelemetryOptions,
  simulate: boolean,
  logger: Logger,
): Promise<void> {
  const counts = await loadDemoData(database.db, 42, new Date(), { speed: telemetryOptions.demoSpeed });
  logger.info(counts, 'demo data loaded');
  if (simulate) {
    const seeded = await seedDemoHistory(database.db, await demoReporters(database.db));
    if (seeded) logger.info(seeded, 'demo history seeded (7 days)');
  }
}

/** Starts the notifications engine on ctx; returns its stop, for the cleanups. */
async function startNotifications(
  ctx: AppContext,
  notifications: NotificationConfig,
  config: FleetbookConfig,
  telemetryOptions: TelemetryOptions,
  logger: Logger,
): Promise<() => Promise<void>> {
  // The demo tells no contact point whose secret is not set (demo/notifications.ts): said once, here.
  if (config.demo) {
    const untold = unreachableContactPoints(notifications.contactPoints);
    notifications = { ...notifications, untold };
    if (untold.size)
      logger.info(
        { contact_points: Object.fromEntries(untold) },
        'demo: alerts routed to these contact points tell nobody (set the variable and start again to be told)',
      );
  }
  ctx.notifications = await startNotificationEngine(ctx, notifications, {
    instance: telemetryOptions.instance,
    externalUrl: config.publicUrl ?? `http://localhost:${config.port}`,
    logger,
  });
  const engine = ctx.notifications;
  logger.info(
    {
      rules: notifications.rules.rules.length,
      contact_points: notifications.contactPoints.size,
      dir: notifications.dir,
    },
    'notifications engine started',
  );
  return () => engine.stop();
}

/** Publishes the address the CLI reaches us at (embedded mode); returns the unpublish. */
async function publishForCli(
  config: FleetbookConfig,
  database: DatabaseHandle,
  port: number,
): Promise<() => Promise<void>> {
  const callable = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  return publishLocalInstance(
    database.db,
    config.dataDir,
    `http://${callable.includes(':') ? `[${callable}]` : callable}:${port}`,
  );
}

/** A notifications/ folder with an error: printed as the lint prints it, exit 2 (like a bad config). */
export class NotificationConfigError extends Error {
  readonly exitCode = 2;
  constructor(lines: string[]) {
    super(`notifications: the rule files have errors (fleetbook rules validate prints the same):\n${lines.join('\n')}`);
    this.name = 'NotificationConfigError';
  }
}

/** The notification files, checked; null when the folder does not exist (no notifications). */
async function loadNotifications(
  dir: string,
  products: ProductCatalog,
  logger: Logger,
): Promise<NotificationConfig | null> {
  if (!fs.existsSync(dir)) {
    logger.info({ dir }, 'no notifications folder: alerts are shown, nobody is told');
    return null;
  }
  const loaded = loadNotificationConfig(dir, await readRuleCatalog(PROJECT_ROOT, products), process.cwd());
  for (const d of loaded.diagnostics) if (d.severity === 'warning') logger.warn(formatDiagnostic(d));
  if (!loaded.ok)
    throw new NotificationConfigError(loaded.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic));
  return loaded.config;
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

/** The configured broker: the embedded one with device logins (each device publishes under its own topics only), or an external one. */
async function openFleetbookBroker(
  config: FleetbookConfig,
  telemetryOptions: TelemetryOptions,
  database: DatabaseHandle,
  logger: Logger,
): Promise<BrokerHandle> {
  // Embedded broker: devices log in with their token and publish only under their own topics.
  const brokerSecurity =
    config.broker.kind === 'aedes'
      ? createBrokerSecurity(database.db, {
          enforce: telemetryOptions.mqttAuth,
          chirpstack: telemetryOptions.chirpstackTopics,
        })
      : null;
  return openBroker(
    config.broker.kind === 'aedes' && brokerSecurity
      ? {
          ...config.broker,
          aedes: brokerSecurity.aedes,
          credentials: brokerSecurity.internal,
          maxPayloadBytes: telemetryOptions.mqttMaxPayloadBytes,
          onRefused: (refusal) =>
            logger.warn(refusal, 'embedded MQTT broker refused a client or publish (disconnected)'),
        }
      : config.broker,
  ).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'EADDRINUSE' || config.broker.kind !== 'aedes') throw err;
    const { port, portFallback = 0 } = config.broker;
    throw new PortInUseError(
      'MQTT',
      port,
      portFallback ? `--mqtt-port (${port} to ${port + portFallback} are all taken)` : '--mqtt-port or MQTT_PORT',
    );
  });
}
