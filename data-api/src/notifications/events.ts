// State rules other than device_down: a deployment in a state, an automation run failed, a
// runbook gate waiting for sign-off, a command expired. The leader's sweep reads them from
// their tables (the system of record) rather than from the change feed: a missed event or a
// restart cannot lose one, and each is opened once (its dedupe key).
import { sql, type Kysely, type Transaction } from 'kysely';
import { openAlerts, resolveAlertsByKey, type OpenAlertInput } from '../health/alerts/service.ts';
import type { StateRule } from '../contracts/notification-rules.ts';
import { BUILTIN_DEVICE_DOWN, parseDuration } from '../contracts/notification-rules.ts';
import type { Database } from '../kernel/db/index.ts';
import {
  ACTOR,
  dedupeKeyOf,
  notifyStateChanges,
  notifyWake,
  siteNames,
  type CompiledRule,
  type RuleSet,
} from './evaluate.ts';
import { alertLabels, fingerprintOf, renderTemplate, siteUrl, type SubjectDevice } from './labels.ts';

/** The built-in rules the system opens itself; a state rule of the same event refines them. */
export const BUILTIN_EVENTS: Partial<Record<StateRule['event'], string>> = {
  device_down: BUILTIN_DEVICE_DOWN,
  automation_run_failed: 'automation_run_failed',
};

/** Events are opened only when they are this recent: enabling a rule does not page for last week. */
const RECENT = '1 hour';

interface Subject {
  type: string;
  id: string;
  /** What selectors look at (no role or tags for non-device subjects). */
  selectable: SubjectDevice;
  labels: Record<string, string>;
  values: Record<string, unknown>;
  since: Date;
}

export async function sweepStateRules(
  db: Kysely<Database>,
  rules: RuleSet,
): Promise<{ opened: number; resolved: number }> {
  let opened = 0;
  let resolved = 0;
  for (const [event, list] of rules.state) {
    for (const c of list) {
      if (event === 'device_down') continue; // the health monitor opens those
      const r = await sweepRule(db, rules, c);
      opened += r.opened;
      resolved += r.resolved;
    }
  }
  return { opened, resolved };
}

async function sweepRule(
  db: Kysely<Database>,
  rules: RuleSet,
  c: CompiledRule<StateRule>,
): Promise<{ opened: number; resolved: number }> {
  const rule = c.rule;
  const holding = (await subjectsOf(db, c)).filter((s) => c.selects(s.selectable) && c.when(s.values));
  return db.transaction().execute(async (trx) => {
    let opened: number;
    let resolved = 0;
    if (rule.event === 'automation_run_failed' || rule.event === 'command_expired') {
      // One-shot events: one alert per event, ever; they end by auto_resolve or by hand.
      opened = await openFor(
        trx,
        rules,
        c,
        holding,
        (s) =>
          rule.event === 'automation_run_failed'
            ? dedupeKeyOf(BUILTIN_EVENTS.automation_run_failed!, s.id)
            : dedupeKeyOf(rule.id, s.id),
        true,
      );
    } else {
      // Conditions: a state row while it holds, the alert resolved when it stops.
      const fresh = await sql<{ subject_id: string; since: Date }>`
        insert into alert_rule_states (rule_id, subject_id, state, since)
        select ${rule.id}, x.id, 'firing', x.since
        from jsonb_to_recordset(${JSON.stringify(holding.map((s) => ({ id: s.id, since: s.since.toISOString() })))}::jsonb) as x(id text, since timestamptz)
        on conflict (rule_id, subject_id) do nothing
        returning subject_id, since`.execute(trx);
      const ids = new Set(fresh.rows.map((r) => r.subject_id));
      opened = await openFor(
        trx,
        rules,
        c,
        holding.filter((s) => ids.has(s.id)),
        (s) => dedupeKeyOf(rule.id, s.id),
        false,
      );
      const stopped = await sql<{ subject_id: string }>`
        delete from alert_rule_states
        where rule_id = ${rule.id}
          and subject_id not in (select jsonb_array_elements_text(${JSON.stringify(holding.map((s) => s.id))}::jsonb))
        returning subject_id`.execute(trx);
      await notifyStateChanges(trx, [
        ...fresh.rows.map(
          (r) => [rule.id, r.subject_id, 'firing', new Date(r.since).getTime()] as [string, string, 'firing', number],
        ),
        ...stopped.rows.map((r) => [rule.id, r.subject_id, null, 0] as [string, string, null, number]),
      ]);
      resolved += (
        await resolveAlertsByKey(
          trx,
          ACTOR,
          stopped.rows.map((r) => dedupeKeyOf(rule.id, r.subject_id)),
        )
      ).length;
    }
    if (rule.auto_resolve) {
      const alertname = BUILTIN_EVENTS[rule.event] ?? rule.id;
      const old = await sql<{ dedupe_key: string }>`
        select dedupe_key from alerts
        where rule_id = ${alertname} and state <> 'resolved' and opened_at < now() - make_interval(secs => ${(parseDuration(rule.auto_resolve) ?? 0) / 1000})`.execute(
        trx,
      );
      resolved += (
        await resolveAlertsByKey(
          trx,
          ACTOR,
          old.rows.map((r) => r.dedupe_key),
        )
      ).length;
    }
    if (opened || resolved) await notifyWake(trx);
    return { opened, resolved };
  });
}

