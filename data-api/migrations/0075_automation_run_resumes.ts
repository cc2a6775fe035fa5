import type { Kysely } from 'kysely';

// Frozen in time: this file takes Kysely<any> and never the app's types.

/**
 * A run its runner left mid-run (killed, host lost) is picked up again rather than failed: by
 * the same runner after a restart, or by another runner once the lease lapsed. `resumes`
 * counts those pick-ups, so a run that keeps killing its runner fails as lost in the end.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('automation_runs')
    .addColumn('resumes', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('automation_runs').dropColumn('resumes').execute();
}
