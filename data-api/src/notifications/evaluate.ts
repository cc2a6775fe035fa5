// Evaluation of threshold rules on readings as the ingest stores them, inside the batch's own
// transaction: pending → firing → resolved, persisted in alert_rule_states (the unique key
// of one alert per rule and subject, whatever number of replicas evaluate). Each replica
// keeps the rows that are not "normal" in memory, kept in step by NOTIFY, so a reading that
// changes nothing costs no query: the common case is a few Map lookups.
import jsonLogic from 'json-logic-js';
import { sql, type Kysely, type Transaction } from 'kysely';
import semver from 'semver';
import { openAlerts, resolveAlertsByKey, type OpenAlertInput } from '../health/alerts/service.ts';
import type { NoDataRule, AlertRule, StateRule, ThresholdRule } from '../contracts/notification-rules.ts';
import { parseDuration } from '../contracts/notification-rules.ts';
import type { Database } from '../kernel/db/index.ts';
import type { StoredReading } from '../telemetry/ingest/readings.ts';
import type { NotificationConfig } from './rules.ts';
import {
  alertLabels,
  deviceLabels,
  deviceUrl,
  deviceValues,
  fingerprintOf,
  renderTemplate,
  runbookUrl,
  siteUrl,
  type SubjectDevice,
} from './labels.ts';

type Db = Kysely<Database> | Transaction<Database>;

export const ACTOR = 'system:notifications';
/** One NOTIFY channel for the engine: rule state changes (`s…`) and wake-ups (`w`). */
export const NOTIFY_CHANNEL = 'fleetbook_notify';
/** Readings older than this (a gateway's offline buffer) are stored but not evaluated. */
export const STALE_MS = 15 * 60_000;

export interface CompiledRule<R extends AlertRule = AlertRule> {
  rule: R;
  forMs: number;
  /** The products it applies to: select.products, or those whose catalog has its metric. */
  products: Set<string> | null;
  selects(d: SubjectDevice): boolean;
  when(data: Record<string, unknown>): boolean;
}

export class RuleSet {
  readonly byId = new Map<string, CompiledRule>();
  readonly thresholdsByMetric = new Map<string, CompiledRule<ThresholdRule>[]>();
  readonly noData: CompiledRule<NoDataRule>[] = [];
  readonly state = new Map<StateRule['event'], CompiledRule<StateRule>[]>();

  constructor(
    readonly config: NotificationConfig,
    readonly externalUrl: string,
  ) {
    for (const rule of config.rules.rules) {
      const c = compileRule(rule, config);
      this.byId.set(rule.id, c);
      if (rule.kind === 'threshold') push(this.thresholdsByMetric, rule.metric, c as CompiledRule<ThresholdRule>);
      else if (rule.kind === 'no_data') this.noData.push(c as CompiledRule<NoDataRule>);
      else push(this.state, rule.event, c as CompiledRule<StateRule>);
    }
  }

  /** The first state rule of `event` that selects this device (a refinement of a built-in alert). */
  stateRuleFor(
    event: StateRule['event'],
    d: SubjectDevice | null,
    data: Record<string, unknown>,
  ): CompiledRule<StateRule> | null {
    return this.state.get(event)?.find((c) => (!d || c.selects(d)) && c.when(data)) ?? null;
  }

