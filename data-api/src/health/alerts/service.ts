import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import { recordAudit, recordAuditMany } from '../../kernel/audit/service.ts';
import type { Principal } from '../../kernel/auth/roles.ts';
import { emitChange, emitChanges } from '../../kernel/changes/service.ts';
import { generateId } from '../../contracts/ids.ts';
import { json, type AlertsTable, type Database } from '../../kernel/db/index.ts';
import { conflict, notFound } from '../../kernel/errors/index.ts';
import { decodeBeforeCursor, encodeBeforeCursor, toPage } from '../../kernel/db/pagination.ts';
import type { Alert, AlertListQuery } from '../../contracts/alerts.ts';
import type { DeliverySummary } from '../../contracts/notifications.ts';
import { unstorableText } from '../../kernel/validation/storable.ts';

type Db = Kysely<Database> | Transaction<Database>;
export type AlertRow = Selectable<AlertsTable>;

/** The health rule: a device silent for 3 × heartbeat_interval_s. */
export const DEVICE_DOWN_RULE = 'device_down';
export const deviceDownKey = (deviceId: string) => `${DEVICE_DOWN_RULE}:${deviceId}`;

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

export const toAlert = (r: AlertRow): Alert => ({
  id: r.id,
  rule_id: r.rule_id,
  subject: { type: r.subject_type, id: r.subject_id },
  customer_id: r.customer_id,
  site_id: r.site_id,
  severity: r.severity,
  state: r.state,
  title: r.title,
  details: r.details,
  dedupe_key: r.dedupe_key,
  escalation_level: r.escalation_level,
  opened_at: iso(r.opened_at)!,
  acked_at: iso(r.acked_at),
  acked_by: r.acked_by,
  resolved_at: iso(r.resolved_at),
  resolved_by: r.resolved_by,
  labels: r.labels ?? {},
  annotations: r.annotations ?? {},
});

/** Per alert and contact point, its latest message: what the alert row shows. */
export async function deliverySummaries(
  db: Kysely<Database>,
  alertIds: string[],
): Promise<Map<string, DeliverySummary[]>> {
  const out = new Map<string, DeliverySummary[]>();
  if (!alertIds.length) return out;
  const rows = await sql<{
    alert_id: string;
    contact_point: string;
    step: number;
    status: 'firing' | 'resolved';
    state: DeliverySummary['state'];
    attempts: number;
    updated_at: Date;
  }>`
    select distinct on (na.alert_id, n.contact_point) na.alert_id, n.contact_point, n.step, n.status, n.state, n.attempts, n.updated_at
    from notification_alerts na join notifications n on n.id = na.notification_id
    where na.alert_id in (select jsonb_array_elements_text(${JSON.stringify(alertIds)}::jsonb))
    order by na.alert_id, n.contact_point, n.created_at desc, n.id desc`.execute(db);
  for (const r of rows.rows) {
    const list = out.get(r.alert_id) ?? [];
    list.push({
      contact_point: r.contact_point,
      step: r.step,
      status: r.status,
      state: r.state,
      attempts: r.attempts,
      at: new Date(r.updated_at).toISOString(),
    });
    out.set(r.alert_id, list);
  }
  return out;
}

const withDeliveries = async (db: Kysely<Database>, alerts: Alert[]): Promise<Alert[]> => {
  const summaries = await deliverySummaries(
    db,
    alerts.map((a) => a.id),
  );
  return alerts.map((a) => ({ ...a, deliveries: summaries.get(a.id) ?? [] }));
};

export interface OpenAlertInput {
  ruleId: string;
  subject: { type: string; id: string };
  customerId: string | null;
  siteId: string | null;
  severity: Alert['severity'];
  title: string;
  details?: Record<string, unknown>;
  /** Unique while the alert is not resolved: a second open is a no-op. */
  dedupeKey: string;
  /** Alertmanager-style labels and annotations (notifications); the engine fills them in when absent. */
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  fingerprint?: string;
}

/**
 * Opens an alert inside the caller's transaction, unless one with the same dedupe key is
 * still open or acknowledged (a partial unique index makes that hold across replicas).
 * Returns the new alert, or null when it was a duplicate.
 */
