import { Command } from 'commander';
import { loadConfig } from '../kernel/config/index.ts';
import { openDatabase } from '../kernel/db/index.ts';
import { migrateToLatest } from '../kernel/db/migrator.ts';
import { exitWithError } from './errors.ts';
import { addRuntimeOptions, overridesFrom } from './options.ts';

export function migrateCommand(): Command {
  return addRuntimeOptions(new Command('migrate'))
    .description('Bring the database schema up to date (DATABASE_URL, or the embedded PGlite in --data-dir)')
    .action(async (opts) => {
      try {
        const config = loadConfig(process.env, overridesFrom(opts));
        const database = await openDatabase(config.database);
        try {
          const results = await migrateToLatest(database.db);
          if (results.length === 0) process.stdout.write('schema is up to date\n');
          for (const r of results)
            process.stdout.write(`${r.status === 'Success' ? 'applied' : r.status}  ${r.migrationName}\n`);
        } finally {
          await database.close();
        }
      } catch (err) {
        exitWithError(err);
      }
    });
}
