import { sql, type Kysely } from 'kysely';

// Frozen in time: this file takes Kysely<any> and never the app's types.

export async function up(db: Kysely<any>): Promise<void> {
  const now = sql`now()`;

  await db.schema
    .createTable('customers')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .execute();

  await db.schema
    .createTable('sites')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('customer_id', 'text', (c) => c.notNull().references('customers.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('timezone', 'text', (c) => c.notNull().defaultTo('UTC'))
    .addColumn('lat', 'double precision')
    .addColumn('lon', 'double precision')
    .addColumn('lan_notes', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .execute();
  await db.schema.createIndex('sites_customer_idx').on('sites').columns(['customer_id', 'id']).execute();

  await db.schema
    .createTable('products')
    .addColumn('code', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('category', 'text', (c) => c.notNull())
    .addColumn('summary', 'text')
    .addColumn('source_path', 'text', (c) => c.notNull())
    .addColumn('loaded_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .execute();

  await db.schema
    .createTable('product_versions')
    .addColumn('product_code', 'text', (c) => c.notNull().references('products.code').onDelete('cascade'))
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('firmware_baseline', 'text')
    .addColumn('bom', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('default_runbooks', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addPrimaryKeyConstraint('product_versions_pk', ['product_code', 'version'])
    .execute();

  await db.schema
    .createTable('deployments')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('site_id', 'text', (c) => c.notNull().references('sites.id'))
    .addColumn('name', 'text')
    .addColumn('product_code', 'text', (c) => c.notNull())
    .addColumn('product_version', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) =>
      c
        .notNull()
        .defaultTo('planned')
        .check(sql`state in ('planned','installing','live','paused','retired')`),
    )
    .addColumn('planned_date', 'date')
    .addColumn('started_date', 'date')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .execute();
  await db.schema.createIndex('deployments_site_idx').on('deployments').columns(['site_id', 'id']).execute();

  await db.schema
    .createTable('devices')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('deployment_id', 'text', (c) => c.references('deployments.id'))
    .addColumn('site_id', 'text', (c) => c.references('sites.id'))
    .addColumn('product_code', 'text', (c) => c.notNull())
    .addColumn('product_version', 'text')
    .addColumn('role', 'text', (c) => c.notNull().check(sql`role in ('gateway','sensor','station','controller')`))
    .addColumn('serial', 'text')
    .addColumn('name', 'text')
    .addColumn('desired_state', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('desired_version', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('observed_state', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('status', 'text', (c) =>
      c
        .notNull()
        .defaultTo('unknown')
        .check(sql`status in ('up','down','unknown')`),
    )
    .addColumn('last_seen', 'timestamptz')
    .addColumn('external_refs', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('heartbeat_interval_s', 'integer', (c) => c.notNull().defaultTo(60))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .execute();
  // Keyset pagination walks (filter…, id): one index per common filter.
  await db.schema.createIndex('devices_site_status_idx').on('devices').columns(['site_id', 'status', 'id']).execute();
  await db.schema.createIndex('devices_deployment_idx').on('devices').columns(['deployment_id', 'id']).execute();
  await db.schema.createIndex('devices_status_idx').on('devices').columns(['status', 'id']).execute();

  await db.schema
    .createTable('device_secrets')
    .addColumn('device_id', 'text', (c) => c.notNull().references('devices.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addPrimaryKeyConstraint('device_secrets_pk', ['device_id', 'name'])
    .execute();

  await db.schema
    .createTable('inventory_items')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('sku', 'text', (c) => c.notNull())
    .addColumn('serial', 'text')
    .addColumn('state', 'text', (c) =>
      c
        .notNull()
        .defaultTo('in_stock')
        .check(sql`state in ('in_stock','allocated','installed','rma')`),
    )
    .addColumn('deployment_id', 'text', (c) => c.references('deployments.id'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .execute();

  await db.schema
    .createTable('audit_log')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('entity', 'text', (c) => c.notNull())
    .addColumn('entity_id', 'text', (c) => c.notNull())
    .addColumn('customer_id', 'text')
    .addColumn('before', 'jsonb')
    .addColumn('after', 'jsonb')
    .execute();
  await db.schema.createIndex('audit_entity_idx').on('audit_log').columns(['entity', 'entity_id', 'id']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of [
    'audit_log',
    'inventory_items',
    'device_secrets',
    'devices',
    'deployments',
    'product_versions',
    'products',
    'sites',
    'customers',
  ]) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
