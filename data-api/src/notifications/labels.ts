// Labels, annotations and summaries of alerts: what routing, grouping, inhibition and silences
// match on (Alertmanager's model), and what a message says. One place builds them for every
// kind of rule, so a route written for one works for all.
import { createHash } from 'node:crypto';
import type { AlertRule } from '../contracts/notification-rules.ts';

/** The registry facts of a device that rules select on and alerts are labelled with. */
export interface SubjectDevice {
  id: string;
  name: string | null;
  site_id: string | null;
  customer_id: string | null;
  deployment_id: string | null;
  product_code: string;
  product_version: string | null;
  role: string;
  tags: string[];
}

/** Links of a message: the alert on the dashboard, the subject, the runbook. */
export interface Links {
  externalUrl: string;
  runbooks: Map<string, string>;
}

const base = (url: string) => url.replace(/\/+$/, '');
export const alertUrl = (externalUrl: string, alertId: string) =>
  `${base(externalUrl)}/docs/dashboards/alerts?alert=${encodeURIComponent(alertId)}`;
export const deviceUrl = (externalUrl: string, deviceId: string) =>
  `${base(externalUrl)}/docs/dashboards/alerts?subject=${encodeURIComponent(`device:${deviceId}`)}`;
export const siteUrl = (externalUrl: string, siteId: string) =>
  `${base(externalUrl)}/docs/dashboards/alerts?site=${encodeURIComponent(siteId)}`;
export const runbookUrl = (externalUrl: string, path: string) => `${base(externalUrl)}${path}`;

/** Labels every alert about a device has: where it is, what it is. Empty values are left out. */
export function deviceLabels(d: SubjectDevice): Record<string, string> {
  const labels: Record<string, string> = { device: d.id, product: d.product_code, role: d.role };
  if (d.site_id) labels.site = d.site_id;
  if (d.customer_id) labels.customer = d.customer_id;
  if (d.deployment_id) labels.deployment = d.deployment_id;
  if (d.product_version) labels.product_version = d.product_version;
  // Prometheus's convention for a set in one label: `,a,b,` (match with tags=~".*,a,.*").
  if (d.tags.length) labels.tags = `,${[...d.tags].sort().join(',')},`;
  return labels;
}

/**
 * The labels of an alert of `rule` (or of the built-in `device_down`) about a subject:
 * subject labels, then the rule's own labels, then alertname, rule, severity and kind, which
 * a rule cannot override.
 */
export function alertLabels(
  alertname: string,
  rule: Pick<AlertRule, 'id' | 'kind' | 'labels'> | null,
  severity: string,
  subject: Record<string, string>,
): Record<string, string> {
  return {
    ...subject,
    ...(rule?.labels ?? {}),
    alertname,
    ...(rule ? { rule: rule.id } : {}),
    severity,
    kind: rule?.kind ?? 'state',
  };
}

/** Alertmanager's fingerprint role: a stable hash of the label set (16 hex characters). */
export function fingerprintOf(labels: Record<string, string>): string {
  const h = createHash('sha256');
  for (const k of Object.keys(labels).sort()) h.update(`${k}\u0000${labels[k]}\u0000`);
  return h.digest('hex').slice(0, 16);
}

/**
 * `{{device.name}} at {{site.name}}`: each placeholder is a dotted path into `values`;
 * numbers are printed with at most 2 decimals; an unknown path prints as `?`.
 */
export function renderTemplate(template: string, values: Record<string, unknown>): string {
  return template.replace(/\{\{\s*([A-Za-z_][A-Za-z0-9_.]*)\s*\}\}/g, (_, path: string) => {
    let v: unknown = values;
    for (const seg of path.split('.'))
      v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[seg] : undefined;
    if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Math.round(v * 100) / 100);
    if (typeof v === 'string' || typeof v === 'boolean') return String(v);
    return '?';
  });
}

/** The template values of a device subject: its names, with the id where it has no name. */
export function deviceValues(d: SubjectDevice, siteName: string | null): Record<string, unknown> {
  return {
    device: { ...d, name: d.name ?? d.id },
    site: { id: d.site_id, name: siteName ?? d.site_id ?? 'no site' },
  };
}
