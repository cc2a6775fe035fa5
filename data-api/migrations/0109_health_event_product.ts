import { sql, type Kysely } from 'kysely';

// Frozen in time: this file takes Kysely<any> and never the app's types.

/**
 * Each health transition records the device's product, as it already records its site and
 * customer: uptime per product (and filtered by product) read the product from the devices table,
 * so a deleted device's history dropped out of its product while still counting at its site.
 * Backfilled from the registry; transitions of devices deleted before this migration stay null.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('device_health_events').addColumn('product_code', 'text').execute();
  await sql`
    update device_health_events e set product_code = d.product_code
    from devices d where d.id = e.device_id`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('device_health_events').dropColumn('product_code').execute();
}
