import { type Kysely, sql } from 'kysely';

// Frozen in time: this file takes Kysely<any> and never the app's types.

/**
 * Keys that one customer-scoped token must not be able to take from another: a schedule slot
 * is fired once per tenant ('' = the whole fleet, fired by an unscoped runner), and an
 * Idempotency-Key belongs to the tenant that sent it.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('automation_schedule_fires')
    .addColumn('tenant', 'text', (c) => c.notNull().defaultTo(''))
    .execute();
  await db.schema.alterTable('automation_schedule_fires').dropConstraint('automation_schedule_fires_pk').execute();
  await db.schema
    .alterTable('automation_schedule_fires')
    .addPrimaryKeyConstraint('automation_schedule_fires_pk', ['schedule_id', 'fire_time', 'tenant'])
    .execute();

  await db.schema
    .alterTable('automation_run_requests')
    .addColumn('tenant', 'text', (c) => c.notNull().defaultTo(''))
    .execute();
  await db.schema.alterTable('automation_run_requests').dropConstraint('automation_run_requests_pkey').execute();
  await db.schema
    .alterTable('automation_run_requests')
    .addPrimaryKeyConstraint('automation_run_requests_pkey', ['tenant', 'key'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`delete from automation_run_requests where tenant <> ''`.execute(db);
  await db.schema.alterTable('automation_run_requests').dropConstraint('automation_run_requests_pkey').execute();
  await db.schema.alterTable('automation_run_requests').dropColumn('tenant').execute();
  await db.schema
    .alterTable('automation_run_requests')
    .addPrimaryKeyConstraint('automation_run_requests_pkey', ['key'])
    .execute();

  await sql`delete from automation_schedule_fires where tenant <> ''`.execute(db);
  await db.schema.alterTable('automation_schedule_fires').dropConstraint('automation_schedule_fires_pk').execute();
  await db.schema.alterTable('automation_schedule_fires').dropColumn('tenant').execute();
  await db.schema
    .alterTable('automation_schedule_fires')
    .addPrimaryKeyConstraint('automation_schedule_fires_pk', ['schedule_id', 'fire_time'])
    .execute();
}
