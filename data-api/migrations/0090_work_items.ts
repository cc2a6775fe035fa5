import { sql, type Kysely } from 'kysely';

// Frozen in time: this file takes Kysely<any> and never the app's types.

/**
 * Work items (domain.md "work item"): tickets and tasks with an owner, a due date, a priority
 * and links to what they are about. `customer_id` is the tenant (derived from the links, or the
 * creating token's customer); it has no foreign key, like automation runs, so an item outlives
 * nothing it should not. The links are set to null when what they point at is deleted: the item
 * and its history stay.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('work_items')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('ticket','task')`))
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('state', 'text', (c) =>
      c.notNull().check(sql`state in ('open','in_progress','blocked','done','cancelled')`),
    )
    .addColumn('owner', 'text')
    .addColumn('due', 'date')
    .addColumn('priority', 'text', (c) => c.notNull().check(sql`priority in ('urgent','high','normal','low')`))
    .addColumn('origin', 'text', (c) => c.notNull().check(sql`origin in ('manual','runbook','automation','alert')`))
    .addColumn('customer_id', 'text')
    .addColumn('site_id', 'text', (c) => c.references('sites.id').onDelete('set null'))
    .addColumn('deployment_id', 'text', (c) => c.references('deployments.id').onDelete('set null'))
    .addColumn('device_id', 'text', (c) => c.references('devices.id').onDelete('set null'))
    .addColumn('alert_id', 'text', (c) => c.references('alerts.id').onDelete('set null'))
    .addColumn('runbook_execution_id', 'text', (c) => c.references('runbook_executions.id').onDelete('set null'))
    // The checklist item of the execution that raised it (meaningful only with the execution).
    .addColumn('runbook_item_id', 'text')
    .addColumn('automation_run_id', 'text', (c) => c.references('automation_runs.id').onDelete('set null'))
    // Where an external tracker keeps its copy: { system, key, url }.
    .addColumn('external_ref', 'jsonb')
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('closed_at', 'timestamptz')
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .execute();
  // Lists walk ids newest first, within a tenant, a state, an owner or a link.
  await db.schema.createIndex('work_items_customer_idx').on('work_items').columns(['customer_id', 'id']).execute();
  await db.schema.createIndex('work_items_state_idx').on('work_items').columns(['state', 'id']).execute();
  await db.schema.createIndex('work_items_owner_idx').on('work_items').columns(['owner', 'id']).execute();
  for (const link of [
    'site_id',
    'deployment_id',
    'device_id',
    'alert_id',
    'runbook_execution_id',
    'automation_run_id',
  ]) {
    await db.schema.createIndex(`work_items_${link}_idx`).on('work_items').columns([link, 'id']).execute();
  }

  await db.schema
    .createTable('work_item_comments')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('work_item_id', 'text', (c) => c.notNull().references('work_items.id').onDelete('cascade'))
    .addColumn('author', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createIndex('work_item_comments_item_idx')
    .on('work_item_comments')
    .columns(['work_item_id', 'id'])
    .execute();

  // Evidence files: the bytes live in the blob folder under their sha-256, like runbook evidence.
  await db.schema
    .createTable('work_item_attachments')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('work_item_id', 'text', (c) => c.notNull().references('work_items.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('photo','file')`))
    .addColumn('filename', 'text')
    .addColumn('content_type', 'text', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('blob_path', 'text', (c) => c.notNull())
    .addColumn('added_by', 'text', (c) => c.notNull())
    .addColumn('added_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createIndex('work_item_attachments_item_idx')
    .on('work_item_attachments')
    .columns(['work_item_id', 'added_at'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['work_item_attachments', 'work_item_comments', 'work_items']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