async function openFor(
  trx: Transaction<Database>,
  rules: RuleSet,
  c: CompiledRule<StateRule>,
  subjects: Subject[],
  keyOf: (s: Subject) => string,
  once: boolean,
): Promise<number> {
  if (!subjects.length) return 0;
  let todo = subjects;
  if (once) {
    const seen = await trx
      .selectFrom('alerts')
      .select('dedupe_key')
      .where('dedupe_key', 'in', subjects.map(keyOf))
      .execute();
    const had = new Set(seen.map((r) => r.dedupe_key));
    todo = subjects.filter((s) => !had.has(keyOf(s)));
  }
  if (!todo.length) return 0;
  const names = await siteNames(
    trx,
    todo.map((s) => s.selectable.site_id),
  );
  const alertname = BUILTIN_EVENTS[c.rule.event] ?? c.rule.id;
  const inputs: OpenAlertInput[] = todo.map((s) => {
    const site = s.selectable.site_id;
    const values = {
      ...s.values,
      site: { id: site, name: site ? (names.get(site) ?? site) : 'no site' },
      rule: { id: c.rule.id },
    };
    const labels = alertLabels(alertname, c.rule, c.rule.severity, s.labels);
    const title = renderTemplate(c.rule.summary, values);
    const annotations: Record<string, string> = { summary: title };
    if (site) annotations.site_url = siteUrl(rules.externalUrl, site);
    const rb = rules.runbookUrl(c.rule.runbook);
    if (rb) annotations.runbook_url = rb;
    if (c.rule.description) annotations.description = renderTemplate(c.rule.description, values);
    return {
      ruleId: alertname,
      subject: { type: s.type, id: s.id },
      customerId: s.selectable.customer_id,
      siteId: site,
      severity: c.rule.severity,
      title: title.slice(0, 300),
      details: { rule: c.rule.id, event: c.rule.event },
      dedupeKey: keyOf(s),
      labels,
      annotations,
      fingerprint: fingerprintOf(labels),
    };
  });
  return (await openAlerts(trx, ACTOR, inputs)).length;
}

const selectable = (x: {
  id: string;
  site_id: string | null;
  customer_id: string | null;
  deployment_id: string | null;
  product_code?: string | null;
  product_version?: string | null;
}): SubjectDevice => ({
  id: x.id,
  name: null,
  site_id: x.site_id,
  customer_id: x.customer_id,
  deployment_id: x.deployment_id,
  product_code: x.product_code ?? '',
  product_version: x.product_version ?? null,
  role: '',
  tags: [],
});

function placeLabels(x: {
  site_id: string | null;
  customer_id: string | null;
  deployment_id: string | null;
  product_code?: string | null;
}): Record<string, string> {
  const l: Record<string, string> = {};
  if (x.site_id) l.site = x.site_id;
  if (x.customer_id) l.customer = x.customer_id;
  if (x.deployment_id) l.deployment = x.deployment_id;
  if (x.product_code) l.product = x.product_code;
  return l;
}

/** The subjects for which the rule's condition holds now. */
async function subjectsOf(db: Kysely<Database>, c: CompiledRule<StateRule>): Promise<Subject[]> {
  const rule = c.rule;
  const forSecs = (c.forMs ?? 0) / 1000;
  switch (rule.event) {
    case 'deployment_state':
      return deploymentsInState(db, rule.states ?? [], forSecs);
    case 'gate_waiting_sign_off':
      return gatesWaiting(db, forSecs);
    case 'automation_run_failed':
      return failedRuns(db);
    case 'command_expired':
      return expiredCommands(db);
    default:
      return [];
  }
}

