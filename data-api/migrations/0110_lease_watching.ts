import { sql, type Kysely } from 'kysely';

// Frozen in time: this file takes Kysely<any> and never the app's types.

/**
 * A lease remembers when its holder last ran (renewed_at) and since when the cluster has been
 * watching without a gap (watching_since): after a stop longer than a failover, the health
 * monitor counts a device's silence from when fleetbook was back, not from before the stop.
 * Rows that exist now start watching now.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('leases')
    .addColumn('renewed_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('watching_since', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('leases').dropColumn('watching_since').dropColumn('renewed_at').execute();
}