  runbookUrl(id: string | undefined): string | null {
    const path = id ? this.config.catalog.runbooks.get(id) : undefined;
    return path ? runbookUrl(this.externalUrl, path) : null;
  }
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function compileRule(rule: AlertRule, config: NotificationConfig): CompiledRule {
  const sel = rule.select ?? {};
  let products: Set<string> | null = sel.products ? new Set(sel.products) : null;
  const metric = rule.kind === 'threshold' || rule.kind === 'no_data' ? rule.metric : undefined;
  if (!products && metric) {
    products = new Set([...config.catalog.products].filter(([, metrics]) => metrics.has(metric)).map(([code]) => code));
    // A page left out for its errors keeps its product's devices under the rule when its metrics read.
    for (const page of config.catalog.leftOut.values())
      if (page.metrics.includes(metric)) products.add(page.product_code);
  }
  const customers = sel.customers ? new Set(sel.customers) : null;
  const sites = sel.sites ? new Set(sel.sites) : null;
  const roles = sel.roles ? new Set<string>(sel.roles) : null;
  const tags = sel.tags ?? null;
  const range = sel.product_versions ?? null;
  // Registry facts change rarely: a device's verdict is kept with its (cached) registry object.
  const verdicts = new WeakMap<SubjectDevice, boolean>();
  const selects = (d: SubjectDevice): boolean => {
    const known = verdicts.get(d);
    if (known !== undefined) return known;
    const ok =
      (!customers || (d.customer_id !== null && customers.has(d.customer_id))) &&
      (!sites || (d.site_id !== null && sites.has(d.site_id))) &&
      (!products || products.has(d.product_code)) &&
      (!roles || roles.has(d.role)) &&
      (!tags || tags.some((t) => d.tags.includes(t))) &&
      (!range ||
        (d.product_version !== null && semver.satisfies(semver.coerce(d.product_version) ?? d.product_version, range)));
    verdicts.set(d, ok);
    return ok;
  };
  const logic = rule.when;
  const when =
    logic === undefined || logic === true
      ? () => true
      : logic === false
        ? () => false
        : (data: Record<string, unknown>) => {
            try {
              return jsonLogic.truthy(jsonLogic.apply(logic as jsonLogic.RulesLogic, data));
            } catch {
              return false; // a rule that cannot be applied to this reading does not fire on it
            }
          };
  const forText = 'for' in rule ? rule.for : undefined;
  return { rule, forMs: forText ? (parseDuration(forText) ?? 0) : 0, products, selects, when };
}

/* ------------------------------------------------------------------ state cache */

interface StateEntry {
  state: 'pending' | 'firing';
  since: number;
}
type StateChange = [rule: string, subject: string, state: 'pending' | 'firing' | null, since: number];

const keyOf = (rule: string, subject: string) => `${rule}\u0000${subject}`;
export const dedupeKeyOf = (rule: string, subject: string) => `${rule}:${subject}`;

/** The rule states that are not normal, as this replica last heard of them. */
export class RuleStateCache {
  // Per rule, per subject: two lookups and no string built per reading (the hot path).
  private readonly entries = new Map<string, Map<string, StateEntry>>();
  /** Subjects with at least one state: a reading of any other device needs no lookup at all. */
  private readonly subjects = new Map<string, number>();

  get(rule: string, subject: string): StateEntry | undefined {
    return this.entries.get(rule)?.get(subject);
  }

  hasSubject(subject: string): boolean {
    return this.subjects.has(subject);
  }

  get size(): number {
    let n = 0;
    for (const m of this.entries.values()) n += m.size;
    return n;
  }

  private set(rule: string, subject: string, entry: StateEntry | null): void {
    let m = this.entries.get(rule);
    const had = m?.has(subject) ?? false;
    if (entry === null) {
      if (!had) return;
      m!.delete(subject);
      const n = (this.subjects.get(subject) ?? 1) - 1;
      if (n <= 0) this.subjects.delete(subject);
      else this.subjects.set(subject, n);
      return;
    }
    if (!m) this.entries.set(rule, (m = new Map()));
    m.set(subject, entry);
    if (!had) this.subjects.set(subject, (this.subjects.get(subject) ?? 0) + 1);
  }

  async reload(db: Db): Promise<void> {
    const rows = await db.selectFrom('alert_rule_states').select(['rule_id', 'subject_id', 'state', 'since']).execute();
    this.entries.clear();
    this.subjects.clear();
    for (const r of rows) this.set(r.rule_id, r.subject_id, { state: r.state, since: new Date(r.since).getTime() });
  }

  apply(changes: StateChange[]): void {
    for (const [rule, subject, state, since] of changes)
      this.set(rule, subject, state === null ? null : { state, since });
  }

