import { sql, type Kysely } from 'kysely';

// Frozen in time: this file takes Kysely<any> and never the app's types.

/**
 * The names (never the values) of a device's secrets, stored on the device: a device list
 * read them per row from device_secrets, a correlated subquery that cost PostgreSQL as much
 * again as the page itself (issue #18). The device service rewrites the column in the
 * transaction that writes the secrets; a deleted device takes both with it.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('devices')
    .addColumn('secrets_set', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
    .execute();
  await sql`update devices d set secrets_set = s.names
    from (select device_id, array_agg(name order by name) as names from device_secrets group by device_id) s
    where s.device_id = d.id`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('devices').dropColumn('secrets_set').execute();
}
