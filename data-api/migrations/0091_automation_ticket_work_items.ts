import type { Kysely } from 'kysely';

// Frozen in time: this file takes Kysely<any> and never the app's types.

/**
 * An open_ticket_on_failure ticket is a real work item now: the run's ticket record names it.
 * Null for tickets recorded before work items existed.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('automation_tickets')
    .addColumn('work_item_id', 'text', (c) => c.references('work_items.id').onDelete('set null'))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('automation_tickets').dropColumn('work_item_id').execute();
}
