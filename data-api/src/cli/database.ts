import type { Kysely } from 'kysely';
import { loadConfig } from '../kernel/config/index.ts';
import { openDatabase, type Database } from '../kernel/db/index.ts';
import { migrateToLatest } from '../kernel/db/migrator.ts';
import { overridesFrom } from './options.ts';

/**
 * For commands that work on the database directly (token, device, mosquitto): opens it as
 * the flags and environment say (DATABASE_URL, or the embedded PGlite in --data-dir while
 * fleetbook is stopped), brings the schema up to date, runs `fn`, and closes it.
 */
export async function withDatabase<T>(
  opts: Record<string, unknown>,
  fn: (db: Kysely<Database>) => Promise<T>,
): Promise<T> {
  const config = loadConfig(process.env, overridesFrom(opts));
  const database = await openDatabase(config.database);
  try {
    await migrateToLatest(database.db);
    return await fn(database.db);
  } finally {
    await database.close();
  }
}