  /** A NOTIFY payload (`s[[rule, subject, state, since]…]`). */
  onNotify(payload: string): boolean {
    if (!payload.startsWith('s')) return false;
    try {
      this.apply(JSON.parse(payload.slice(1)) as StateChange[]);
    } catch {
      // not ours
    }
    return true;
  }
}

/** Tells every replica (this one included) what changed, after the transaction commits. */
export async function notifyStateChanges(trx: Db, changes: StateChange[]): Promise<void> {
  // NOTIFY payloads stay under PostgreSQL's 8,000 bytes: about 60 changes each.
  for (let i = 0; i < changes.length; i += 60) {
    await sql`select pg_notify(${NOTIFY_CHANNEL}, ${`s${JSON.stringify(changes.slice(i, i + 60))}`})`.execute(trx);
  }
}

export async function notifyWake(trx: Db): Promise<void> {
  await sql`select pg_notify(${NOTIFY_CHANNEL}, 'w')`.execute(trx);
}

/* ------------------------------------------------------------------ alerts of rules */

export interface Fired {
  rule: CompiledRule;
  device: SubjectDevice;
  value: number | null;
  values?: Record<string, unknown>;
}

/** The alert a rule opens about a device: labels, annotations, summary with names and links. */
export function alertOf(rules: RuleSet, f: Fired, siteName: string | null, alertname = f.rule.rule.id): OpenAlertInput {
  const { rule } = f.rule;
  const d = f.device;
  const labels = alertLabels(alertname, rule, rule.severity, deviceLabels(d));
  const values = {
    ...deviceValues(d, siteName),
    value: f.value,
    metric: 'metric' in rule ? rule.metric : undefined,
    rule: { id: rule.id },
    ...f.values,
  };
  const title = renderTemplate(rule.summary, values);
  const annotations: Record<string, string> = { summary: title, device_url: deviceUrl(rules.externalUrl, d.id) };
  if (d.site_id) annotations.site_url = siteUrl(rules.externalUrl, d.site_id);
  if (rule.description) annotations.description = renderTemplate(rule.description, values);
  const rb = rules.runbookUrl(rule.runbook);
  if (rb) annotations.runbook_url = rb;
  if (f.value !== null) annotations.value = String(f.value);
  return {
    ruleId: alertname,
    subject: { type: 'device', id: d.id },
    customerId: d.customer_id,
    siteId: d.site_id,
    severity: rule.severity,
    title,
    details: {
      device_id: d.id,
      ...(f.value !== null ? { value: f.value } : {}),
      ...('metric' in rule && rule.metric ? { metric: rule.metric } : {}),
      rule: rule.id,
    },
    dedupeKey: dedupeKeyOf(rule.id, d.id),
    labels,
    annotations,
    fingerprint: fingerprintOf(labels),
  };
}

export async function siteNames(db: Db, ids: Iterable<string | null>): Promise<Map<string, string>> {
  const list = [...new Set([...ids].filter((x): x is string => !!x))];
  if (!list.length) return new Map();
  const rows = await db.selectFrom('sites').select(['id', 'name']).where('id', 'in', list).execute();
  return new Map(rows.map((r) => [r.id, r.name]));
}

/** Opens the alerts of rules that fired (one per rule and device: duplicates are skipped). */
export async function openFired(trx: Db, rules: RuleSet, fired: Fired[]): Promise<number> {
  if (!fired.length) return 0;
  const names = await siteNames(
    trx,
    fired.map((f) => f.device.site_id),
  );
  const opened = await openAlerts(
    trx,
    ACTOR,
    fired.map((f) => alertOf(rules, f, f.device.site_id ? (names.get(f.device.site_id) ?? null) : null)),
  );
  if (opened.length) await notifyWake(trx);
  return opened.length;
}

/* ------------------------------------------------------------------ threshold evaluation */

const compare = (op: ThresholdRule['op'], v: number, x: number): boolean =>
  op === '>'
    ? v > x
    : op === '>='
      ? v >= x
      : op === '<'
        ? v < x
        : op === '<='
          ? v <= x
          : op === '=='
            ? v === x
            : v !== x;

/** Hysteresis: a firing `> 95, clear 85` alert resolves at 85 or below. */
const pastClear = (rule: ThresholdRule, v: number): boolean =>
  rule.clear === undefined
    ? !compare(rule.op, v, rule.value)
    : rule.op === '>' || rule.op === '>='
      ? v <= rule.clear
      : v >= rule.clear;

const byTs = (a: StoredReading, b: StoredReading) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0);
const whenData = (value: number, metric: string, r: StoredReading, device: SubjectDevice) => ({
  value,
  metric,
  metrics: r.metrics,
  status: r.status,
  ts: new Date(r.ts * 1000).toISOString(),
  device,
});

interface Transition {
  c: CompiledRule;
  device: SubjectDevice;
  value: number | null;
  at: number;
}

export interface EvaluationStats {
  readings: number;
  transitions: number;
  opened: number;
  resolved: number;
}

/**
 * Evaluates a batch of stored readings against the threshold rules (and resolves no-data
 * alerts whose metric came back), writing the transitions in the caller's transaction.
 */
