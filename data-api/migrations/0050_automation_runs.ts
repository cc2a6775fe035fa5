import { sql, type Kysely } from 'kysely';

// Frozen in time: this file takes Kysely<any> and never the app's types.

/**
 * Automation runs (domain.md "automation run"; contracts.md `/api/v1/automation-runs…`): the
 * run with its spec as run, its status timeline (one row per entry, in arrival order), its
 * artifacts (links to files committed beside the run page), the tickets its
 * open_ticket_on_failure actions recorded, and the Idempotency-Key of every write so that a
 * replayed write-back (the runner's journal) changes nothing.
 *
 * A run belongs to its deployment like a runbook execution does: deleting a deployment (rare;
 * deployments are retired) deletes its runs; the audit log and the run pages in git keep them.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('automation_runs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project', 'text', (c) => c.notNull())
    .addColumn('deployment_id', 'text', (c) => c.notNull().references('deployments.id').onDelete('cascade'))
    .addColumn('site_id', 'text', (c) => c.notNull())
    .addColumn('customer_id', 'text', (c) => c.notNull())
    .addColumn('product_code', 'text', (c) => c.notNull())
    .addColumn('product_version', 'text', (c) => c.notNull())
    // The execution spec as run (validated, defaults applied, secrets as references only).
    .addColumn('spec', 'jsonb', (c) => c.notNull())
    .addColumn('spec_digest', 'text', (c) => c.notNull())
    // Where the spec came from: a path under automation/specs/, `inline`, or `schedule:<id>`.
    .addColumn('spec_ref', 'text')
    // runner: created by a runner that already runs it; queue/schedule: waits for a runner's claim.
    .addColumn('source', 'text', (c) => c.notNull().check(sql`source in ('runner','queue','schedule')`))
    .addColumn('schedule_id', 'text')
    .addColumn('fire_time', 'timestamptz')
    .addColumn('dry_run', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('queued','running','succeeded','failed')`))
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('started_at', 'timestamptz')
    .addColumn('finished_at', 'timestamptz')
    .addColumn('duration_ms', 'bigint')
    .addColumn('page_path', 'text')
    .addColumn('commit_sha', 'text')
    .addColumn('pushed', 'boolean', (c) => c.notNull().defaultTo(false))
    // A claimed run: which runner holds it, until when (renewed by heartbeats and write-backs).
    .addColumn('claimed_by', 'text')
    .addColumn('claimed_at', 'timestamptz')
    .addColumn('lease_s', 'integer')
    .addColumn('lease_expires_at', 'timestamptz')
    .addColumn('error', 'text')
    .addColumn('timeline_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('automation_runs_project_idx').on('automation_runs').columns(['project', 'id']).execute();
  await db.schema
    .createIndex('automation_runs_deployment_idx')
    .on('automation_runs')
    .columns(['deployment_id', 'id'])
    .execute();
  await db.schema
    .createIndex('automation_runs_customer_idx')
    .on('automation_runs')
    .columns(['customer_id', 'id'])
    .execute();
  await db.schema
    .createIndex('automation_runs_state_idx')
    .on('automation_runs')
    .columns(['state', 'created_at', 'id'])
    .execute();
  // One claimed run per deployment at a time, whatever number of runners race for it.
  await sql`create unique index automation_runs_one_claimed_idx on automation_runs (deployment_id) where state = 'running' and claimed_by is not null`.execute(
    db,
  );

  await db.schema
    .createTable('automation_run_timeline')
    .addColumn('run_id', 'text', (c) => c.notNull().references('automation_runs.id').onDelete('cascade'))
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('at', 'timestamptz', (c) => c.notNull())
    .addColumn('action_id', 'text')
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('duration_ms', 'bigint', (c) => c.notNull())
    .addColumn('attempt', 'integer')
    .addPrimaryKeyConstraint('automation_run_timeline_pk', ['run_id', 'seq'])
    .execute();

  await db.schema
    .createTable('automation_run_artifacts')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('run_id', 'text', (c) => c.notNull().references('automation_runs.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('action_id', 'text')
    .addColumn('path', 'text', (c) => c.notNull())
    .addColumn('content_type', 'text', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createIndex('automation_run_artifacts_run_idx')
    .on('automation_run_artifacts')
    .columns(['run_id', 'id'])
    .execute();

  await db.schema
    .createTable('automation_tickets')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('run_id', 'text', (c) => c.notNull().references('automation_runs.id').onDelete('cascade'))
    .addColumn('deployment_id', 'text', (c) => c.notNull())
    .addColumn('customer_id', 'text', (c) => c.notNull())
    .addColumn('site_id', 'text', (c) => c.notNull())
    .addColumn('action_id', 'text', (c) => c.notNull())
    .addColumn('summary', 'text', (c) => c.notNull())
    .addColumn('severity', 'text', (c) => c.notNull().check(sql`severity in ('info','warning','critical')`))
    .addColumn('alert_id', 'text')
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createIndex('automation_tickets_run_idx')
    .on('automation_tickets')
    .columns(['run_id', 'id'])
    .execute();
  await db.schema
    .createIndex('automation_tickets_deployment_idx')
    .on('automation_tickets')
    .columns(['deployment_id', 'id'])
    .execute();

  // Idempotency-Key of every applied write and the answer it got: a repeat gets the same answer
  // and changes nothing. No foreign key: the key is taken before a created run exists.
  await db.schema
    .createTable('automation_run_requests')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('op', 'text', (c) => c.notNull())
    .addColumn('request_sha256', 'text', (c) => c.notNull())
    .addColumn('status', 'integer')
    .addColumn('response', 'jsonb')
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createIndex('automation_run_requests_run_idx')
    .on('automation_run_requests')
    .columns(['run_id'])
    .execute();
  await db.schema.createIndex('automation_run_requests_at_idx').on('automation_run_requests').columns(['at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of [
    'automation_run_requests',
    'automation_tickets',
    'automation_run_artifacts',
    'automation_run_timeline',
    'automation_runs',
  ]) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
