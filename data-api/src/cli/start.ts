import path from 'node:path';
import { Command } from 'commander';
import { loadConfig } from '../kernel/config/index.ts';
import { startFleetbook, type StartOptions } from '../server.ts';
import { loadTelemetryOptions, useSharedSubscriptions } from '../telemetry/ingest/options.ts';
import { planWorkers, runPrimary, workerInstance, workerRole, type ReadyMessage } from '../kernel/workers.ts';
import { redactUrl } from '../kernel/util/url.ts';
import { VERSION } from '../kernel/version.ts';
import { exitWithError } from './errors.ts';
import type { DemoSimulationStats } from '../demo/simulate/demo.ts';
import { addRuntimeOptions, overridesFrom } from './options.ts';

function demoLine(s: DemoSimulationStats): string {
  const cast = s.incidents.map((i) => `${i.kind.replace('_', ' ')} (${i.device}) every ${i.everyMin} min`).join(', ');
  return `${s.reporting} devices reporting, ${s.silentForGood} silent for good; scripted: ${cast} (--no-simulate: off)`;
}

export function startCommand(): Command {
  return addRuntimeOptions(new Command('start'))
    .description(
      'Start fleetbook: the data API and the built site on one port, with embedded PostgreSQL and MQTT unless DATABASE_URL / MQTT_URL are set',
    )
    .option('--demo', 'load the demo fleet (3 customers, 8 sites, 40 deployments, ~2,000 devices) and make it live')
    .option('--no-simulate', 'with --demo: load the fleet only (no simulated devices, no seeded week of history)')
    .option('--no-build', 'serve the site as built; never run docusaurus build')
    .option('--rebuild', 'rebuild the site even when it looks current')
    .action(async (opts) => {
      try {
        let config = loadConfig(process.env, overridesFrom(opts));
        const role = workerRole();
        if (!role) {
          const plan = planWorkers(config);
          if (plan.note) process.stderr.write(`fleetbook: ${plan.note}\n`);
          if (plan.count > 1) return await runPrimary(plan.count);
        }
        const started = Date.now();
        const startOptions: StartOptions = opts.simulate === false ? { telemetry: { simulate: false } } : {};
        if (role && role.index > 1) {
          // Worker 1 did what a start does once (demo fleet and simulation, site build and watch).
          config = { ...config, demo: false, buildSite: 'never', siteWatch: false };
          const telemetry = loadTelemetryOptions(process.env);
          // Workers above FLEETBOOK_INGEST_WORKERS (default 1) serve HTTP only; without shared
          // subscriptions every ingesting worker would take every message, so worker 1 alone ingests.
          const shared = useSharedSubscriptions(telemetry.shared, 'external');
          const ingests = telemetry.ingest && shared && role.index <= telemetry.ingestWorkers;
          startOptions.telemetry = {
            simulate: false,
            instance: workerInstance(telemetry.instance, role.index),
            ingest: ingests,
          };
        }
        const running = await startFleetbook(config, startOptions);
        const rel = (p: string) =>
          p.startsWith(process.cwd() + path.sep) ? `./${path.relative(process.cwd(), p)}` : p;
        const db =
          config.database.kind === 'pglite'
            ? `embedded PGlite in ${rel(config.database.dataDir)}`
            : `PostgreSQL ${redactUrl(config.database.url)}`;
        const embedded = running.ctx.broker?.embedded;
        const moved =
          embedded && embedded.port !== embedded.requestedPort
            ? `; port ${embedded.requestedPort} is taken, so the next free one`
            : '';
        const mqtt =
          config.broker.kind === 'aedes' ? `${running.mqttUrl} (embedded aedes${moved})` : redactUrl(running.mqttUrl);
        const site = running.site.status();
        const lines = [
          `fleetbook ${VERSION} started in ${((Date.now() - started) / 1000).toFixed(1)} s`,
          `  site        ${running.url}/${site.status === 'building' ? '   (building the site now; the page reloads when ready)' : ''}`,
          `  API         ${running.url}/api/v1   (OpenAPI: ${running.url}/api/v1/openapi.json)`,
          `  MQTT        ${mqtt}`,
          `  database    ${db}`,
          ...(running.telemetry.simulation ? [`  demo        ${demoLine(running.telemetry.simulation.stats())}`] : []),
          ...(running.firstAdminToken
            ? [
                `  admin token ${running.firstAdminToken}`,
                `              (shown once: keep it; only its hash is stored. Reads from localhost need no token.)`,
              ]
            : []),
          `Press Ctrl-C to stop.`,
        ];
        if (role) {
          // The primary prints worker 1's banner once every worker listens, and stops us with SIGTERM.
          process.send!({ type: 'fleetbook:ready', banner: lines } satisfies ReadyMessage);
          process.on('SIGINT', () => {});
          process.on('SIGTERM', () => void running.close().then(() => process.exit(0)));
          return;
        }
        process.stdout.write(lines.join('\n') + '\n');

        let stopping = false;
        const stop = async (signal: string) => {
          if (stopping) {
            process.stderr.write('fleetbook: forced exit\n');
            process.exit(130);
          }
          stopping = true;
          process.stdout.write(`\n${signal}: stopping (finishing requests, closing broker and database)…\n`);
          await running.close();
          process.stdout.write('fleetbook stopped.\n');
          process.exit(0);
        };
        process.on('SIGINT', () => void stop('SIGINT'));
        process.on('SIGTERM', () => void stop('SIGTERM'));
      } catch (err) {
        exitWithError(err);
      }
    });
}
