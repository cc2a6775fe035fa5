import { type Kysely, sql } from 'kysely';

// Frozen in time: this file takes Kysely<any> and never the app's types.

/**
 * Schedule slots (automation/schedules.yaml): one row per (schedule, fire time). Every runner
 * computes the same fire times from the cron expression; the first to insert the slot queues
 * its runs in the same transaction, the others find the slot taken and queue nothing.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('automation_schedule_fires')
    .addColumn('schedule_id', 'text', (c) => c.notNull())
    .addColumn('fire_time', 'timestamptz', (c) => c.notNull())
    .addColumn('fired_by', 'text', (c) => c.notNull())
    .addColumn('fired_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('run_ids', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('skipped', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addPrimaryKeyConstraint('automation_schedule_fires_pk', ['schedule_id', 'fire_time'])
    .execute();
  await db.schema
    .createIndex('automation_schedule_fires_at_idx')
    .on('automation_schedule_fires')
    .columns(['fired_at'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('automation_schedule_fires').ifExists().execute();
}
