// The routing tree (Alertmanager's `route`, Grafana's notification policies): an alert goes
// down from the root to the deepest matching policies; the first matching child wins unless
// it says `continue`. Settings not given are inherited. Then each alert joins the group of
// each policy it reached (group.ts), and the dispatcher marks it done.
import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import {
  GROUP_ALL,
  matcherTest,
  parseMatcher,
  ROUTE_DEFAULTS,
  type Escalation,
  type Route,
} from '../contracts/notification-policies.ts';
import { parseDuration } from '../contracts/notification-rules.ts';
import { generateId } from '../contracts/ids.ts';
import { json, type AlertsTable, type Database } from '../kernel/db/index.ts';
import { loadSubjects, type RuleSet } from './evaluate.ts';
import { BUILTIN_EVENTS } from './events.ts';
import type { CompiledRoute } from './compiled-route.ts';
import { groupOf } from './group.ts';
import {
  alertLabels,
  deviceLabels,
  deviceUrl,
  deviceValues,
  fingerprintOf,
  renderTemplate,
  siteUrl,
} from './labels.ts';

const ms = (text: string) => parseDuration(text) ?? 0;

/**
 * `untold`: contact points left out of every step (the demo's, whose secrets are not set): the
 * alert is routed and grouped as ever, and nobody is told there, as Alertmanager does with a
 * receiver that has no integration.
 */
export function compileRoutes(
  root: Route,
  escalations: Escalation[],
  untold: ReadonlySet<string> = new Set(),
): Map<string, CompiledRoute> {
  const byId = new Map<string, CompiledRoute>();
  const escalationById = new Map(escalations.map((e) => [e.id, e]));
  const build = (r: Route, id: string, parent: CompiledRoute | null): CompiledRoute => {
    const tests = (r.matchers ?? []).map((m) =>
      matcherTest(parseMatcher(m) as Exclude<ReturnType<typeof parseMatcher>, string>),
    );
    let receiverName = parent?.receiverName ?? '';
    let steps = parent?.steps ?? [];
    let cycle = parent?.cycle ?? false;
    if (r.escalation) {
      const e = escalationById.get(r.escalation)!;
      receiverName = e.id;
      steps = e.steps.map((s) => ({
        afterMs: ms(s.after),
        contactPoints: s.contact_points.filter((cp) => !untold.has(cp)),
      }));
      cycle = e.repeat;
    } else if (r.receiver) {
      receiverName = r.receiver;
      steps = [{ afterMs: 0, contactPoints: untold.has(r.receiver) ? [] : [r.receiver] }];
      cycle = false;
    }
    const groupBy = r.group_by ?? parent?.groupBy ?? [...ROUTE_DEFAULTS.group_by];
    const node: CompiledRoute = {
      id,
      test: (labels) => tests.every((t) => t(labels)),
      receiverName,
      steps,
      cycle,
      groupBy: Array.isArray(groupBy) && groupBy.includes(GROUP_ALL) ? GROUP_ALL : groupBy,
      groupWaitMs: r.group_wait ? ms(r.group_wait) : (parent?.groupWaitMs ?? ms(ROUTE_DEFAULTS.group_wait)),
      groupIntervalMs: r.group_interval
        ? ms(r.group_interval)
        : (parent?.groupIntervalMs ?? ms(ROUTE_DEFAULTS.group_interval)),
      repeatIntervalMs: r.repeat_interval
        ? ms(r.repeat_interval)
        : (parent?.repeatIntervalMs ?? ms(ROUTE_DEFAULTS.repeat_interval)),
      muteDuringMaintenance: r.mute_during_maintenance ?? parent?.muteDuringMaintenance ?? false,
      continue: r.continue ?? false,
      children: [],
    };
    byId.set(id, node);
    node.children = (r.routes ?? []).map((child, i) => build(child, `${id}.${i}`, node));
    return node;
  };
  build(root, 'root', null);
  return byId;
}

/** The policies an alert reaches: depth first, the deepest matching ones. */
export function matchRoutes(node: CompiledRoute, labels: Record<string, string>): CompiledRoute[] {
  const out: CompiledRoute[] = [];
  for (const child of node.children) {
    if (!child.test(labels)) continue;
    out.push(...matchRoutes(child, labels));
    if (!child.continue) break;
  }
  return out.length ? out : [node];
}

