// What every human-facing channel (Slack, email, WhatsApp) says about a notification, in one
// place so the three tell the same story: status, title, the alerts with their links, and the
// links to act (acknowledge, runbook, the alert itself).
import type { NotificationAlert, OutgoingNotification } from './types.ts';

/** Alerts listed one by one in a message; the rest are counted ("and 37 more"). */
export const LISTED_ALERTS = 10;

export interface AlertLine {
  status: NotificationAlert['status'];
  /** `summary` annotation, else alertname and the subject's labels. */
  text: string;
  /** The alert's page (generatorURL), when it has one. */
  url: string | null;
}

export interface MessageLink {
  label: string;
  url: string;
}

export interface RenderedNotification {
  status: OutgoingNotification['status'];
  /** `FIRING` / `RESOLVED`, with the count of firing alerts when there are several. */
  statusText: string;
  title: string;
  severity: string | null;
  /** commonAnnotations.summary or .description, when the group shares one. */
  summary: string | null;
  lines: AlertLine[];
  /** Alerts not listed: past LISTED_ALERTS plus the ones the engine truncated. */
  moreAlerts: number;
  alertCount: number;
  links: MessageLink[];
  /** The one link a short message (WhatsApp) carries: acknowledge when firing, else the alert. */
  primaryUrl: string | null;
  footer: string;
}

const SUBJECT_LABELS = ['device', 'site', 'customer', 'product'];

function alertText(a: NotificationAlert): string {
  const summary = a.annotations.summary?.trim();
  if (summary) return summary;
  const name = a.labels.alertname ?? 'alert';
  const subject = SUBJECT_LABELS.filter((k) => a.labels[k]).map((k) => `${k}=${a.labels[k]}`);
  return subject.length ? `${name} (${subject.join(', ')})` : name;
}

function httpUrl(value: string | undefined): string | null {
  if (!value) return null;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.toString() : null;
  } catch {
    return null;
  }
}

export function renderNotification(n: OutgoingNotification): RenderedNotification {
  const firing = n.alerts.filter((a) => a.status === 'firing').length;
  const alertCount = n.alerts.length + n.truncatedAlerts;
  const statusText =
    n.status === 'firing'
      ? `FIRING${firing > 1 || n.truncatedAlerts > 0 ? `:${firing + n.truncatedAlerts}` : ''}`
      : 'RESOLVED';
  const lines = n.alerts
    .slice(0, LISTED_ALERTS)
    .map((a) => ({ status: a.status, text: alertText(a), url: httpUrl(a.generatorURL) }));
  const alertUrl = lines.find((l) => l.url)?.url ?? httpUrl(n.externalURL);
  const ackUrl = n.status === 'firing' ? httpUrl(n.fleetbook.ackUrl) : null;
  const runbookUrl = httpUrl(n.fleetbook.runbookUrl ?? n.commonAnnotations.runbook_url);
  const links: MessageLink[] = [];
  if (ackUrl) links.push({ label: 'Acknowledge', url: ackUrl });
  if (alertUrl) links.push({ label: alertCount > 1 ? 'View alerts' : 'View alert', url: alertUrl });
  if (runbookUrl) links.push({ label: 'Runbook', url: runbookUrl });
  const step = n.fleetbook.escalationStep > 0 ? ` · escalation step ${n.fleetbook.escalationStep}` : '';
  return {
    status: n.status,
    statusText,
    title: n.fleetbook.title,
    severity: n.commonLabels.severity ?? null,
    summary: n.commonAnnotations.summary?.trim() || n.commonAnnotations.description?.trim() || null,
    lines,
    moreAlerts: alertCount - lines.length,
    alertCount,
    links,
    primaryUrl: ackUrl ?? alertUrl,
    footer: `fleetbook · ${n.receiver}${step} · notification ${n.fleetbook.notificationId}`,
  };
}

/** `s` cut to at most `max` characters, ending in an ellipsis when cut. */
export function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}