export async function openAlert(trx: Db, actor: string, input: OpenAlertInput): Promise<AlertRow | null> {
  const result = await sql<AlertRow>`
    insert into alerts (id, rule_id, subject_type, subject_id, customer_id, site_id, severity, title, details, dedupe_key, labels, annotations, fingerprint)
    values (${generateId('alert')}, ${input.ruleId}, ${input.subject.type}, ${input.subject.id}, ${input.customerId}, ${input.siteId},
            ${input.severity}, ${input.title}, ${json(input.details ?? {})}::jsonb, ${input.dedupeKey},
            ${json(input.labels ?? {})}::jsonb, ${json(input.annotations ?? {})}::jsonb, ${input.fingerprint ?? null})
    on conflict (dedupe_key) where state <> 'resolved' do nothing
    returning *`.execute(trx);
  const row = result.rows[0];
  if (!row) return null;
  await recordAudit(trx, actor, {
    action: 'alert.open',
    entity: 'alert',
    entityId: row.id,
    customerId: row.customer_id,
    after: toAlert(row),
  });
  await emitChange(trx, {
    type: 'alert.opened',
    subject: { type: 'alert', id: row.id },
    customerId: row.customer_id,
    siteId: row.site_id,
    payload: { alert: toAlert(row) },
  });
  return row;
}

/**
 * Opens many alerts at once (a threshold crossed by a whole fleet in one ingest batch): one
 * INSERT, one audit insert, one change-feed write. Duplicates of an open alert are skipped,
 * as with openAlert. Returns the alerts opened.
 */
export async function openAlerts(trx: Db, actor: string, inputs: OpenAlertInput[]): Promise<AlertRow[]> {
  if (!inputs.length) return [];
  const rows = inputs.map((i) => ({
    id: generateId('alert'),
    rule_id: i.ruleId,
    subject_type: i.subject.type,
    subject_id: i.subject.id,
    customer_id: i.customerId,
    site_id: i.siteId,
    severity: i.severity,
    title: i.title,
    details: i.details ?? {},
    dedupe_key: i.dedupeKey,
    labels: i.labels ?? {},
    annotations: i.annotations ?? {},
    fingerprint: i.fingerprint ?? null,
  }));
  const result = await sql<AlertRow>`
    insert into alerts (id, rule_id, subject_type, subject_id, customer_id, site_id, severity, title, details, dedupe_key, labels, annotations, fingerprint)
    select x.id, x.rule_id, x.subject_type, x.subject_id, x.customer_id, x.site_id, x.severity, x.title, x.details, x.dedupe_key, x.labels, x.annotations, x.fingerprint
    from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as x(id text, rule_id text, subject_type text, subject_id text, customer_id text, site_id text,
         severity text, title text, details jsonb, dedupe_key text, labels jsonb, annotations jsonb, fingerprint text)
    on conflict (dedupe_key) where state <> 'resolved' do nothing
    returning *`.execute(trx);
  const opened = result.rows.sort((a, b) => (a.id < b.id ? -1 : 1));
  if (!opened.length) return opened;
  await recordTransitions(trx, actor, opened, 'alert.open', 'alert.opened');
  return opened;
}

/** The audit entries and change events of alerts opened or resolved together. */
async function recordTransitions(
  trx: Db,
  actor: string,
  rows: AlertRow[],
  action: 'alert.open' | 'alert.resolve',
  type: 'alert.opened' | 'alert.resolved',
): Promise<void> {
  await recordAuditMany(
    trx,
    actor,
    rows.map((row) => ({
      action,
      entity: 'alert',
      entityId: row.id,
      customerId: row.customer_id,
      after: toAlert(row),
    })),
  );
  await emitChanges(
    trx,
    rows.map((row) => ({
      type,
      subject: { type: 'alert', id: row.id },
      customerId: row.customer_id,
      siteId: row.site_id,
      payload: { alert: toAlert(row) },
    })),
  );
}

/** Resolves every unresolved alert with one of these dedupe keys (system transitions). */
export async function resolveAlertsByKey(trx: Db, actor: string, keys: string[]): Promise<AlertRow[]> {
  if (!keys.length) return [];
  const result = await sql<AlertRow>`
    update alerts set state = 'resolved', resolved_at = now(), resolved_by = ${actor}, updated_at = now()
    where dedupe_key in (select jsonb_array_elements_text(${JSON.stringify(keys)}::jsonb)) and state <> 'resolved'
    returning *`.execute(trx);
  const rows = result.rows.sort((a, b) => (a.id < b.id ? -1 : 1));
  if (!rows.length) return rows;
  await recordTransitions(trx, actor, rows, 'alert.resolve', 'alert.resolved');
  return rows;
}

/**
 * Resolves every unresolved alert about these registry records, whatever its rule (inside the
 * caller's transaction, which deletes them). Nothing can resolve it later: no message will come
 * from a deleted device, and escalation would page about it for ever. `actor` is who deleted.
 */
