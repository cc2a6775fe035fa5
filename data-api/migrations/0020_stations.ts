import { sql, type Kysely } from 'kysely';

// Frozen in time: this file takes Kysely<any> and never the app's types.

/**
 * RFID stations: claims pre-registered by an admin (MAC + hashed claim code), the station
 * mapping (line), the idempotent event log, and bundles with their last station.
 *
 * None of these tables blocks a registry delete: a deleted site or device cascades or
 * clears what points at it. Events and bundles have no foreign keys at all, like
 * telemetry: an append-only log must neither slow the hot path nor be deleted with a device.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('station_claims')
    // Normalised `aa:bb:cc:dd:ee:ff`: one claim per station NIC.
    .addColumn('mac', 'text', (c) => c.primaryKey())
    // scrypt of the normalised claim code; the code itself is never stored.
    .addColumn('code_hash', 'text', (c) => c.notNull())
    .addColumn('customer_id', 'text', (c) => c.references('customers.id').onDelete('cascade'))
    .addColumn('site_id', 'text', (c) => c.references('sites.id').onDelete('set null'))
    .addColumn('line', 'text')
    .addColumn('name', 'text')
    // The station device once claimed; a deleted device is re-created by the next claim.
    .addColumn('station_id', 'text', (c) => c.references('devices.id').onDelete('set null'))
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('claimed_at', 'timestamptz')
    .addColumn('claim_count', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .createIndex('station_claims_customer_idx')
    .on('station_claims')
    .columns(['customer_id', 'mac'])
    .execute();
  await db.schema.createIndex('station_claims_station_idx').on('station_claims').column('station_id').execute();

  // What the registry's devices table has no column for: the line, and when the station
  // was claimed and mapped. One row per station device.
  await db.schema
    .createTable('stations')
    .addColumn('device_id', 'text', (c) => c.primaryKey().references('devices.id').onDelete('cascade'))
    .addColumn('mac', 'text')
    .addColumn('line', 'text')
    .addColumn('claimed_at', 'timestamptz')
    .addColumn('mapped_at', 'timestamptz')
    .addColumn('mapped_by', 'text')
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('station_events')
    // Unique across all stations (UUID or ULID): the idempotency key of ingest.
    .addColumn('event_id', 'text', (c) => c.primaryKey())
    .addColumn('station_id', 'text', (c) => c.notNull())
    // Attribution at ingest time (null while the station is unmapped).
    .addColumn('customer_id', 'text')
    .addColumn('site_id', 'text')
    .addColumn('line', 'text')
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('tag_id', 'text')
    .addColumn('bundle_id', 'text')
    // When the station saw it (the payload's ts), not when it arrived.
    .addColumn('ts', 'timestamptz', (c) => c.notNull())
    .addColumn('received_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`clock_timestamp()`))
    .addColumn('antenna', 'integer')
    .addColumn('rssi', 'double precision')
    .execute();
  await db.schema
    .createIndex('station_events_station_ts_idx')
    .on('station_events')
    .columns(['station_id', 'ts'])
    .execute();
  await db.schema
    .createIndex('station_events_station_type_ts_idx')
    .on('station_events')
    .columns(['station_id', 'type', 'ts'])
    .execute();
  await sql`create index station_events_bundle_idx on station_events (bundle_id, ts) where bundle_id is not null`.execute(
    db,
  );

  await db.schema
    .createTable('bundles')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('last_station_id', 'text', (c) => c.notNull())
    // Only ever moves forward: a late (replayed) event never rewinds a bundle.
    .addColumn('last_seen', 'timestamptz', (c) => c.notNull())
    .addColumn('last_event_id', 'text', (c) => c.notNull())
    .addColumn('last_event_type', 'text', (c) => c.notNull())
    .addColumn('customer_id', 'text')
    .addColumn('site_id', 'text')
    .addColumn('line', 'text')
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('bundles_station_idx').on('bundles').columns(['last_station_id', 'last_seen']).execute();
  await db.schema.createIndex('bundles_customer_idx').on('bundles').columns(['customer_id', 'id']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['bundles', 'station_events', 'stations', 'station_claims']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
