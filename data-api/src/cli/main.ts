import { Command } from 'commander';
import { VERSION } from '../version.ts';
import { lintCommand } from './lint.ts';
import { migrateCommand } from './migrate.ts';
import { runCommand } from './run.ts';
import { runnerCommand } from './runner.ts';
import { specCommand } from './spec.ts';
import { startCommand } from './start.ts';
import { tokenCommand } from './token.ts';
import { versionCommand } from './version.ts';
import { simulateCommand } from './simulate.ts';
import { deviceCommand, mosquittoCommand } from '../ingest/cli.ts';

/** `fleetbook <command>`: one file per subcommand, each thin over the areas. */
const program = new Command('fleetbook')
  .description('fleetbook: a docs-as-code operations handbook with a live fleet data API')
  .version(VERSION, '-v, --version')
  .showHelpAfterError()
  .addCommand(startCommand())
  .addCommand(migrateCommand())
  .addCommand(tokenCommand())
  .addCommand(lintCommand())
  .addCommand(specCommand())
  .addCommand(runCommand())
  .addCommand(runnerCommand())
  .addCommand(simulateCommand())
  .addCommand(deviceCommand())
  .addCommand(mosquittoCommand())
  .addCommand(versionCommand());

program.parseAsync(process.argv).catch((err) => {
  process.stderr.write(`fleetbook: ${err?.message ?? err}\n`);
  process.exit(1);
});
