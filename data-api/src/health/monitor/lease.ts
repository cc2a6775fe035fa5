import { sql, type Kysely } from 'kysely';
import type { Database } from '../../kernel/db/index.ts';

/** What a lease attempt found: whether this holder has it, and since when holders have watched without a gap. */
export interface LeaseState {
  held: boolean;
  /**
   * When the current run of holders began: the lease's first take, or the first take after a gap
   * longer than `gapMs` in which nobody renewed it (the whole cluster was stopped or cut off from
   * the database). A failover within the gap keeps it.
   */
  watchingSince: Date | null;
}

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
  gapMs = ttlMs,
): Promise<LeaseState> {
  const result = await sql<{ holder: string; watching_since: Date }>`
    insert into leases (name, holder, expires_at) values (${name}, ${holder}, now() + make_interval(secs => ${ttlMs / 1000}))
    on conflict (name) do update
      set holder = excluded.holder,
          expires_at = excluded.expires_at,
          acquired_at = case when leases.holder = excluded.holder then leases.acquired_at else now() end,
          renewed_at = now(),
          watching_since = case when leases.renewed_at < now() - make_interval(secs => ${gapMs / 1000})
            then now() else leases.watching_since end
      where leases.holder = excluded.holder or leases.expires_at < now()
    returning holder, watching_since`.execute(db);
  const row = result.rows[0];
  return { held: row?.holder === holder, watchingSince: row ? new Date(row.watching_since) : null };
}

/** Lets the lease go at once, keeping when it was last renewed: a restart can then tell how long nobody held it. */
export async function releaseLease(db: Kysely<Database>, name: string, holder: string): Promise<void> {
  await db
    .updateTable('leases')
    .set({ expires_at: sql<Date>`now()` })
    .where('name', '=', name)
    .where('holder', '=', holder)
    .execute();
}
