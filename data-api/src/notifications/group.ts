// Grouping (Alertmanager's aggregation groups): alerts of one policy with the same values of
// its group_by labels travel together: 40 sensors of one site going quiet are one message
// that lists them. A group is flushed when due (group_wait, group_interval, an escalation
// step, repeat_interval): silences, inhibition and maintenance are judged then, the
// escalation decides what to send, and the messages go to the outbox in the same transaction.
import { sql, type Kysely, type Selectable } from 'kysely';
import { GROUP_ALL } from '../contracts/notification-policies.ts';
import { type AlertsTable, type Database, type NotificationGroupsTable } from '../kernel/db/index.ts';
import { ackUrl, buildNotification, enqueueAll, newNotificationId } from './deliver.ts';
import { planFlush, type Member } from './escalate.ts';
import { notifyWake } from './evaluate.ts';
import type { Inhibitor } from './inhibit.ts';
import type { CompiledRoute } from './compiled-route.ts';
import { silencedBy, sitesInMaintenance, type ActiveSilence } from './silence.ts';

type Labels = Record<string, string>;

export function groupOf(route: CompiledRoute, labels: Labels): { key: string; labels: Labels } {
  const names = route.groupBy === GROUP_ALL ? Object.keys(labels).sort() : route.groupBy;
  const groupLabels: Labels = {};
  for (const n of names) if (labels[n] !== undefined) groupLabels[n] = labels[n]!;
  return { key: `${route.id}:${JSON.stringify(groupLabels)}`, labels: groupLabels };
}

export interface FlushContext {
  routes: Map<string, CompiledRoute>;
  /**
   * The active silences and the inhibiting alerts, read only once a group is due (most rounds flush nothing),
   * through the flush's own transaction: PGlite has one connection, and a read on another would wait for ever.
   */
  judges: (trx: Kysely<Database>) => Promise<{ silences: ActiveSilence[]; inhibitor: Inhibitor }>;
  externalUrl: string;
  ackKey: Buffer;
  ackTtlMs: number;
  maxAlerts: number;
}

export interface FlushStats {
  groups: number;
  messages: number;
  suppressed: number;
}

type GroupRow = Selectable<NotificationGroupsTable>;
type AlertRow = Selectable<AlertsTable>;

/**
 * Flushes due groups, up to 20 a transaction, until none is due (or `max` transactions). Every
 * replica may run it: a group is taken with SKIP LOCKED, so each is flushed by one of them.
 */
export async function flushDueGroups(db: Kysely<Database>, ctx: FlushContext, max = 200): Promise<FlushStats> {
  const stats: FlushStats = { groups: 0, messages: 0, suppressed: 0 };
  for (let i = 0; i < max; i++) {
    // Up to 20 groups a transaction: a storm of small groups is not a storm of commits.
    const done = await db.transaction().execute(async (trx) => {
      const groups = (
        await sql<GroupRow>`
          select * from notification_groups where next_flush_at <= now() order by next_flush_at limit 20 for update skip locked`.execute(
          trx,
        )
      ).rows;
      if (groups.length) await flushGroups(trx as unknown as Kysely<Database>, ctx, groups, stats);
      return groups.length;
    });
    stats.groups += done;
    if (done < 20) break;
  }
  return stats;
}

type MemberRow = AlertRow & { group_id: string; told: string[] | null; resolved_sent: boolean };
const asJson = (rows: unknown[]) => JSON.stringify(rows);
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/**
 * One transaction's groups, planned one by one (escalate.ts) and written together: a fixed
 * number of statements per transaction, not per group. Six round trips per group made a storm
 * of 500 one-device groups take 47 s to reach the outbox on a loaded 2-core machine (issue 14's
 * benchmark), and every crossing behind them waited.
 */
