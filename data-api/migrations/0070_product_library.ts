import { type Kysely, sql } from 'kysely';

// Frozen in time: this file takes Kysely<any> and never the app's types.

/**
 * The product library: a product's device side (role, heartbeat, metrics with units and
 * ranges, commands with params) and, per version, its release date, what changed and its
 * datasheets. Loaded from docs/products like the rest of the catalog.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('products')
    .addColumn('spec', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .execute();
  await db.schema
    .alterTable('product_versions')
    .addColumn('released', 'text')
    .addColumn('changes', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('datasheets', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('product_versions')
    .dropColumn('released')
    .dropColumn('changes')
    .dropColumn('datasheets')
    .execute();
  await db.schema.alterTable('products').dropColumn('spec').execute();
}
