// The message `fleetbook notify test <contact point>` sends: a real notification through the
// real channel, labelled as a test so nobody acts on it.
import { randomUUID } from 'node:crypto';
import { contactPointTimeoutMs, type ContactPoint } from '../../contracts/notification-channels.ts';
import { secretsFrom, sendToContactPoint } from './index.ts';
import type { DeliveryResult, OutgoingNotification } from './types.ts';

export function testNotification(
  point: ContactPoint,
  handbookUrl: string,
  status: 'firing' | 'resolved',
): OutgoingNotification {
  const id = `test-${randomUUID()}`;
  const now = new Date().toISOString();
  const labels = { alertname: 'FleetbookTestNotification', severity: 'info', contact_point: point.name };
  const annotations = {
    summary: `Test notification for contact point ${point.name} (fleetbook notify test): no action needed`,
  };
  return {
    version: '4',
    receiver: point.name,
    status,
    groupKey: `{}:{alertname="FleetbookTestNotification", contact_point="${point.name}"}`,
    groupLabels: { alertname: labels.alertname },
    commonLabels: labels,
    commonAnnotations: annotations,
    externalURL: handbookUrl,
    alerts: [
      {
        status,
        labels,
        annotations,
        startsAt: now,
        endsAt: status === 'resolved' ? now : '0001-01-01T00:00:00Z',
        generatorURL: `${handbookUrl.replace(/\/+$/, '')}/dashboards/alerts`,
        fingerprint: id.slice(5, 21).replace(/-/g, '0'),
      },
    ],
    truncatedAlerts: 0,
    fleetbook: { notificationId: id, escalationStep: 0, title: `Test notification for ${point.name}` },
  };
}

/** Sends one test message to `point`, secrets from `env`, within the contact point's timeout. */
export async function sendTestMessage(
  point: ContactPoint,
  opts: { handbookUrl: string; status?: 'firing' | 'resolved'; env?: NodeJS.ProcessEnv },
): Promise<{ result: DeliveryResult; ms: number; notification: OutgoingNotification }> {
  const env = opts.env ?? process.env;
  const notification = testNotification(point, opts.handbookUrl, opts.status ?? 'firing');
  const controller = new AbortController();
  const started = Date.now();
  const result = await sendToContactPoint(point, notification, {
    idempotencyKey: `${notification.fleetbook.notificationId}:${point.name}`,
    attempt: 1,
    timeoutMs: contactPointTimeoutMs(point),
    signal: controller.signal,
    resolveSecret: secretsFrom(env),
  });
  return { result, ms: Date.now() - started, notification };
}