async function deploymentsInState(
  db: Kysely<Database>,
  states: NonNullable<StateRule['states']>,
  forSecs: number,
): Promise<Subject[]> {
  const rows = await db
    .selectFrom('deployments')
    .select(['id', 'site_id', 'customer_id', 'product_code', 'product_version', 'state', 'name', 'updated_at'])
    .where('state', 'in', states)
    .where('updated_at', '<=', sql<Date>`now() - make_interval(secs => ${forSecs})`)
    .execute();
  return rows.map((d) => ({
    type: 'deployment',
    id: d.id,
    selectable: selectable({ ...d, deployment_id: d.id }),
    labels: placeLabels({ ...d, deployment_id: d.id }),
    values: {
      event: { state: d.state, since: new Date(d.updated_at).toISOString() },
      deployment: { id: d.id, name: d.name ?? d.id, state: d.state },
    },
    since: new Date(d.updated_at),
  }));
}

async function gatesWaiting(db: Kysely<Database>, forSecs: number): Promise<Subject[]> {
  const rows = await db
    .selectFrom('runbook_executions')
    .select([
      'id',
      'runbook_id',
      'runbook_title',
      'deployment_id',
      'site_id',
      'customer_id',
      'updated_at',
      'started_by',
    ])
    .where('state', '=', 'blocked')
    .where('updated_at', '<=', sql<Date>`now() - make_interval(secs => ${forSecs})`)
    .execute();
  return rows.map((e) => ({
    type: 'execution',
    id: e.id,
    selectable: selectable(e),
    labels: placeLabels(e),
    values: {
      event: { since: new Date(e.updated_at).toISOString() },
      execution: { id: e.id, runbook_id: e.runbook_id, runbook_title: e.runbook_title, started_by: e.started_by },
      deployment: { id: e.deployment_id },
    },
    since: new Date(e.updated_at),
  }));
}

/** Failed recently, and no later success of the same project on the same deployment. */
async function failedRuns(db: Kysely<Database>): Promise<Subject[]> {
  const rows = await sql<{
    id: string;
    project: string;
    deployment_id: string;
    site_id: string;
    customer_id: string;
    product_code: string;
    product_version: string;
    error: string | null;
    finished_at: Date;
  }>`
    select r.id, r.project, r.deployment_id, r.site_id, r.customer_id, r.product_code, r.product_version, r.error, r.finished_at
    from automation_runs r
    where r.state = 'failed' and r.finished_at > now() - interval '${sql.raw(RECENT)}'
      and not exists (select 1 from automation_runs s where s.deployment_id = r.deployment_id and s.project = r.project and s.state = 'succeeded' and s.finished_at > r.finished_at)`.execute(
    db,
  );
  return rows.rows.map((r) => ({
    type: 'automation_run',
    id: r.id,
    selectable: selectable(r),
    labels: placeLabels(r),
    values: {
      event: { error: r.error },
      run: { id: r.id, project: r.project, error: r.error ?? '' },
      deployment: { id: r.deployment_id },
    },
    since: new Date(r.finished_at),
  }));
}

async function expiredCommands(db: Kysely<Database>): Promise<Subject[]> {
  const rows = await sql<{
    id: string;
    device_id: string;
    action: string;
    site_id: string;
    customer_id: string | null;
    updated_at: Date;
    name: string | null;
    deployment_id: string | null;
    product_code: string;
    product_version: string | null;
    role: string;
    tags: string[];
  }>`
    select c.id, c.device_id, c.action, c.site_id, c.customer_id, c.updated_at, d.name, d.deployment_id, d.product_code, d.product_version, d.role, d.tags
    from commands c join devices d on d.id = c.device_id
    where c.status = 'expired' and c.updated_at > now() - interval '${sql.raw(RECENT)}'`.execute(db);
  return rows.rows.map((r) => ({
    type: 'command',
    id: r.id,
    selectable: {
      id: r.device_id,
      name: r.name,
      site_id: r.site_id,
      customer_id: r.customer_id,
      deployment_id: r.deployment_id,
      product_code: r.product_code,
      product_version: r.product_version,
      role: r.role,
      tags: r.tags ?? [],
    },
    labels: { ...placeLabels(r), device: r.device_id, role: r.role },
    values: {
      event: { action: r.action },
      command: { id: r.id, action: r.action },
      device: { id: r.device_id, name: r.name ?? r.device_id },
    },
    since: new Date(r.updated_at),
  }));
}
