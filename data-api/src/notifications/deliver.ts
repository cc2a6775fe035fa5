// What a message says and where it goes: the Alertmanager-shaped body (version 4) with
// fleetbook's extras, a signed expiring acknowledge link, and the outbox row that carries it
// (frozen when written: a retry sends the same bytes with the same idempotency key).
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import { generateId } from '../contracts/ids.ts';
import { json, type AlertsTable, type Database } from '../kernel/db/index.ts';
import type { NotificationAlert, OutgoingNotification } from './channels/types.ts';
import { alertUrl } from './labels.ts';

type AlertRow = Selectable<AlertsTable>;
type Db = Kysely<Database> | Transaction<Database>;

const ZERO_TIME = '0001-01-01T00:00:00Z';
const ACK_KEY = 'ack-link';

/** The cluster's key for acknowledge links: made once, shared by every replica through the database. */
export async function ackLinkKey(db: Db): Promise<Buffer> {
  await db
    .insertInto('notification_keys')
    .values({ name: ACK_KEY, key: randomBytes(32).toString('hex') })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
  const row = await db
    .selectFrom('notification_keys')
    .select('key')
    .where('name', '=', ACK_KEY)
    .executeTakeFirstOrThrow();
  return Buffer.from(row.key, 'hex');
}

const signature = (key: Buffer, notificationId: string, exp: number) =>
  createHmac('sha256', key).update(`ack:${notificationId}:${exp}`).digest('hex');

export function ackUrl(
  externalUrl: string,
  key: Buffer,
  notificationId: string,
  ttlMs: number,
  now = Date.now(),
): string {
  const exp = Math.floor((now + ttlMs) / 1000);
  return `${externalUrl.replace(/\/+$/, '')}/api/v1/notifications/${notificationId}/ack?exp=${exp}&sig=${signature(key, notificationId, exp)}`;
}

/** 'ok', or why the link does not work (expired, or not ours). */
export function verifyAck(
  key: Buffer,
  notificationId: string,
  exp: number,
  sig: string,
  now = Date.now(),
): 'ok' | 'expired' | 'invalid' {
  const expected = Buffer.from(signature(key, notificationId, exp), 'hex');
  const given = /^[0-9a-f]{64}$/.test(sig) ? Buffer.from(sig, 'hex') : Buffer.alloc(0);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'invalid';
  return exp * 1000 < now ? 'expired' : 'ok';
}

function common(maps: Array<Record<string, string>>): Record<string, string> {
  if (!maps.length) return {};
  const out: Record<string, string> = { ...maps[0] };
  for (const m of maps.slice(1)) for (const k of Object.keys(out)) if (m[k] !== out[k]) delete out[k];
  return out;
}

export function toNotificationAlert(
  a: AlertRow,
  externalUrl: string,
  status: 'firing' | 'resolved',
): NotificationAlert {
  return {
    status,
    labels: a.labels ?? {},
    annotations: a.annotations ?? {},
    startsAt: new Date(a.opened_at).toISOString(),
    endsAt: a.resolved_at ? new Date(a.resolved_at).toISOString() : ZERO_TIME,
    generatorURL: alertUrl(externalUrl, a.id),
    fingerprint: a.fingerprint ?? a.id,
  };
}

export interface MessageInput {
  id: string;
  receiver: string;
  status: 'firing' | 'resolved';
  groupKey: string;
  groupLabels: Record<string, string>;
  alerts: AlertRow[];
  step: number;
  externalUrl: string;
  maxAlerts: number;
  ackUrl?: string;
}

/** The body every channel starts from: Alertmanager's webhook (version 4) + `fleetbook`. */
export function buildNotification(m: MessageInput): OutgoingNotification {
  const alerts = m.alerts.map((a) => toNotificationAlert(a, m.externalUrl, m.status));
  const commonLabels = common(alerts.map((a) => a.labels));
  const commonAnnotations = common(alerts.map((a) => a.annotations));
  const shown = alerts.slice(0, m.maxAlerts);
  const runbookUrl = commonAnnotations.runbook_url;
  const name = commonLabels.alertname ?? m.groupLabels.alertname ?? 'alerts';
  const where = commonLabels.site ?? m.groupLabels.site;
  const title =
    alerts.length === 1
      ? `${m.status === 'resolved' ? '[RESOLVED] ' : ''}${alerts[0]!.annotations.summary ?? name}`
      : `[${m.status.toUpperCase()}:${alerts.length}] ${name}${where ? ` at ${where}` : ''}`;
  return {
    version: '4',
    receiver: m.receiver,
    status: m.status,
    groupKey: m.groupKey,
    groupLabels: m.groupLabels,
    commonLabels,
    commonAnnotations,
    externalURL: m.externalUrl,
    alerts: shown,
    truncatedAlerts: alerts.length - shown.length,
    fleetbook: {
      notificationId: m.id,
      escalationStep: m.step,
      ...(m.ackUrl ? { ackUrl: m.ackUrl } : {}),
      ...(runbookUrl ? { runbookUrl } : {}),
      title,
    },
  };
}

/** One message to one contact point, as the outbox holds it. */
export interface OutboxRow {
  id: string;
  groupId: string | null;
  contactPoint: string;
  step: number;
  status: 'firing' | 'resolved';
  payload: OutgoingNotification;
  alertIds: string[];
}

/** Writes messages into the outbox (the caller's transaction): two statements, however many (a flush of 20 groups). */
export async function enqueueAll(trx: Db, rows: OutboxRow[]): Promise<void> {
  if (!rows.length) return;
  await trx
    .insertInto('notifications')
    .values(
      rows.map((row) => ({
        id: row.id,
        group_id: row.groupId,
        contact_point: row.contactPoint,
        step: row.step,
        status: row.status,
        payload: json(row.payload),
        idempotency_key: row.id,
        next_attempt_at: sql<Date>`now()`,
      })),
    )
    .execute();
  const links = rows.flatMap((row) => row.alertIds.map((alert_id) => ({ notification_id: row.id, alert_id })));
  // Under PostgreSQL's 65,535 parameters a statement.
  for (let i = 0; i < links.length; i += 10_000)
    await trx
      .insertInto('notification_alerts')
      .values(links.slice(i, i + 10_000))
      .execute();
}

export const newNotificationId = () => generateId('notification');
