// Silences (Alertmanager's): label matchers and a time range; a matching alert is not sent
// while one is active. Made through the API, `fleetbook silence` or the form on the alerts
// dashboard; a customer-scoped token's silence mutes only that customer's alerts. Also the
// maintenance mute: a site with a runbook execution in progress or a deployment installing.
import { sql, type Kysely, type Selectable } from 'kysely';
import { recordAudit } from '../kernel/audit/service.ts';
import type { Principal } from '../kernel/auth/roles.ts';
import { emitChange } from '../kernel/changes/service.ts';
import { generateId } from '../contracts/ids.ts';
import { matcherTest, parseMatcher, type Matcher } from '../contracts/notification-policies.ts';
import { parseDuration } from '../contracts/notification-rules.ts';
import type { Silence, SilenceCreate } from '../contracts/notifications.ts';
import { json, type Database, type SilencesTable } from '../kernel/db/index.ts';
import { notFound, validationError } from '../kernel/errors/index.ts';

type Row = Selectable<SilencesTable>;
type Labels = Record<string, string>;

const iso = (d: Date | string) => new Date(d).toISOString();

export function toSilence(r: Row, now = Date.now()): Silence {
  const start = new Date(r.starts_at).getTime();
  const end = new Date(r.ends_at).getTime();
  return {
    id: r.id,
    matchers: r.matchers,
    starts_at: iso(r.starts_at),
    ends_at: iso(r.ends_at),
    created_by: r.created_by,
    comment: r.comment,
    customer_id: r.customer_id,
    state: end <= now ? 'expired' : start > now ? 'pending' : 'active',
    created_at: iso(r.created_at),
  };
}

/** A silence, compiled: its matchers, and its customer when it was made by a scoped token. */
export interface ActiveSilence {
  id: string;
  test: (labels: Labels) => boolean;
}

export function compileSilence(r: Pick<Row, 'id' | 'matchers' | 'customer_id'>): ActiveSilence {
  const tests = r.matchers.map((m) => matcherTest(parseMatcher(m) as Matcher));
  const customer = r.customer_id;
  return { id: r.id, test: (l) => (customer === null || l.customer === customer) && tests.every((t) => t(l)) };
}

export async function activeSilences(db: Kysely<Database>): Promise<ActiveSilence[]> {
  const rows = await db
    .selectFrom('silences')
    .select(['id', 'matchers', 'customer_id'])
    .where('starts_at', '<=', sql<Date>`now()`)
    .where('ends_at', '>', sql<Date>`now()`)
    .execute();
  return rows.map(compileSilence);
}

export const silencedBy = (silences: ActiveSilence[], labels: Labels): string | null =>
  silences.find((s) => s.test(labels))?.id ?? null;

export async function createSilence(db: Kysely<Database>, who: Principal, body: SilenceCreate): Promise<Silence> {
  const starts = body.starts_at ? new Date(body.starts_at) : new Date();
  const ends = body.ends_at
    ? new Date(body.ends_at)
    : new Date(starts.getTime() + (parseDuration(body.duration!) ?? 0));
  if (ends.getTime() <= starts.getTime())
    throw validationError([{ path: 'body.ends_at', message: 'expected ends_at after starts_at' }]);
  if (ends.getTime() <= Date.now())
    throw validationError([
      { path: 'body.ends_at', message: 'expected ends_at in the future: this silence would never be active' },
    ]);
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto('silences')
      .values({
        id: generateId('silence'),
        matchers: json(body.matchers.map((m) => m.trim())),
        starts_at: starts,
        ends_at: ends,
        created_by: who.name,
        comment: body.comment,
        customer_id: who.customerId,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    const silence = toSilence(row);
    await recordAudit(trx, who, {
      action: 'silence.create',
      entity: 'silence',
      entityId: row.id,
      customerId: row.customer_id,
      after: silence,
    });
    await emitChange(trx, {
      type: 'silence.created',
      subject: { type: 'silence', id: row.id },
      customerId: row.customer_id,
      payload: { silence },
    });
    return silence;
  });
}

/** Silences the caller may see: a scoped token sees its own customer's only. */
export async function listSilences(db: Kysely<Database>, who: Principal, states: string[]): Promise<Silence[]> {
  let q = db.selectFrom('silences').selectAll().orderBy('ends_at', 'desc').orderBy('id', 'desc').limit(500);
  if (who.customerId) q = q.where('customer_id', '=', who.customerId);
  if (!states.includes('expired')) q = q.where('ends_at', '>', sql<Date>`now()`);
  const now = Date.now();
  return (await q.execute()).map((r) => toSilence(r, now)).filter((s) => states.includes(s.state));
}

/** Ends a silence now (Alertmanager's "expire"); an expired one is left as it is. */
export async function expireSilence(db: Kysely<Database>, who: Principal, id: string): Promise<Silence> {
  return db.transaction().execute(async (trx) => {
    const before = await trx.selectFrom('silences').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
    if (!before || (who.customerId !== null && before.customer_id !== who.customerId)) throw notFound('silence', id);
    if (new Date(before.ends_at).getTime() <= Date.now()) return toSilence(before);
    const after = await trx
      .updateTable('silences')
      .set({ ends_at: sql<Date>`greatest(now(), starts_at)`, updated_at: new Date() })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(trx, who, {
      action: 'silence.expire',
      entity: 'silence',
      entityId: id,
      customerId: after.customer_id,
      before: toSilence(before),
      after: toSilence(after),
    });
    await emitChange(trx, {
      type: 'silence.expired',
      subject: { type: 'silence', id },
      customerId: after.customer_id,
      payload: { silence: toSilence(after) },
    });
    return toSilence(after);
  });
}

/**
 * Sites under maintenance: a runbook execution in progress (or blocked at a gate) or a
 * deployment being installed. Policies with `mute_during_maintenance` do not page for them.
 */
export async function sitesInMaintenance(db: Kysely<Database>, siteIds: string[]): Promise<Set<string>> {
  if (!siteIds.length) return new Set();
  const rows = await sql<{ site_id: string }>`
    select site_id from runbook_executions where state in ('in_progress','blocked') and site_id in (select jsonb_array_elements_text(${JSON.stringify(siteIds)}::jsonb))
    union
    select site_id from deployments where state = 'installing' and site_id in (select jsonb_array_elements_text(${JSON.stringify(siteIds)}::jsonb))`.execute(
    db,
  );
  return new Set(rows.rows.map((r) => r.site_id));
}