type AlertRow = Selectable<AlertsTable>;

/**
 * Labels for alerts opened without them (the health monitor's device_down, the automation
 * service's automation_run_failed): from the subject, refined by a state rule of the same
 * event when one selects it (its severity, labels, summary and runbook).
 */
async function enrich(db: Kysely<Database>, rules: RuleSet, rows: AlertRow[]): Promise<void> {
  const bare = rows.filter((r) => Object.keys(r.labels ?? {}).length === 0);
  if (!bare.length) return;
  const devices = await loadSubjects(
    db,
    bare.filter((r) => r.subject_type === 'device').map((r) => r.subject_id),
  );
  const sites = new Map((await db.selectFrom('sites').select(['id', 'name']).execute()).map((s) => [s.id, s.name]));
  const event = (ruleId: string) =>
    (Object.entries(BUILTIN_EVENTS).find(([, name]) => name === ruleId)?.[0] ?? null) as
      keyof typeof BUILTIN_EVENTS | null;
  for (const row of bare) {
    const device = row.subject_type === 'device' ? (devices.get(row.subject_id) ?? null) : null;
    const details = (row.details ?? {}) as Record<string, unknown>;
    const subject: Record<string, string> = device
      ? deviceLabels(device)
      : { subject_type: row.subject_type, subject: row.subject_id };
    if (!device) {
      if (row.site_id) subject.site = row.site_id;
      if (row.customer_id) subject.customer = row.customer_id;
      if (typeof details.deployment_id === 'string') subject.deployment = details.deployment_id;
    }
    const values = {
      ...(device ? deviceValues(device, device.site_id ? (sites.get(device.site_id) ?? null) : null) : {}),
      run: { id: row.subject_id, ...details },
      deployment: { id: details.deployment_id },
      site: { id: row.site_id, name: row.site_id ? (sites.get(row.site_id) ?? row.site_id) : 'no site' },
    };
    const ev = event(row.rule_id);
    const refined = ev ? rules.stateRuleFor(ev, device, { event: details, device, ...values }) : null;
    const severity = refined?.rule.severity ?? row.severity;
    const labels = alertLabels(row.rule_id, refined?.rule ?? null, severity, subject);
    const annotations: Record<string, string> = {
      summary: refined ? renderTemplate(refined.rule.summary, values) : row.title,
    };
    if (device) annotations.device_url = deviceUrl(rules.externalUrl, device.id);
    if (row.site_id) annotations.site_url = siteUrl(rules.externalUrl, row.site_id);
    const rb = rules.runbookUrl(refined?.rule.runbook);
    if (rb) annotations.runbook_url = rb;
    row.labels = labels;
    row.annotations = annotations;
    row.severity = severity;
    row.fingerprint = fingerprintOf(labels);
    await db
      .updateTable('alerts')
      .set({ labels: json(labels), annotations: json(annotations), fingerprint: row.fingerprint, severity })
      .where('id', '=', row.id)
      .execute();
  }
}

/**
 * Works off alerts whose state changed (the `dispatch_pending` flag a trigger sets): a new
 * alert joins its groups (first message after group_wait, or at the group's next interval);
 * a resolved one makes its groups due for the resolved message. Claimed with SKIP LOCKED:
 * every replica may run it at once. Returns how many alerts it took.
 */
export async function routePendingAlerts(
  db: Kysely<Database>,
  rules: RuleSet,
  routes: Map<string, CompiledRoute>,
  limit = 500,
): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const rows = await sql<AlertRow>`
      select * from alerts where dispatch_pending order by updated_at, id limit ${limit} for update skip locked`.execute(
      trx,
    );
    if (!rows.rows.length) return 0;
    await enrich(trx as unknown as Kysely<Database>, rules, rows.rows);
    const now = Date.now();
    const joins = joinsOf(routes.get('root')!, rows.rows);
    if (joins.size) await joinGroups(trx, joins, now);
    // Resolved alerts: their groups owe a resolved message (at the group's interval).
    const resolved = rows.rows.filter((r) => r.state === 'resolved').map((r) => r.id);
    if (resolved.length) await dueForResolved(trx, routes, resolved, now);
    await trx
      .updateTable('alerts')
      .set({ dispatch_pending: false })
      .where(
        'id',
        'in',
        rows.rows.map((r) => r.id),
      )
      .execute();
    return rows.rows.length;
  });
}

