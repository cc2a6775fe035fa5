import type { Kysely } from 'kysely';

// Frozen in time: this file takes Kysely<any> and never the app's types.

/** GET /alerts/stats reads the alerts opened in a window (up to a year): by opened_at, not by scanning them all. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('alerts_opened_at_idx').on('alerts').column('opened_at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('alerts_opened_at_idx').ifExists().execute();
}