async function flushGroups(trx: Kysely<Database>, ctx: FlushContext, groups: GroupRow[], stats: FlushStats) {
  const now = Date.now();
  const all = (await trx
    .selectFrom('notification_group_alerts as m')
    .innerJoin('alerts as a', 'a.id', 'm.alert_id')
    .selectAll('a')
    .select(['m.group_id', 'm.told', 'm.resolved_sent'])
    .where(
      'm.group_id',
      'in',
      groups.map((g) => g.id),
    )
    .orderBy('a.id')
    .execute()) as MemberRow[];
  const byGroup = new Map<string, MemberRow[]>();
  for (const r of all) byGroup.set(r.group_id, [...(byGroup.get(r.group_id) ?? []), r]);
  const watchedSites = new Set<string>();
  for (const g of groups)
    if (ctx.routes.get(g.route_id)?.muteDuringMaintenance)
      for (const r of byGroup.get(g.id) ?? []) if (r.site_id) watchedSites.add(r.site_id);
  const maintenance = await sitesInMaintenance(trx, [...watchedSites]);
  const { silences, inhibitor } = await ctx.judges(trx);

  const outbox: FlushWrites['outbox'] = [];
  const told: FlushWrites['told'] = [];
  const steps: FlushWrites['steps'] = new Map();
  const resolvedSent: FlushWrites['resolvedSent'] = [];
  const done: FlushWrites['done'] = [];
  const ended: string[] = [];
  const clocks: FlushWrites['clocks'] = [];

  for (const g of groups) {
    const route = ctx.routes.get(g.route_id);
    const rows = byGroup.get(g.id) ?? [];
    if (!route || !rows.length) {
      // A policy gone from policies.yaml (or nothing left): the group ends.
      ended.push(g.id);
      continue;
    }
    const members: Member[] = rows.map((a) => {
      const suppressed =
        a.state === 'open' &&
        (silencedBy(silences, a.labels) !== null ||
          inhibitor.inhibitedBy({ id: a.id, labels: a.labels }) !== null ||
          (a.site_id !== null && maintenance.has(a.site_id)));
      if (suppressed) stats.suppressed++;
      return { alertId: a.id, state: a.state, told: a.told ?? [], resolvedSent: a.resolved_sent, suppressed };
    });
    const plan = planFlush(
      {
        cycle: g.cycle,
        cycleStartedAt: g.cycle_started_at ? new Date(g.cycle_started_at).getTime() : null,
        step: g.step,
        lastSentAt: g.last_sent_at ? new Date(g.last_sent_at).getTime() : null,
      },
      members,
      {
        steps: route.steps,
        cycle: route.cycle,
        repeatMs: route.repeatIntervalMs,
        groupIntervalMs: route.groupIntervalMs,
      },
      now,
    );
    const byId = new Map<string, AlertRow>(rows.map((r) => [r.id, r]));
    for (const m of plan.messages) {
      const id = newNotificationId();
      const alerts = m.alertIds.map((a) => byId.get(a)!).filter(Boolean);
      const payload = buildNotification({
        id,
        receiver: m.contactPoint,
        status: m.status,
        groupKey: g.group_key,
        groupLabels: g.group_labels,
        alerts,
        step: m.step,
        externalUrl: ctx.externalUrl,
        maxAlerts: ctx.maxAlerts,
        ...(m.status === 'firing' ? { ackUrl: ackUrl(ctx.externalUrl, ctx.ackKey, id, ctx.ackTtlMs, now) } : {}),
      });
      outbox.push({
        id,
        groupId: g.id,
        contactPoint: m.contactPoint,
        step: m.step,
        status: m.status,
        payload,
        alertIds: m.alertIds,
      });
      stats.messages++;
      if (m.status === 'firing') for (const a of m.alertIds) steps.set(a, Math.max(steps.get(a) ?? 0, m.step));
    }
    const adds = new Map<string, string[]>();
    for (const [cp, ids] of plan.told) for (const a of ids) adds.set(a, [...(adds.get(a) ?? []), cp]);
    const toldNow = new Map(rows.map((r) => [r.id, r.told ?? []]));
    for (const [alert_id, cps] of adds) {
      const add = cps.filter((cp) => !toldNow.get(alert_id)?.includes(cp));
      if (add.length) told.push({ group_id: g.id, alert_id, add });
    }
    for (const a of plan.resolvedSent) resolvedSent.push({ group_id: g.id, alert_id: a });
    for (const a of plan.done) done.push({ group_id: g.id, alert_id: a });
    if (plan.done.length === rows.length) ended.push(g.id);
    else
      clocks.push({
        id: g.id,
        cycle: plan.clock.cycle,
        cycle_started_at: iso(plan.clock.cycleStartedAt),
        step: plan.clock.step,
        last_sent_at: iso(plan.clock.lastSentAt),
        last_flush_at: iso(now),
        next_flush_at: iso(plan.nextFlushAt),
      });
  }

  await writeFlush(trx, { outbox, told, steps, resolvedSent, done, ended, clocks });
}

interface FlushWrites {
  outbox: Parameters<typeof enqueueAll>[1];
  told: Array<{ group_id: string; alert_id: string; add: string[] }>;
  steps: Map<string, number>;
  resolvedSent: Array<{ group_id: string; alert_id: string }>;
  done: Array<{ group_id: string; alert_id: string }>;
  ended: string[];
  clocks: Array<Record<string, unknown>>;
}

/** What the groups of one transaction decided, written in one statement per kind. */
async function writeFlush(trx: Kysely<Database>, w: FlushWrites): Promise<void> {
  const { outbox, told, steps, resolvedSent, done, ended, clocks } = w;
  await enqueueAll(trx, outbox);
  if (told.length)
    await sql`
      update notification_group_alerts m set told = m.told || array(select jsonb_array_elements_text(x.add))
      from jsonb_to_recordset(${asJson(told)}::jsonb) as x(group_id text, alert_id text, add jsonb)
      where m.group_id = x.group_id and m.alert_id = x.alert_id`.execute(trx);
  if (steps.size)
    await sql`
      update alerts a set escalation_level = greatest(a.escalation_level, x.step)
      from jsonb_to_recordset(${asJson([...steps].map(([id, step]) => ({ id, step })))}::jsonb) as x(id text, step int)
      where a.id = x.id and a.escalation_level < x.step`.execute(trx);
  if (resolvedSent.length)
    await sql`
      update notification_group_alerts m set resolved_sent = true
      from jsonb_to_recordset(${asJson(resolvedSent)}::jsonb) as x(group_id text, alert_id text)
      where m.group_id = x.group_id and m.alert_id = x.alert_id`.execute(trx);
  if (done.length)
    await sql`
      delete from notification_group_alerts m
      using jsonb_to_recordset(${asJson(done)}::jsonb) as x(group_id text, alert_id text)
      where m.group_id = x.group_id and m.alert_id = x.alert_id`.execute(trx);
  if (ended.length) await trx.deleteFrom('notification_groups').where('id', 'in', ended).execute();
  if (clocks.length)
    await sql`
      update notification_groups g set cycle = x.cycle, cycle_started_at = x.cycle_started_at, step = x.step,
        last_sent_at = x.last_sent_at, last_flush_at = x.last_flush_at, next_flush_at = x.next_flush_at
      from jsonb_to_recordset(${asJson(clocks)}::jsonb) as x(id text, cycle int, cycle_started_at timestamptz, step int,
        last_sent_at timestamptz, last_flush_at timestamptz, next_flush_at timestamptz)
      where g.id = x.id`.execute(trx);
  if (outbox.length) await notifyWake(trx);
}
