// What the API says about notifications: the delivery log of an alert (every message that
// listed it, every attempt) and the alert rules with their live counts.
import { sql, type Kysely } from 'kysely';
import type { Principal } from '../kernel/auth/roles.ts';
import type { AppContext } from '../kernel/context.ts';
import type { AlertRule } from '../contracts/notification-rules.ts';
import type { AlertRuleInfo, Delivery } from '../contracts/notifications.ts';
import type { Database } from '../kernel/db/index.ts';

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

export async function deliveriesOf(db: Kysely<Database>, alertId: string): Promise<Delivery[]> {
  const rows = await db
    .selectFrom('notification_alerts as na')
    .innerJoin('notifications as n', 'n.id', 'na.notification_id')
    .select([
      'n.id',
      'n.contact_point',
      'n.step',
      'n.status',
      'n.state',
      'n.attempts',
      'n.next_attempt_at',
      'n.last_status',
      'n.last_detail',
      'n.created_at',
      'n.sent_at',
    ])
    .select((eb) =>
      eb
        .selectFrom('notification_alerts as x')
        .select((e) => e.fn.countAll<number>().as('c'))
        .whereRef('x.notification_id', '=', 'n.id')
        .as('alert_count'),
    )
    .where('na.alert_id', '=', alertId)
    .orderBy('n.created_at')
    .orderBy('n.id')
    .execute();
  const ids = rows.map((r) => r.id);
  const attempts = ids.length
    ? await db
        .selectFrom('notification_attempts')
        .selectAll()
        .where('notification_id', 'in', ids)
        .orderBy('id')
        .execute()
    : [];
  return rows.map((r) => ({
    id: r.id,
    contact_point: r.contact_point,
    step: r.step,
    status: r.status,
    state: r.state,
    attempts: r.attempts,
    next_attempt_at: r.state === 'pending' ? iso(r.next_attempt_at) : null,
    last_status: r.last_status,
    last_detail: r.last_detail,
    created_at: iso(r.created_at)!,
    sent_at: iso(r.sent_at),
    alert_count: Number(r.alert_count ?? 0),
    log: attempts
      .filter((a) => a.notification_id === r.id)
      .map((a) => ({
        attempt: a.attempt,
        at: iso(a.at)!,
        ok: a.ok,
        status: a.status,
        detail: a.detail,
        duration_ms: a.duration_ms,
      })),
  }));
}

/** One line that says what the rule watches. */
export function conditionOf(rule: AlertRule): string {
  const when = rule.when !== undefined ? ', when …' : '';
  switch (rule.kind) {
    case 'threshold':
      return `${rule.metric} ${rule.op} ${rule.value}${rule.for !== '0s' ? ` for ${rule.for}` : ''}${rule.clear !== undefined ? `, clear ${rule.clear}` : ''}${when}`;
    case 'no_data':
      return `no ${rule.metric ?? 'message'} for ${rule.for}${when}`;
    case 'state':
      return `${rule.event}${rule.states ? ` in ${rule.states.join(', ')}` : ''}${rule.for ? ` for ${rule.for}` : ''}${when}`;
  }
}

export async function listAlertRules(
  ctx: AppContext,
  who: Principal,
): Promise<{ configured: boolean; items: AlertRuleInfo[] }> {
  const engine = ctx.notifications;
  if (!engine) return { configured: false, items: [] };
  const counts = await sql<{ rule: string; n: number }>`
    select coalesce(labels->>'rule', rule_id) as rule, count(*)::int as n from alerts
    where state <> 'resolved' ${who.customerId ? sql`and customer_id = ${who.customerId}` : sql``}
    group by 1`.execute(ctx.db);
  const firing = new Map(counts.rows.map((r) => [r.rule, Number(r.n)]));
  const pendingRows = await sql<{ rule_id: string; n: number }>`
    select s.rule_id, count(*)::int as n from alert_rule_states s
    ${who.customerId ? sql`join devices d on d.id = s.subject_id and d.customer_id = ${who.customerId}` : sql``}
    where s.state = 'pending' group by 1`.execute(ctx.db);
  const pending = new Map(pendingRows.rows.map((r) => [r.rule_id, Number(r.n)]));
  return {
    configured: true,
    items: engine.rules.config.rules.rules.map((r) => ({
      id: r.id,
      kind: r.kind,
      severity: r.severity,
      summary: r.summary,
      condition: conditionOf(r),
      runbook: r.runbook ?? null,
      runbook_url: r.runbook ? (engine.rules.config.catalog.runbooks.get(r.runbook) ?? null) : null,
      labels: r.labels ?? {},
      // Alerts carry their rule in the `rule` label: a refinement of a built-in alert counts those it labelled.
      firing: firing.get(r.id) ?? 0,
      pending: pending.get(r.id) ?? 0,
    })),
  };
}
