import { Migrator, type Kysely, type MigrationResult } from 'kysely';
import { migrations } from '../../../migrations/index.ts';

/**
 * Brings the schema up to date. kysely's migrator takes a PostgreSQL advisory lock,
 * so two replicas starting at once migrate once. Returns results; throws only with a
 * message that names the failed migration.
 */
export async function migrateToLatest(db: Kysely<any>): Promise<MigrationResult[]> {
  // Areas number their migrations in their own ranges and land in any order: a database that
  // already ran 0095 still takes a 0090 that landed after it (each migration stands alone).
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    allowUnorderedMigrations: true,
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`migration ${failed?.migrationName ?? '(unknown)'} failed: ${reason}`);
  }
  return results ?? [];
}
