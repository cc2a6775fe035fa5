import { sql, type Kysely } from 'kysely';
import type { Database } from '../data-api/src/kernel/db/index.ts';

/**
 * Starts a measured phase from a fresh checkpoint. Under the benches' write rates PostgreSQL
 * requests a checkpoint every few seconds of WAL (max_wal_size), and the full-page images
 * after one made the same INSERT ceiling read 58,000 to 107,000 rows/s from run to run:
 * each phase now starts at the same point of that cycle. Skipped where not permitted.
 */
export async function checkpoint(db: Kysely<Database>): Promise<void> {
  await sql`checkpoint`.execute(db).catch(() => {});
}
