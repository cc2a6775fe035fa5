import type { Kysely } from 'kysely';

// Frozen in time: this file takes Kysely<any> and never the app's types.

/** Why a step was skipped (its `when` and the value it gave, or the failed dependency): step trees, issue 16. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('automation_run_timeline').addColumn('skip', 'jsonb').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('automation_run_timeline').dropColumn('skip').execute();
}
