import { sql, type Kysely } from 'kysely';

// Frozen in time: this file takes Kysely<any> and never the app's types.

/**
 * Broker users that are not devices: ChirpStack's MQTT integration (it publishes events and
 * reads downlink commands). Only a hash is kept, in Mosquitto's PBKDF2-SHA512 format, like
 * device credentials, so that `mosquitto export` can copy it and the embedded broker check it.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('mqtt_integration_users')
    .addColumn('username', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('chirpstack')`))
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('created_by', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('mqtt_integration_users').ifExists().execute();
}