export async function resolveAlertsOfSubjects(
  trx: Db,
  actor: string,
  subjects: ReadonlyArray<{ type: 'site' | 'deployment' | 'device'; id: string }>,
): Promise<AlertRow[]> {
  if (!subjects.length) return [];
  const result = await sql<AlertRow>`
    update alerts set state = 'resolved', resolved_at = now(), resolved_by = ${actor}, updated_at = now()
    where state <> 'resolved' and (subject_type, subject_id) in (
      select x.type, x.id from jsonb_to_recordset(${JSON.stringify(subjects)}::jsonb) as x(type text, id text))
    returning *`.execute(trx);
  const rows = result.rows.sort((a, b) => (a.id < b.id ? -1 : 1));
  if (!rows.length) return rows;
  await recordTransitions(trx, actor, rows, 'alert.resolve', 'alert.resolved');
  return rows;
}

/** An alert id as a cursor may carry it. */
const isAlertId = (before: unknown): before is string =>
  typeof before === 'string' && before.startsWith('alr_') && !unstorableText(before);

/** Newest first (alert ids are time-sortable ULIDs), keyset-paginated. */
export async function listAlerts(db: Kysely<Database>, who: Principal, q: AlertListQuery) {
  const before = decodeBeforeCursor(q.cursor, isAlertId);
  let query = db
    .selectFrom('alerts')
    .selectAll()
    .orderBy('id', 'desc')
    .limit(q.limit + 1);
  if (who.customerId) query = query.where('customer_id', '=', who.customerId);
  if (q.state) query = query.where('state', 'in', q.state.split(',') as Alert['state'][]);
  if (q.severity) query = query.where('severity', '=', q.severity);
  if (q.subject_type) query = query.where('subject_type', '=', q.subject_type);
  if (q.subject_id) query = query.where('subject_id', '=', q.subject_id);
  if (q.rule_id) query = query.where('rule_id', '=', q.rule_id);
  if (q.site_id) query = query.where('site_id', '=', q.site_id);
  if (before) query = query.where('id', '<', before);
  const page = toPage(await query.execute(), q.limit, toAlert, (last) => encodeBeforeCursor(last.id));
  return { ...page, items: await withDeliveries(db, page.items) };
}

/** The alert, if the caller may see it (another tenant's alert is reported exactly like a missing one). */
function visible(row: AlertRow | undefined, who: Principal, id: string): AlertRow {
  if (!row || (who.customerId !== null && row.customer_id !== who.customerId)) throw notFound('alert', id);
  return row;
}

export async function getAlert(db: Kysely<Database>, who: Principal, id: string): Promise<Alert> {
  const alert = toAlert(
    visible(await db.selectFrom('alerts').selectAll().where('id', '=', id).executeTakeFirst(), who, id),
  );
  return (await withDeliveries(db, [alert]))[0]!;
}

/** open → acknowledged. Acknowledging twice is a no-op; a resolved alert is a conflict. */
export const acknowledgeAlert = (db: Kysely<Database>, who: Principal, id: string, note?: string): Promise<Alert> =>
  transition(db, who, id, note, 'acknowledged');

/** open | acknowledged → resolved. Resolving a resolved alert is a conflict. */
export const resolveAlert = (db: Kysely<Database>, who: Principal, id: string, note?: string): Promise<Alert> =>
  transition(db, who, id, note, 'resolved');

/** A user's transition of one alert, under its row lock: audited and on the change feed. */
async function transition(
  db: Kysely<Database>,
  who: Principal,
  id: string,
  note: string | undefined,
  to: 'acknowledged' | 'resolved',
): Promise<Alert> {
  return db.transaction().execute(async (trx) => {
    const before = visible(
      await trx.selectFrom('alerts').selectAll().where('id', '=', id).forUpdate().executeTakeFirst(),
      who,
      id,
    );
    if (before.state === 'resolved') throw conflict(`alert ${id} is already resolved`);
    if (before.state === to) return toAlert(before);
    const now = new Date();
    const after = await trx
      .updateTable('alerts')
      .set(
        to === 'acknowledged'
          ? { state: to, acked_at: now, acked_by: who.name, updated_at: now }
          : { state: to, resolved_at: now, resolved_by: who.name, updated_at: now },
      )
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    const action = to === 'acknowledged' ? 'acknowledge' : 'resolve';
    await recordAudit(trx, who, {
      action: `alert.${action}`,
      entity: 'alert',
      entityId: id,
      customerId: after.customer_id,
      before: toAlert(before),
      after: { ...toAlert(after), ...(note ? { note } : {}) },
    });
    await emitChange(trx, {
      type: `alert.${to}`,
      subject: { type: 'alert', id },
      customerId: after.customer_id,
      siteId: after.site_id,
      payload: { alert: toAlert(after) },
    });
    return toAlert(after);
  });
}

/** Open alert counts by state and severity, for /metrics. */
export async function alertCounts(db: Kysely<Database>) {
  return db
    .selectFrom('alerts')
    .select(['state', 'severity', (eb) => eb.fn.countAll<number>().as('n')])
    .where('state', '<>', 'resolved')
    .groupBy(['state', 'severity'])
    .execute();
}