export async function evaluateReadings(
  trx: Transaction<Database>,
  rules: RuleSet,
  cache: RuleStateCache,
  readings: StoredReading[],
  deviceOf: (id: string) => SubjectDevice | null,
  now = Date.now(),
  stats?: EvaluationStats,
): Promise<void> {
  const start: Transition[] = [];
  const promote: Transition[] = [];
  const cancel: Transition[] = [];
  const resolve: Transition[] = [];
  // What this batch already decided, ahead of the cache (null: back to normal). Rarely used:
  // looked up only when it holds something.
  const local = new Map<string, StateEntry | null>();
  const current = (rule: string, subject: string): StateEntry | undefined => {
    if (local.size) {
      const k = keyOf(rule, subject);
      if (local.has(k)) return local.get(k) ?? undefined;
    }
    return cache.get(rule, subject);
  };
  const ordered = readings.length > 1 ? [...readings].sort(byTs) : readings;
  const noData = rules.noData;
  // No closure is made per reading or rule: this loop runs for every reading the ingest stores.
  for (const r of ordered) {
    const at = Math.round(r.ts * 1000); // epoch ms
    if (now - at > STALE_MS) continue;
    let device: SubjectDevice | null | undefined;
    for (const metric in r.metrics) {
      const list = rules.thresholdsByMetric.get(metric);
      if (list === undefined) continue;
      if (device === undefined) device = deviceOf(r.device_id);
      if (!device) break;
      const value = r.metrics[metric]!;
      // The common case: this device has no state of any rule; only a crossing matters.
      if (!cache.hasSubject(device.id) && local.size === 0) {
        for (let i = 0; i < list.length; i++) {
          const c = list[i]!;
          const rule = c.rule as ThresholdRule;
          if (!compare(rule.op, value, rule.value) || !c.selects(device) || !c.when(whenData(value, metric, r, device)))
            continue;
          start.push({ c, device, value, at });
          local.set(keyOf(rule.id, device.id), { state: c.forMs === 0 ? 'firing' : 'pending', since: at });
        }
        continue;
      }
      for (let i = 0; i < list.length; i++) {
        const c = list[i]!;
        if (!c.selects(device)) continue;
        const rule = c.rule as ThresholdRule;
        const entry = current(rule.id, device.id);
        if (entry === undefined) {
          if (!compare(rule.op, value, rule.value) || !c.when(whenData(value, metric, r, device))) continue;
          start.push({ c, device, value, at });
          local.set(keyOf(rule.id, device.id), { state: c.forMs === 0 ? 'firing' : 'pending', since: at });
        } else if (at < entry.since) {
          continue; // older than what the state is based on
        } else if (entry.state === 'pending') {
          if (!compare(rule.op, value, rule.value) || !c.when(whenData(value, metric, r, device))) {
            cancel.push({ c, device, value, at });
            local.set(keyOf(rule.id, device.id), null);
          } else if (at - entry.since >= c.forMs) {
            promote.push({ c, device, value, at });
            local.set(keyOf(rule.id, device.id), { state: 'firing', since: entry.since });
          }
        } else if (pastClear(rule, value)) {
          resolve.push({ c, device, value, at });
          local.set(keyOf(rule.id, device.id), null);
        }
      }
    }
    // A no-data alert ends with the first reading of its metric.
    for (let i = 0; i < noData.length; i++) {
      const c = noData[i]!;
      const metric = (c.rule as NoDataRule).metric;
      if (metric !== undefined && !(metric in r.metrics)) continue;
      if (current(c.rule.id, r.device_id)?.state !== 'firing') continue;
      if (device === undefined) device = deviceOf(r.device_id);
      if (!device) continue;
      resolve.push({ c, device, value: metric ? (r.metrics[metric] ?? null) : null, at });
      local.set(keyOf(c.rule.id, r.device_id), null);
    }
  }
  if (stats) stats.readings += readings.length;
  if (!start.length && !promote.length && !cancel.length && !resolve.length) return;
  await applyTransitions(trx, rules, { start, promote, cancel, resolve }, stats);
}

const rowsOf = (list: Transition[], state?: 'pending' | 'firing') =>
  JSON.stringify(
    list.map((t) => ({
      rule_id: t.c.rule.id,
      subject_id: t.device.id,
      value: t.value,
      since: new Date(t.at).toISOString(),
      state: state ?? (t.c.forMs === 0 ? 'firing' : 'pending'),
    })),
  );

