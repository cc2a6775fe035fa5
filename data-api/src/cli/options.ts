import { Option, type Command } from 'commander';
import type { ConfigOverrides } from '../kernel/config/index.ts';

/** Flags shared by commands that open the database and broker; each names its env twin. */
export function addRuntimeOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--port <port>', 'HTTP port for the site and API').env('PORT'))
    .addOption(new Option('--host <host>', 'address to listen on').env('HOST'))
    .addOption(new Option('--mqtt-port <port>', 'port of the embedded MQTT broker').env('MQTT_PORT'))
    .addOption(new Option('--data-dir <dir>', 'folder for embedded data (PGlite)').env('FLEETBOOK_DATA_DIR'))
    .option('--log-level <level>', 'fatal | error | warn | info | debug | trace | silent');
}

/**
 * Flags of commands that talk to a data API: where it is, the bearer token (`tokenNeed` says
 * which role the command wants, for the help) and `--json`; URL and token from env too.
 */
export function addApiOptions(cmd: Command, tokenNeed: string): Command {
  return cmd
    .addOption(
      new Option('--api <url>', 'data API (e.g. http://localhost:3000)')
        .env('FLEETBOOK_API_URL')
        .default('http://localhost:3000'),
    )
    .addOption(new Option('--token <token>', `bearer token (${tokenNeed})`).env('FLEETBOOK_TOKEN'))
    .option('--json', 'print the API answer as JSON');
}

/** commander's parsed flags → the env names loadConfig() knows. */
export function overridesFrom(opts: Record<string, unknown>): ConfigOverrides {
  return {
    PORT: opts.port as string | undefined,
    HOST: opts.host as string | undefined,
    MQTT_PORT: opts.mqttPort as string | undefined,
    FLEETBOOK_DATA_DIR: opts.dataDir as string | undefined,
    LOG_LEVEL: opts.logLevel as string | undefined,
    FLEETBOOK_DEMO: opts.demo ? true : undefined,
    FLEETBOOK_BUILD_SITE: opts.build === false ? 'never' : opts.rebuild ? 'always' : undefined,
  };
}
