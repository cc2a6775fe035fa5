import { sql, type Kysely } from 'kysely';

// Frozen in time: this file takes Kysely<any> and never the app's types.

/**
 * Runbook executions (domain.md "Work and evidence"): the execution with a snapshot of the
 * runbook's gates as started, one state row per checklist item (pre-created, so a tick is
 * one row lock), gate sign-offs, evidence rows (blobs live in the blob folder, addressed by
 * sha-256), the per-execution activity log (which also makes client actions idempotent),
 * and the people who may sign off `lead` gates.
 *
 * An execution belongs to its deployment: deleting a deployment (rare; deployments are
 * retired) deletes its executions with it, the audit log keeps the history.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('runbook_executions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('runbook_id', 'text', (c) => c.notNull())
    .addColumn('runbook_version', 'integer', (c) => c.notNull())
    .addColumn('runbook_title', 'text', (c) => c.notNull())
    .addColumn('runbook_kind', 'text', (c) => c.notNull())
    .addColumn('runbook_url', 'text')
    // The gates and checklist as the execution was started (the page may change later).
    .addColumn('snapshot', 'jsonb', (c) => c.notNull())
    .addColumn('deployment_id', 'text', (c) => c.notNull().references('deployments.id').onDelete('cascade'))
    .addColumn('site_id', 'text', (c) => c.notNull())
    .addColumn('customer_id', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) =>
      c
        .notNull()
        .defaultTo('in_progress')
        .check(sql`state in ('in_progress','blocked','done','abandoned')`),
    )
    .addColumn('started_by', 'text', (c) => c.notNull())
    .addColumn('started_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('finished_by', 'text')
    .addColumn('finished_at', 'timestamptz')
    .addColumn('abandon_reason', 'text')
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createIndex('runbook_executions_deployment_idx')
    .on('runbook_executions')
    .columns(['deployment_id', 'id'])
    .execute();
  await db.schema
    .createIndex('runbook_executions_runbook_idx')
    .on('runbook_executions')
    .columns(['runbook_id', 'state'])
    .execute();
  await db.schema
    .createIndex('runbook_executions_customer_idx')
    .on('runbook_executions')
    .columns(['customer_id', 'id'])
    .execute();

  await db.schema
    .createTable('runbook_item_states')
    .addColumn('execution_id', 'text', (c) => c.notNull().references('runbook_executions.id').onDelete('cascade'))
    .addColumn('item_id', 'text', (c) => c.notNull())
    .addColumn('gate_id', 'text', (c) => c.notNull())
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('checked', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('value', 'double precision')
    .addColumn('flagged', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('note', 'text')
    .addColumn('by', 'text')
    .addColumn('at', 'timestamptz')
    .addColumn('client_at', 'timestamptz')
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('runbook_item_states_pk', ['execution_id', 'item_id'])
    .execute();

  await db.schema
    .createTable('runbook_gate_signoffs')
    .addColumn('execution_id', 'text', (c) => c.notNull().references('runbook_executions.id').onDelete('cascade'))
    .addColumn('gate_id', 'text', (c) => c.notNull())
    .addColumn('by', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('note', 'text')
    .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('runbook_gate_signoffs_pk', ['execution_id', 'gate_id'])
    .execute();

  await db.schema
    .createTable('runbook_evidence')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('execution_id', 'text', (c) => c.notNull().references('runbook_executions.id').onDelete('cascade'))
    .addColumn('gate_id', 'text', (c) => c.notNull())
    .addColumn('item_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('photo','file','link')`))
    .addColumn('sha256', 'text')
    .addColumn('size', 'bigint')
    .addColumn('content_type', 'text')
    .addColumn('filename', 'text')
    // Relative to the blob folder: `<sha256[0:2]>/<sha256>`.
    .addColumn('blob_path', 'text')
    .addColumn('url', 'text')
    .addColumn('by', 'text', (c) => c.notNull())
    .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createIndex('runbook_evidence_execution_idx')
    .on('runbook_evidence')
    .columns(['execution_id', 'item_id'])
    .execute();

  await db.schema
    .createTable('runbook_execution_events')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('execution_id', 'text', (c) => c.notNull().references('runbook_executions.id').onDelete('cascade'))
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('gate_id', 'text')
    .addColumn('item_id', 'text')
    .addColumn('by', 'text', (c) => c.notNull())
    .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('client_at', 'timestamptz')
    // The client's id for the action: a retried action is recognised and applied once.
    .addColumn('action_id', 'text')
    .addColumn('detail', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addUniqueConstraint('runbook_execution_events_action_uq', ['execution_id', 'action_id'])
    .execute();
  await db.schema
    .createIndex('runbook_execution_events_execution_idx')
    .on('runbook_execution_events')
    .columns(['execution_id', 'id'])
    .execute();

  // Who may sign off `sign_off: lead` gates besides admins (docs: runbooks/index.mdx).
  await db.schema
    .createTable('runbook_leads')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('granted_by', 'text', (c) => c.notNull())
    .addColumn('granted_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of [
    'runbook_leads',
    'runbook_execution_events',
    'runbook_evidence',
    'runbook_gate_signoffs',
    'runbook_item_states',
    'runbook_executions',
  ]) {
    await db.schema.dropTable(t).ifExists().execute();
  }
}
