// Notifications and send contexts for the channel tests, shaped as the engine builds them.
import type {
  NotificationAlert,
  OutgoingNotification,
  SendContext,
} from '../../data-api/src/notifications/channels/types.ts';

const HANDBOOK = 'http://handbook.example.com';

export function sampleAlert(device: string, over: Partial<NotificationAlert> = {}): NotificationAlert {
  return {
    status: 'firing',
    labels: { alertname: 'MotorOverheating', severity: 'critical', site: 'farm-north', customer: 'acme', device },
    annotations: { summary: `${device}: motor_temp_c 96.5 > 90 for 2m` },
    startsAt: '2026-07-14T03:02:11.000Z',
    endsAt: '0001-01-01T00:00:00Z',
    generatorURL: `${HANDBOOK}/dashboards/alerts?device=${device}`,
    fingerprint: `f${device.replace(/\W/g, '').padEnd(15, '0').slice(0, 15)}`,
    ...over,
  };
}

export function sampleNotification(
  over: Partial<OutgoingNotification> = {},
  devices = ['pump-7'],
): OutgoingNotification {
  const alerts = devices.map((d) => sampleAlert(d));
  return {
    version: '4',
    receiver: 'ops',
    status: 'firing',
    groupKey: '{}/{severity="critical"}:{alertname="MotorOverheating", site="farm-north"}',
    groupLabels: { alertname: 'MotorOverheating', site: 'farm-north' },
    commonLabels: { alertname: 'MotorOverheating', severity: 'critical', site: 'farm-north', customer: 'acme' },
    commonAnnotations: devices.length === 1 ? { summary: alerts[0].annotations.summary } : {},
    externalURL: HANDBOOK,
    alerts,
    truncatedAlerts: 0,
    fleetbook: {
      notificationId: 'ntf_01J2X7AZQ3',
      escalationStep: 0,
      ackUrl: `${HANDBOOK}/api/alerts/ack?token=eyJhbGciOi.sig`,
      runbookUrl: `${HANDBOOK}/runbooks/pump-ctl/motor-overheat`,
      title: `Motor overheating at farm-north (${devices.length} device${devices.length > 1 ? 's' : ''})`,
    },
    ...over,
  };
}

/** A notification of the same group, resolved (every alert resolved, with its end time). */
export function resolvedOf(n: OutgoingNotification, notificationId: string): OutgoingNotification {
  return {
    ...n,
    status: 'resolved',
    alerts: n.alerts.map((a) => ({ ...a, status: 'resolved', endsAt: '2026-07-14T03:20:40.000Z' })),
    fleetbook: { ...n.fleetbook, notificationId, ackUrl: undefined },
  };
}

export function sendContext(env: Record<string, string>, over: Partial<SendContext> = {}): SendContext {
  return {
    idempotencyKey: 'ntf_01J2X7AZQ3:ops-hook:0',
    attempt: 1,
    timeoutMs: 5000,
    signal: new AbortController().signal,
    resolveSecret: (ref) => {
      const name = ref.replace(/^env:/, '');
      const v = env[name];
      if (v === undefined) throw new Error(`${name} is not set`);
      return v;
    },
    ...over,
  };
}
