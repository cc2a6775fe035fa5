import { sql, type Kysely } from 'kysely';
import type { Database } from '../../kernel/db/index.ts';

/**
 * Idempotency keys of runner writes are kept this long (default 30 days). A runner's local
 * journal replays what the API missed as soon as the API is back — hours, not weeks — and
 * the replay must find its keys to apply once; a journal replayed after the keys are gone
 * would be applied again (docs/operating/production.mdx says so).
 */
export async function pruneRunRequests(db: Kysely<Database>, days = 30, chunk = 10_000): Promise<number> {
  let deleted = 0;
  for (let i = 0; i < 100; i++) {
    const res = await sql`
      delete from automation_run_requests where (tenant, key) in (
        select tenant, key from automation_run_requests where at < now() - make_interval(days => ${days}) limit ${chunk})`.execute(
      db,
    );
    const n = Number(res.numAffectedRows ?? 0);
    deleted += n;
    if (n < chunk) break;
  }
  return deleted;
}
