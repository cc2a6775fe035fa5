import { sql, type Kysely } from 'kysely';

// Frozen in time: this file takes Kysely<any> and never the app's types.

/**
 * Rate-limit counters shared by every replica: one row per key (route + caller) and fixed
 * window, counted with one upsert. Rows past `expires_at` are deleted as the counters run.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('rate_limit_hits')
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('window_start', 'timestamptz', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('hits', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('rate_limit_hits_pk', ['key', 'window_start'])
    .execute();
  await sql`create index rate_limit_hits_expiry_idx on rate_limit_hits (expires_at)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('rate_limit_hits').execute();
}
