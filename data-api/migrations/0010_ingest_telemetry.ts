import { sql, type Kysely } from 'kysely';

// Frozen in time: this file takes Kysely<any> and never the app's types.

/**
 * MQTT ingest: raw telemetry (one row per message, idempotent on device + msg_id), its
 * 1-minute and 1-hour rollups, the dead-letter table, and device MQTT credentials.
 *
 * Telemetry has no foreign key to devices on purpose: it is an append-only log trimmed by
 * retention, a foreign key would cost an index probe per row on the hot path, and deleting
 * a device must not have to delete (or be blocked by) millions of readings.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('telemetry')
    .addColumn('device_id', 'text', (c) => c.notNull())
    .addColumn('msg_id', 'text', (c) => c.notNull())
    // When the reading was taken (the payload's ts), not when it arrived.
    .addColumn('ts', 'timestamptz', (c) => c.notNull())
    // When the row was written: clock_timestamp(), not the transaction start, so
    // publish → row latency can be measured from the table itself.
    .addColumn('received_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`clock_timestamp()`))
    .addColumn('status', 'text')
    .addColumn('metrics', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addPrimaryKeyConstraint('telemetry_pk', ['device_id', 'msg_id'])
    .execute();
  await db.schema.createIndex('telemetry_device_ts_idx').on('telemetry').columns(['device_id', 'ts']).execute();
  // The rollup job finds what arrived since its last run; rows arrive roughly in
  // received_at order, which is what BRIN is for (tiny, cheap to maintain).
  await sql`create index telemetry_received_brin on telemetry using brin (received_at)`.execute(db);

  for (const table of ['telemetry_1m', 'telemetry_1h']) {
    await db.schema
      .createTable(table)
      .addColumn('device_id', 'text', (c) => c.notNull())
      .addColumn('metric', 'text', (c) => c.notNull())
      .addColumn('bucket', 'timestamptz', (c) => c.notNull())
      .addColumn('count', 'integer', (c) => c.notNull())
      .addColumn('sum', 'double precision', (c) => c.notNull())
      .addColumn('min', 'double precision', (c) => c.notNull())
      .addColumn('max', 'double precision', (c) => c.notNull())
      .addPrimaryKeyConstraint(`${table}_pk`, ['device_id', 'metric', 'bucket'])
      .execute();
    await db.schema.createIndex(`${table}_bucket_idx`).on(table).column('bucket').execute();
  }

  // Watermarks of the rollup job (which arrivals it has already folded in).
  await db.schema
    .createTable('telemetry_rollup_state')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('watermark', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('dead_letters')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('received_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('topic', 'text', (c) => c.notNull())
    .addColumn('site_id', 'text')
    .addColumn('device_id', 'text')
    // Resolved from the registry when the device or site is known: tenant filtering.
    .addColumn('customer_id', 'text')
    .addColumn('detail', 'text')
    // The raw payload, capped: text when it was UTF-8, base64 otherwise.
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('payload_encoding', 'text', (c) => c.notNull().check(sql`payload_encoding in ('utf8','base64')`))
    .addColumn('payload_bytes', 'integer', (c) => c.notNull())
    .addColumn('truncated', 'boolean', (c) => c.notNull().defaultTo(false))
    .execute();
  await db.schema.createIndex('dead_letters_reason_idx').on('dead_letters').columns(['reason', 'id']).execute();
  await db.schema.createIndex('dead_letters_device_idx').on('dead_letters').columns(['device_id', 'id']).execute();
  await db.schema.createIndex('dead_letters_customer_idx').on('dead_letters').columns(['customer_id', 'id']).execute();
  await db.schema.createIndex('dead_letters_received_idx').on('dead_letters').column('received_at').execute();

  // ChirpStack uplinks are mapped to devices by DevEUI (external_refs.chirpstack.dev_eui).
  await sql`create index devices_chirpstack_eui_idx on devices (lower(external_refs->'chirpstack'->>'dev_eui'))`.execute(
    db,
  );

  // contracts.md: device username = device id, password = device token. Only a hash is
  // kept, in Mosquitto's own PBKDF2-SHA512 format so `mosquitto export` can copy it.
  await db.schema
    .createTable('device_credentials')
    .addColumn('device_id', 'text', (c) => c.primaryKey().references('devices.id').onDelete('cascade'))
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('created_by', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index if exists devices_chirpstack_eui_idx`.execute(db);
  for (const table of [
    'device_credentials',
    'dead_letters',
    'telemetry_rollup_state',
    'telemetry_1h',
    'telemetry_1m',
    'telemetry',
  ]) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