async function applyTransitions(
  trx: Transaction<Database>,
  rules: RuleSet,
  t: { start: Transition[]; promote: Transition[]; cancel: Transition[]; resolve: Transition[] },
  stats?: EvaluationStats,
): Promise<void> {
  const changes: StateChange[] = [];
  const fired: Fired[] = [];
  const byKey = (list: Transition[]) => new Map(list.map((x) => [keyOf(x.c.rule.id, x.device.id), x]));

  if (t.start.length) {
    const started = await sql<{ rule_id: string; subject_id: string; state: 'pending' | 'firing'; since: Date }>`
      insert into alert_rule_states (rule_id, subject_id, state, since, value)
      select x.rule_id, x.subject_id, x.state, x.since, x.value
      from jsonb_to_recordset(${rowsOf(t.start)}::jsonb) as x(rule_id text, subject_id text, state text, since timestamptz, value double precision)
      on conflict (rule_id, subject_id) do nothing
      returning rule_id, subject_id, state, since`.execute(trx);
    const m = byKey(t.start);
    for (const r of started.rows) {
      changes.push([r.rule_id, r.subject_id, r.state, new Date(r.since).getTime()]);
      const x = m.get(keyOf(r.rule_id, r.subject_id));
      if (r.state === 'firing' && x) fired.push({ rule: x.c, device: x.device, value: x.value });
    }
  }
  if (t.promote.length) {
    const promoted = await sql<{ rule_id: string; subject_id: string; since: Date }>`
      update alert_rule_states s set state = 'firing', value = x.value, updated_at = now()
      from jsonb_to_recordset(${rowsOf(t.promote)}::jsonb) as x(rule_id text, subject_id text, value double precision)
      where s.rule_id = x.rule_id and s.subject_id = x.subject_id and s.state = 'pending'
      returning s.rule_id, s.subject_id, s.since`.execute(trx);
    const m = byKey(t.promote);
    for (const r of promoted.rows) {
      changes.push([r.rule_id, r.subject_id, 'firing', new Date(r.since).getTime()]);
      const x = m.get(keyOf(r.rule_id, r.subject_id));
      if (x) fired.push({ rule: x.c, device: x.device, value: x.value });
    }
  }
  for (const [list, state] of [
    [t.cancel, 'pending'],
    [t.resolve, 'firing'],
  ] as const) {
    if (!list.length) continue;
    const gone = await sql<{ rule_id: string; subject_id: string }>`
      delete from alert_rule_states s
      using jsonb_to_recordset(${rowsOf(list)}::jsonb) as x(rule_id text, subject_id text)
      where s.rule_id = x.rule_id and s.subject_id = x.subject_id and s.state = ${state}
      returning s.rule_id, s.subject_id`.execute(trx);
    for (const r of gone.rows) changes.push([r.rule_id, r.subject_id, null, 0]);
    if (state === 'firing' && gone.rows.length) {
      const resolved = await resolveAlertsByKey(
        trx,
        ACTOR,
        gone.rows.map((r) => dedupeKeyOf(r.rule_id, r.subject_id)),
      );
      if (stats) stats.resolved += resolved.length;
      if (resolved.length) await notifyWake(trx);
    }
  }
  const opened = await openFired(trx, rules, fired);
  if (stats) {
    stats.opened += opened;
    stats.transitions += changes.length;
  }
  await notifyStateChanges(trx, changes);
}

/**
 * Pending states whose `for` has run out without a reading that broke the condition: they
 * fire now (the leader's sweep; a reading would have done it too). Returns alerts opened.
 */
export async function promoteDuePending(db: Kysely<Database>, rules: RuleSet): Promise<number> {
  let opened = 0;
  for (const [, list] of rules.thresholdsByMetric) {
    for (const c of list) {
      if (c.forMs === 0) continue;
      opened += await db.transaction().execute(async (trx) => {
        const due = await sql<{ subject_id: string; since: Date; value: number | null }>`
          update alert_rule_states set state = 'firing', updated_at = now()
          where rule_id = ${c.rule.id} and state = 'pending' and since <= now() - make_interval(secs => ${c.forMs / 1000})
          returning subject_id, since, value`.execute(trx);
        if (!due.rows.length) return 0;
        const devices = await loadSubjects(
          trx,
          due.rows.map((r) => r.subject_id),
        );
        await notifyStateChanges(
          trx,
          due.rows.map((r) => [c.rule.id, r.subject_id, 'firing', new Date(r.since).getTime()]),
        );
        const fired = due.rows.flatMap((r) => {
          const device = devices.get(r.subject_id);
          return device ? [{ rule: c, device, value: r.value }] : [];
        });
        return openFired(trx, rules, fired);
      });
    }
  }
  return opened;
}

/** Registry facts of devices, as the rules see them. */
export async function loadSubjects(db: Db, ids: string[]): Promise<Map<string, SubjectDevice>> {
  if (!ids.length) return new Map();
  const rows = await db
    .selectFrom('devices')
    .select([
      'id',
      'name',
      'site_id',
      'customer_id',
      'deployment_id',
      'product_code',
      'product_version',
      'role',
      'tags',
    ])
    .where('id', 'in', [...new Set(ids)])
    .execute();
  return new Map(rows.map((r) => [r.id, { ...r, tags: r.tags ?? [] }]));
}
