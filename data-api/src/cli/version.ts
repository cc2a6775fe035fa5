import { Command } from 'commander';
import { VERSION } from '../kernel/version.ts';

export function versionCommand(): Command {
  return new Command('version').description('Print the fleetbook version').action(() => {
    process.stdout.write(`${VERSION}\n`);
  });
}
