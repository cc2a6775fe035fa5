// No-data rules: a metric (or any message) of a device absent for `for`. Found by the
// leader's sweep, which the ingest cannot do (absence has no reading); the ingest resolves
// them as soon as the metric is back (evaluate.ts), the sweep does too for heartbeats.
import { sql, type Kysely } from 'kysely';
import { resolveAlertsByKey } from '../health/alerts/service.ts';
import type { NoDataRule } from '../contracts/notification-rules.ts';
import type { Database } from '../kernel/db/index.ts';
import {
  ACTOR,
  dedupeKeyOf,
  loadSubjects,
  notifyStateChanges,
  notifyWake,
  openFired,
  type CompiledRule,
  type Fired,
  type RuleSet,
} from './evaluate.ts';

const SWEEP_LIMIT = 2000;

/** Opens the no-data alerts that are due and resolves those whose data came back. */
export async function sweepNoData(db: Kysely<Database>, rules: RuleSet): Promise<{ opened: number; resolved: number }> {
  let opened = 0;
  let resolved = 0;
  for (const c of rules.noData) {
    opened += await openSilent(db, rules, c);
    resolved += await resolveBack(db, c);
  }
  return { opened, resolved };
}

async function openSilent(db: Kysely<Database>, rules: RuleSet, c: CompiledRule<NoDataRule>): Promise<number> {
  const rule = c.rule;
  const secs = c.forMs / 1000;
  const sel = rule.select ?? {};
  const products = c.products ? [...c.products] : null;
  // Devices in scope, heard of at least once, old enough to have missed `for` of data.
  const silent = await sql<{ id: string; last_seen: Date; last_metric: Date | null }>`
    select d.id, d.last_seen,
      ${rule.metric ? sql`(select max(t.ts) from telemetry t where t.device_id = d.id and t.ts > now() - make_interval(secs => ${secs * 4}) and t.metrics ? ${rule.metric})` : sql`null::timestamptz`} as last_metric
    from devices d
    where d.last_seen is not null
      and d.created_at < now() - make_interval(secs => ${secs})
      and not exists (select 1 from deployments dep where dep.id = d.deployment_id and dep.state = 'retired')
      and not exists (select 1 from alert_rule_states s where s.rule_id = ${rule.id} and s.subject_id = d.id)
      ${products ? sql`and d.product_code in (select jsonb_array_elements_text(${JSON.stringify(products)}::jsonb))` : sql``}
      ${sel.customers ? sql`and d.customer_id in (select jsonb_array_elements_text(${JSON.stringify(sel.customers)}::jsonb))` : sql``}
      ${sel.sites ? sql`and d.site_id in (select jsonb_array_elements_text(${JSON.stringify(sel.sites)}::jsonb))` : sql``}
      ${sel.roles ? sql`and d.role in (select jsonb_array_elements_text(${JSON.stringify(sel.roles)}::jsonb))` : sql``}
      and ${
        rule.metric
          ? sql`not exists (select 1 from telemetry t where t.device_id = d.id and t.ts > now() - make_interval(secs => ${secs}) and t.metrics ? ${rule.metric})`
          : sql`d.last_seen < now() - make_interval(secs => ${secs})`
      }
    order by d.id
    limit ${SWEEP_LIMIT}`.execute(db);
  if (!silent.rows.length) return 0;
  const devices = await loadSubjects(
    db,
    silent.rows.map((r) => r.id),
  );
  const now = Date.now();
  const due = silent.rows.flatMap((r) => {
    const device = devices.get(r.id);
    if (!device || !c.selects(device)) return [];
    const lastSeen = new Date(r.last_metric ?? r.last_seen);
    const data = {
      metric: rule.metric ?? null,
      last_seen: lastSeen.toISOString(),
      silent_s: Math.round((now - lastSeen.getTime()) / 1000),
      device,
    };
    return c.when(data) ? [{ device, since: lastSeen, data }] : [];
  });
  if (!due.length) return 0;
  return db.transaction().execute(async (trx) => {
    const inserted = await sql<{ subject_id: string; since: Date }>`
      insert into alert_rule_states (rule_id, subject_id, state, since)
      select ${rule.id}, x.subject_id, 'firing', x.since
      from jsonb_to_recordset(${JSON.stringify(due.map((d) => ({ subject_id: d.device.id, since: d.since.toISOString() })))}::jsonb) as x(subject_id text, since timestamptz)
      on conflict (rule_id, subject_id) do nothing
      returning subject_id, since`.execute(trx);
    await notifyStateChanges(
      trx,
      inserted.rows.map((r) => [rule.id, r.subject_id, 'firing', new Date(r.since).getTime()]),
    );
    const byId = new Map(due.map((d) => [d.device.id, d]));
    const fired: Fired[] = inserted.rows.map((r) => {
      const d = byId.get(r.subject_id)!;
      return {
        rule: c,
        device: d.device,
        value: null,
        values: { last_seen: d.data.last_seen, silent_s: d.data.silent_s },
      };
    });
    return openFired(trx, rules, fired);
  });
}

/** Firing no-data states whose device spoke again (a heartbeat, or the metric) since. */
async function resolveBack(db: Kysely<Database>, c: CompiledRule<NoDataRule>): Promise<number> {
  const rule = c.rule;
  return db.transaction().execute(async (trx) => {
    const back = await sql<{ subject_id: string }>`
      delete from alert_rule_states s
      where s.rule_id = ${rule.id} and s.state = 'firing'
        and (
          not exists (select 1 from devices d where d.id = s.subject_id)
          or exists (select 1 from devices d join deployments dep on dep.id = d.deployment_id where d.id = s.subject_id and dep.state = 'retired')
          or ${
            rule.metric
              ? sql`exists (select 1 from telemetry t where t.device_id = s.subject_id and t.ts > s.since + interval '1 millisecond' and t.ts > now() - make_interval(secs => ${c.forMs / 1000}) and t.metrics ? ${rule.metric})`
              : sql`exists (select 1 from devices d where d.id = s.subject_id and d.last_seen > now() - make_interval(secs => ${c.forMs / 1000}))`
          }
        )
      returning s.subject_id`.execute(trx);
    if (!back.rows.length) return 0;
    await notifyStateChanges(
      trx,
      back.rows.map((r) => [rule.id, r.subject_id, null, 0]),
    );
    const resolved = await resolveAlertsByKey(
      trx,
      ACTOR,
      back.rows.map((r) => dedupeKeyOf(rule.id, r.subject_id)),
    );
    if (resolved.length) await notifyWake(trx);
    return resolved.length;
  });
}
