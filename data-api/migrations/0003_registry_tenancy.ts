import { sql, type Kysely } from 'kysely';

// Frozen in time: this file takes Kysely<any> and never the app's types.

/**
 * Tenant filtering on every route: deployments and devices carry their customer, copied
 * from their site on write, so a customer-scoped list is one indexed range scan.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('deployments')
    .addColumn('customer_id', 'text', (c) => c.references('customers.id'))
    .execute();
  await db.schema
    .alterTable('devices')
    .addColumn('customer_id', 'text', (c) => c.references('customers.id'))
    .execute();
  await sql`update deployments d set customer_id = s.customer_id from sites s where s.id = d.site_id`.execute(db);
  await sql`update devices d set customer_id = s.customer_id from sites s where s.id = d.site_id`.execute(db);
  await db.schema
    .alterTable('deployments')
    .alterColumn('customer_id', (c) => c.setNotNull())
    .execute();
  await db.schema.createIndex('deployments_customer_idx').on('deployments').columns(['customer_id', 'id']).execute();
  await db.schema.createIndex('devices_customer_idx').on('devices').columns(['customer_id', 'id']).execute();
  await db.schema.createIndex('devices_role_idx').on('devices').columns(['role', 'id']).execute();
  await db.schema.createIndex('devices_product_idx').on('devices').columns(['product_code', 'id']).execute();
  await db.schema
    .createIndex('inventory_deployment_idx')
    .on('inventory_items')
    .columns(['deployment_id', 'id'])
    .execute();
  await db.schema.createIndex('audit_at_idx').on('audit_log').columns(['customer_id', 'id']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('devices').dropColumn('customer_id').execute();
  await db.schema.alterTable('deployments').dropColumn('customer_id').execute();
}
