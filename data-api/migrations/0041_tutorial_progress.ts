import { sql, type Kysely } from 'kysely';

// Frozen in time: this file takes Kysely<any> and never the app's types.

/** Tutorial progress (domain.md): one row per person, track and completed step. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('tutorial_progress')
    // The principal name (token name or SSO user): "a person".
    .addColumn('person', 'text', (c) => c.notNull())
    .addColumn('track', 'text', (c) => c.notNull())
    .addColumn('step', 'integer', (c) => c.notNull())
    // The step page's id when it was completed (steps may be renumbered later).
    .addColumn('page_id', 'text', (c) => c.notNull())
    .addColumn('completed_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('tutorial_progress_pk', ['person', 'track', 'step'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('tutorial_progress').ifExists().execute();
}
