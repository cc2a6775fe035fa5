import type { Kysely } from 'kysely';

// Frozen in time: this file takes Kysely<any> and never the app's types.

/**
 * A site's radio region plan (e.g. AS923_1, EU868, US915): what execution-spec and checklist
 * `when:` conditions ask ("only for AS923 sites push the ChirpStack extra channels").
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('sites').addColumn('region', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('sites').dropColumn('region').execute();
}
