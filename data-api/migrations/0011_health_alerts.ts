import { sql, type Kysely } from 'kysely';

// Frozen in time: this file takes Kysely<any> and never the app's types.

/** Device health history (for uptime), alerts, and the leader lease of background jobs. */
export async function up(db: Kysely<any>): Promise<void> {
  // One row per health transition (up/down). Uptime is computed from these intervals.
  await db.schema
    .createTable('device_health_events')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('device_id', 'text', (c) => c.notNull())
    .addColumn('site_id', 'text')
    .addColumn('customer_id', 'text')
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('up','down')`))
    .addColumn('at', 'timestamptz', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('device_health_device_at_idx')
    .on('device_health_events')
    .columns(['device_id', 'at'])
    .execute();
  await db.schema.createIndex('device_health_at_idx').on('device_health_events').column('at').execute();

  await db.schema
    .createTable('alerts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('rule_id', 'text', (c) => c.notNull())
    .addColumn('subject_type', 'text', (c) => c.notNull())
    .addColumn('subject_id', 'text', (c) => c.notNull())
    .addColumn('customer_id', 'text')
    .addColumn('site_id', 'text')
    .addColumn('severity', 'text', (c) => c.notNull().check(sql`severity in ('critical','warning','info')`))
    .addColumn('state', 'text', (c) =>
      c
        .notNull()
        .defaultTo('open')
        .check(sql`state in ('open','acknowledged','resolved')`),
    )
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('details', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('dedupe_key', 'text', (c) => c.notNull())
    .addColumn('escalation_level', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('opened_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('acked_at', 'timestamptz')
    .addColumn('acked_by', 'text')
    .addColumn('resolved_at', 'timestamptz')
    .addColumn('resolved_by', 'text')
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  // contracts.md: an alert is deduplicated on its rule and subject. At most one alert per
  // dedupe key is not resolved, whatever number of replicas race to open it.
  await sql`create unique index alerts_dedupe_open_idx on alerts (dedupe_key) where state <> 'resolved'`.execute(db);
  await db.schema.createIndex('alerts_state_idx').on('alerts').columns(['state', 'id']).execute();
  await db.schema.createIndex('alerts_customer_idx').on('alerts').columns(['customer_id', 'id']).execute();
  await db.schema
    .createIndex('alerts_subject_idx')
    .on('alerts')
    .columns(['subject_type', 'subject_id', 'id'])
    .execute();

  // Leader election for background jobs (health sweeps, rollups, command expiry): the
  // same on PGlite and PostgreSQL, visible, and self-healing when a holder dies.
  await db.schema
    .createTable('leases')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('holder', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('acquired_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['leases', 'alerts', 'device_health_events'])
    await db.schema.dropTable(table).ifExists().execute();
}
