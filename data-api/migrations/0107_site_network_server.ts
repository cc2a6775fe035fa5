import type { Kysely } from 'kysely';

// Frozen in time: this file takes Kysely<any> and never the app's types.

/**
 * The LoRaWAN network server a site's gateways forward to (host name or IPv4 address): what a
 * runbook's `auto_check: { udp: "{{site.network_server}}:1700" }` probes.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('sites').addColumn('network_server', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('sites').dropColumn('network_server').execute();
}