type Joins = Map<string, { route: CompiledRoute; labels: Record<string, string>; alerts: string[] }>;

/** Group keys of new alerts, with what their policy says about waiting. */
function joinsOf(root: CompiledRoute, rows: AlertRow[]): Joins {
  const joins: Joins = new Map();
  for (const row of rows) {
    if (row.state !== 'open') continue;
    for (const route of matchRoutes(root, row.labels)) {
      const g = groupOf(route, row.labels);
      const entry = joins.get(g.key) ?? { route, labels: g.labels, alerts: [] };
      entry.alerts.push(row.id);
      joins.set(g.key, entry);
    }
  }
  return joins;
}

/** New alerts join their groups: a group is created (first message after group_wait) or brought forward. */
async function joinGroups(trx: Transaction<Database>, joins: Joins, now: number): Promise<void> {
  const keys = [...joins.keys()];
  const existing = await trx
    .selectFrom('notification_groups')
    .selectAll()
    .where('group_key', 'in', keys)
    .forUpdate()
    .execute();
  const byKey = new Map(existing.map((g) => [g.group_key, g]));
  const fresh = keys.filter((k) => !byKey.has(k));
  if (fresh.length) {
    const inserted = await trx
      .insertInto('notification_groups')
      .values(
        fresh.map((k) => {
          const j = joins.get(k)!;
          return {
            id: generateId('notificationGroup'),
            group_key: k,
            route_id: j.route.id,
            group_labels: json(j.labels),
            next_flush_at: new Date(now + j.route.groupWaitMs),
          };
        }),
      )
      .onConflict((oc) => oc.column('group_key').doNothing())
      .returningAll()
      .execute();
    for (const g of inserted) byKey.set(g.group_key, g);
    // Lost a race with another replica creating the same group: take theirs.
    const missing = fresh.filter((k) => !byKey.has(k));
    if (missing.length)
      for (const g of await trx
        .selectFrom('notification_groups')
        .selectAll()
        .where('group_key', 'in', missing)
        .forUpdate()
        .execute())
        byKey.set(g.group_key, g);
  }
  for (const g of existing) {
    const j = joins.get(g.group_key)!;
    // Told before: the news waits for the group's interval (Alertmanager's group_interval).
    const at = g.last_flush_at
      ? Math.max(now, new Date(g.last_flush_at).getTime() + j.route.groupIntervalMs)
      : now + j.route.groupWaitMs;
    await flushNoLaterThan(trx, g, at);
  }
  const members = [...joins.entries()].flatMap(([k, j]) =>
    j.alerts.map((alert_id) => ({ group_id: byKey.get(k)!.id, alert_id })),
  );
  await trx
    .insertInto('notification_group_alerts')
    .values(members)
    .onConflict((oc) => oc.columns(['group_id', 'alert_id']).doNothing())
    .execute();
}

/** Moves a group's next flush to `at` when that is sooner (a flush already due earlier stays). */
async function flushNoLaterThan(
  trx: Transaction<Database>,
  g: { id: string; next_flush_at: Date | string | null },
  at: number,
): Promise<void> {
  const current = g.next_flush_at ? new Date(g.next_flush_at).getTime() : Infinity;
  if (at < current)
    await trx
      .updateTable('notification_groups')
      .set({ next_flush_at: new Date(at) })
      .where('id', '=', g.id)
      .execute();
}

/** The groups of resolved alerts become due for the resolved message (at the group's interval). */
async function dueForResolved(
  trx: Transaction<Database>,
  routes: Map<string, CompiledRoute>,
  resolved: string[],
  now: number,
): Promise<void> {
  const groups = await sql<{
    id: string;
    route_id: string;
    last_flush_at: Date | null;
    next_flush_at: Date | null;
  }>`
    select g.id, g.route_id, g.last_flush_at, g.next_flush_at from notification_groups g
    where g.id in (select group_id from notification_group_alerts where alert_id in (select jsonb_array_elements_text(${JSON.stringify(resolved)}::jsonb)))
    for update`.execute(trx);
  for (const g of groups.rows) {
    const interval = routes.get(g.route_id)?.groupIntervalMs ?? 0;
    const at = g.last_flush_at ? Math.max(now, new Date(g.last_flush_at).getTime() + interval) : now;
    await flushNoLaterThan(trx, g, at);
  }
}
