import { sql, type Kysely } from 'kysely';

// Frozen in time: this file takes Kysely<any> and never the app's types.

/**
 * A command to a LoRaWAN device travels as a ChirpStack downlink: `downlink` keeps what was
 * queued (queue item id, fPort, confirmed, application), so that ChirpStack's ack and txack
 * events, which name only the queue item, settle the right command.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('commands').addColumn('downlink', 'jsonb').execute();
  await sql`create index commands_downlink_queue_item_idx on commands (device_id, (downlink->>'queue_item_id')) where downlink is not null`.execute(
    db,
  );
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index if exists commands_downlink_queue_item_idx`.execute(db);
  await db.schema.alterTable('commands').dropColumn('downlink').execute();
}
