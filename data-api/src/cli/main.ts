import { Command } from 'commander';
import { VERSION } from '../kernel/version.ts';

// One file per subcommand, each thin over the areas. Only the command asked for is loaded:
// `fleetbook lint` should not pay for loading the server, the broker and the database.
const commands: Record<string, () => Promise<Command>> = {
  start: async () => (await import('./start.ts')).startCommand(),
  migrate: async () => (await import('./migrate.ts')).migrateCommand(),
  token: async () => (await import('./token.ts')).tokenCommand(),
  lint: async () => (await import('./lint.ts')).lintCommand(),
  spec: async () => (await import('./spec.ts')).specCommand(),
  run: async () => (await import('./run.ts')).runCommand(),
  runner: async () => (await import('./runner.ts')).runnerCommand(),
  simulate: async () => (await import('./simulate.ts')).simulateCommand(),
  device: async () => (await import('../telemetry/ingest/cli.ts')).deviceCommand(),
  mosquitto: async () => (await import('../telemetry/ingest/cli.ts')).mosquittoCommand(),
  version: async () => (await import('./version.ts')).versionCommand(),
  firmware: async () => (await import('./firmware.ts')).firmwareCommand(),
  new: async () => (await import('./new.ts')).newCommand(),
  gateway: async () => (await import('./gateway.ts')).gatewayCommand(),
  rules: async () => (await import('./rules.ts')).rulesCommand(),
  notify: async () => (await import('./notify.ts')).notifyCommand(),
  work: async () => (await import('./work.ts')).workCommand(),
  silence: async () => (await import('./silence.ts')).silenceCommand(),
};

/** `fleetbook <command>` */
const program = new Command('fleetbook')
  .description('fleetbook: a docs-as-code operations handbook with a live fleet data API')
  .version(VERSION, '-v, --version')
  // Program options only before a command: `firmware scaffold --version 1.5.0` is the product's.
  .enablePositionalOptions()
  .showHelpAfterError();

async function main(): Promise<void> {
  const asked = process.argv[2];
  // Help, an unknown command or none at all: load them all, so help lists every one.
  const names = asked && Object.hasOwn(commands, asked) ? [asked] : Object.keys(commands);
  for (const name of names) program.addCommand(await commands[name]!());
  await program.parseAsync(process.argv);
}

main().catch((err) => {
  process.stderr.write(`fleetbook: ${err?.message ?? err}\n`);
  process.exit(1);
});
