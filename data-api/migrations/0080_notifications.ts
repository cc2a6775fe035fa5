import { sql, type Kysely } from 'kysely';

// Frozen in time: this file takes Kysely<any> and never the app's types.

/**
 * The notifications engine: rule evaluation state, alert labels, notification groups, the
 * outbox with its delivery attempts, silences, contact point rate windows, and device tags
 * for rule selectors.
 */
export async function up(db: Kysely<any>): Promise<void> {
  // Device tags: rule selectors (`select: { tags: [...] }`) and routing labels.
  await db.schema
    .alterTable('devices')
    .addColumn('tags', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'::text[]`))
    .execute();

  // Alerts carry Alertmanager-style labels and annotations (routing, grouping, inhibition,
  // silences match on them) and a flag the dispatcher works off: set on insert and on every
  // state change by a trigger, so every writer of alerts (monitor, ingest, API) is covered.
  await db.schema
    .alterTable('alerts')
    .addColumn('labels', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('annotations', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('fingerprint', 'text')
    .addColumn('dispatch_pending', 'boolean', (c) => c.notNull().defaultTo(true))
    .execute();
  // Alerts resolved before the engine existed have nobody to tell.
  await sql`update alerts set dispatch_pending = false where state = 'resolved'`.execute(db);
  await sql`create index alerts_dispatch_pending_idx on alerts (updated_at) where dispatch_pending`.execute(db);
  await sql`
    create function alerts_mark_dispatch() returns trigger language plpgsql as $$
    begin
      new.dispatch_pending := true;
      return new;
    end $$`.execute(db);
  await sql`
    create trigger alerts_dispatch_on_state before update of state on alerts
    for each row when (old.state is distinct from new.state) execute function alerts_mark_dispatch()`.execute(db);

  // Per rule and subject, what the evaluator knows between readings: pending since (a `for`
  // survives a restart) or firing. The primary key is the "one alert per rule and subject" key.
  await db.schema
    .createTable('alert_rule_states')
    .addColumn('rule_id', 'text', (c) => c.notNull())
    .addColumn('subject_id', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('pending','firing')`))
    .addColumn('since', 'timestamptz', (c) => c.notNull())
    .addColumn('value', 'double precision')
    .addColumn('alert_id', 'text')
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('alert_rule_states_pk', ['rule_id', 'subject_id'])
    .execute();
  await db.schema
    .createIndex('alert_rule_states_pending_idx')
    .on('alert_rule_states')
    .columns(['state', 'since'])
    .execute();

  // One group per routing policy and group_by label values (Alertmanager's aggregation group).
  await db.schema
    .createTable('notification_groups')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('group_key', 'text', (c) => c.notNull().unique())
    .addColumn('route_id', 'text', (c) => c.notNull())
    .addColumn('group_labels', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    // The escalation clock of the current cycle, the last step fired in it (-1: none yet).
    .addColumn('cycle', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('cycle_started_at', 'timestamptz')
    .addColumn('step', 'integer', (c) => c.notNull().defaultTo(-1))
    .addColumn('last_flush_at', 'timestamptz')
    .addColumn('last_sent_at', 'timestamptz')
    .addColumn('next_flush_at', 'timestamptz')
    .execute();
  await sql`create index notification_groups_due_idx on notification_groups (next_flush_at) where next_flush_at is not null`.execute(
    db,
  );

  await db.schema
    .createTable('notification_group_alerts')
    .addColumn('group_id', 'text', (c) => c.notNull().references('notification_groups.id').onDelete('cascade'))
    .addColumn('alert_id', 'text', (c) => c.notNull().references('alerts.id').onDelete('cascade'))
    .addColumn('added_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    // Contact points told that it fires; a resolved message goes to the same ones.
    .addColumn('told', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'::text[]`))
    .addColumn('resolved_sent', 'boolean', (c) => c.notNull().defaultTo(false))
    .addPrimaryKeyConstraint('notification_group_alerts_pk', ['group_id', 'alert_id'])
    .execute();
  await db.schema
    .createIndex('notification_group_alerts_alert_idx')
    .on('notification_group_alerts')
    .column('alert_id')
    .execute();

  // The outbox: one row per message to one contact point, worked by every replica with
  // FOR UPDATE SKIP LOCKED. The payload is frozen when the row is written.
  await db.schema
    .createTable('notifications')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('group_id', 'text')
    .addColumn('contact_point', 'text', (c) => c.notNull())
    .addColumn('step', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('firing','resolved')`))
    .addColumn('payload', 'jsonb', (c) => c.notNull())
    .addColumn('state', 'text', (c) =>
      c
        .notNull()
        .defaultTo('pending')
        .check(sql`state in ('pending','sending','sent','failed')`),
    )
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('locked_until', 'timestamptz')
    .addColumn('idempotency_key', 'text', (c) => c.notNull().unique())
    .addColumn('last_status', 'integer')
    .addColumn('last_detail', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('sent_at', 'timestamptz')
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`create index notifications_work_idx on notifications (next_attempt_at) where state in ('pending','sending')`.execute(
    db,
  );
  await db.schema.createIndex('notifications_group_idx').on('notifications').columns(['group_id', 'id']).execute();

  await db.schema
    .createTable('notification_alerts')
    .addColumn('notification_id', 'text', (c) => c.notNull().references('notifications.id').onDelete('cascade'))
    .addColumn('alert_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('notification_alerts_pk', ['notification_id', 'alert_id'])
    .execute();
  await db.schema
    .createIndex('notification_alerts_alert_idx')
    .on('notification_alerts')
    .columns(['alert_id', 'notification_id'])
    .execute();

  await db.schema
    .createTable('notification_attempts')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('notification_id', 'text', (c) => c.notNull().references('notifications.id').onDelete('cascade'))
    .addColumn('attempt', 'integer', (c) => c.notNull())
    .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('ok', 'boolean', (c) => c.notNull())
    .addColumn('status', 'integer')
    .addColumn('detail', 'text')
    .addColumn('duration_ms', 'integer', (c) => c.notNull())
    .addColumn('instance', 'text')
    .execute();
  await db.schema
    .createIndex('notification_attempts_notification_idx')
    .on('notification_attempts')
    .columns(['notification_id', 'id'])
    .execute();

  // Per contact point, a fixed window counter shared by every replica.
  await db.schema
    .createTable('contact_point_windows')
    .addColumn('contact_point', 'text', (c) => c.primaryKey())
    .addColumn('window_start', 'timestamptz', (c) => c.notNull())
    .addColumn('sent', 'integer', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('silences')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('matchers', 'jsonb', (c) => c.notNull())
    .addColumn('starts_at', 'timestamptz', (c) => c.notNull())
    .addColumn('ends_at', 'timestamptz', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('comment', 'text', (c) => c.notNull())
    .addColumn('customer_id', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('silences_ends_idx').on('silences').columns(['ends_at', 'id']).execute();

  // Keys the process generates once for the cluster (the acknowledge links' HMAC key).
  await db.schema
    .createTable('notification_keys')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of [
    'notification_keys',
    'silences',
    'contact_point_windows',
    'notification_attempts',
    'notification_alerts',
    'notifications',
    'notification_group_alerts',
    'notification_groups',
    'alert_rule_states',
  ]) {
    await db.schema.dropTable(table).ifExists().execute();
  }
  await sql`drop trigger if exists alerts_dispatch_on_state on alerts`.execute(db);
  await sql`drop function if exists alerts_mark_dispatch()`.execute(db);
  await sql`drop index if exists alerts_dispatch_pending_idx`.execute(db);
  await db.schema
    .alterTable('alerts')
    .dropColumn('labels')
    .dropColumn('annotations')
    .dropColumn('fingerprint')
    .dropColumn('dispatch_pending')
    .execute();
  await db.schema.alterTable('devices').dropColumn('tags').execute();
}
