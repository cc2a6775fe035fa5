import path from 'node:path';
import { Command } from 'commander';
import { loadConfig } from '../config/index.ts';
import { startFleetbook } from '../server.ts';
import { redactUrl } from '../util/url.ts';
import { VERSION } from '../version.ts';
import { exitWithError } from './errors.ts';
import { addRuntimeOptions, overridesFrom } from './options.ts';

export function startCommand(): Command {
  return addRuntimeOptions(new Command('start'))
    .description('Start fleetbook: the data API and the built site on one port, with embedded PostgreSQL and MQTT unless DATABASE_URL / MQTT_URL are set')
    .option('--demo', 'load the demo fleet (3 customers, 8 sites, 40 deployments, ~2,000 devices)')
    .option('--no-build', 'serve the site as built; never run docusaurus build')
    .option('--rebuild', 'rebuild the site even when it looks current')
    .action(async (opts) => {
      try {
        const config = loadConfig(process.env, overridesFrom(opts));
        const started = Date.now();
        const running = await startFleetbook(config);
        const rel = (p: string) => (p.startsWith(process.cwd() + path.sep) ? `./${path.relative(process.cwd(), p)}` : p);
        const db = config.database.kind === 'pglite' ? `embedded PGlite in ${rel(config.database.dataDir)}` : `PostgreSQL ${redactUrl(config.database.url)}`;
        const mqtt = config.broker.kind === 'aedes' ? `${running.mqttUrl} (embedded aedes)` : redactUrl(running.mqttUrl);
        const site = running.site.status();
        const lines = [
          `fleetbook ${VERSION} started in ${((Date.now() - started) / 1000).toFixed(1)} s`,
          `  site        ${running.url}/${site.status === 'building' ? '   (building the site now; the page reloads when ready)' : ''}`,
          `  API         ${running.url}/api/v1   (OpenAPI: ${running.url}/api/v1/openapi.json)`,
          `  MQTT        ${mqtt}`,
          `  database    ${db}`,
          ...(running.firstAdminToken
            ? [
                `  admin token ${running.firstAdminToken}`,
                `              (shown once: keep it; only its hash is stored. Reads from localhost need no token.)`,
              ]
            : []),
          `Press Ctrl-C to stop.`,
        ];
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
