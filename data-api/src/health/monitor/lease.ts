import { sql, type Kysely } from 'kysely';
import type { Database } from '../../kernel/db/index.ts';

/**
 * Leader election through a lease row: the holder renews it; anyone takes it once it has
 * expired. It behaves the same on PGlite and PostgreSQL, survives a holder that dies
 * (the lease runs out), and is visible (`select * from leases`). Correctness never rests
 * on it alone: every job it guards is also safe when two replicas run it at once.
 */
export async function tryAcquireLease(
  db: Kysely<Database>,
  name: string,
  holder: string,
  ttlMs: number,
): Promise<boolean> {
  const result = await sql<{ holder: string }>`
    insert into leases (name, holder, expires_at) values (${name}, ${holder}, now() + make_interval(secs => ${ttlMs / 1000}))
    on conflict (name) do update
      set holder = excluded.holder,
          expires_at = excluded.expires_at,
          acquired_at = case when leases.holder = excluded.holder then leases.acquired_at else now() end
      where leases.holder = excluded.holder or leases.expires_at < now()
    returning holder`.execute(db);
  return result.rows[0]?.holder === holder;
}

export async function releaseLease(db: Kysely<Database>, name: string, holder: string): Promise<void> {
  await db.deleteFrom('leases').where('name', '=', name).where('holder', '=', holder).execute();
}
