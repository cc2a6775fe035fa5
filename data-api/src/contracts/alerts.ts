// Route schemas of the alerts area. No server-only imports: the browser may import them.
import { z } from 'zod';
import { fleetFilters } from './fleet.ts';
import { deliverySummarySchema } from './notifications.ts';
import { pageOf, pageQuery } from './pagination.ts';
import { isoDateTime } from './primitives.ts';

export const alertState = z.enum(['open', 'acknowledged', 'resolved']);
export const alertSeverity = z.enum(['critical', 'warning', 'info']);

export const alertSchema = z
  .object({
    id: z.string().describe('alr_…'),
    rule_id: z.string().describe('e.g. device_down'),
    subject: z.object({ type: z.string(), id: z.string() }),
    customer_id: z.string().nullable(),
    site_id: z.string().nullable(),
    severity: alertSeverity,
    state: alertState,
    title: z.string(),
    details: z.record(z.string(), z.unknown()),
    dedupe_key: z.string(),
    escalation_level: z.number().int(),
    opened_at: z.string(),
    acked_at: z.string().nullable(),
    acked_by: z.string().nullable(),
    resolved_at: z.string().nullable(),
    resolved_by: z.string().nullable(),
    labels: z
      .record(z.string(), z.string())
      .describe('Alertmanager-style labels: what routing, grouping, silences and inhibition match'),
    annotations: z.record(z.string(), z.string()).describe('summary, runbook_url, device_url…'),
    deliveries: z
      .array(deliverySummarySchema)
      .optional()
      .describe('per contact point, the latest message about this alert (lists and single reads)'),
  })
  .meta({ id: 'Alert' });
export type Alert = z.infer<typeof alertSchema>;

export const alertListQuery = z.strictObject({
  ...pageQuery,
  state: z
    .string()
    .regex(
      /^(open|acknowledged|resolved)(,(open|acknowledged|resolved))*$/,
      'expected open, acknowledged, resolved, or a comma-separated list',
    )
    .optional()
    .describe('comma-separated: open,acknowledged'),
  severity: alertSeverity.optional(),
  subject_type: z.string().max(64).optional(),
  subject_id: z.string().max(200).optional(),
  rule_id: z.string().max(64).optional(),
  site_id: z.string().max(200).optional(),
});
export type AlertListQuery = z.infer<typeof alertListQuery>;

export const alertPage = pageOf(alertSchema, 'Alert');
export const alertIdParams = z.object({
  id: z.string().regex(/^alr_[A-Za-z0-9._-]{1,64}$/, 'expected an alert id (alr_…)'),
});
export const alertActionBody = z.strictObject({ note: z.string().max(2000).optional() }).nullish();

/** The response figures over a window: the default and the longest window GET /alerts/stats takes. */
export const ALERT_STATS_DEFAULT_DAYS = 7;
export const ALERT_STATS_MAX_DAYS = 366;
const DAY_MS = 86_400_000;

/** The window [from, to) a stats query names, its defaults filled in (to: now; from: 7 days before to). */
export function alertStatsWindow(q: { from?: string; to?: string }, now = Date.now()): { from: number; to: number } {
  const to = q.to ? Date.parse(q.to) : now;
  return { from: q.from ? Date.parse(q.from) : to - ALERT_STATS_DEFAULT_DAYS * DAY_MS, to };
}

export const alertStatsQuery = z
  .strictObject({
    from: isoDateTime.optional().describe('alerts opened at or after this instant; default: 7 days before `to`'),
    to: isoDateTime.optional().describe('alerts opened before this instant; default: now'),
    severity: alertSeverity.optional().describe('only this severity (the total is then of it alone)'),
    site_id: fleetFilters.site_id.describe("only this site's alerts"),
    customer_id: fleetFilters.customer_id.describe("only this customer's alerts"),
  })
  .refine(
    (q) => {
      const w = alertStatsWindow(q);
      // A from or to that is not a date-time is reported on its own field, once.
      return Number.isNaN(w.from) || Number.isNaN(w.to) || w.from < w.to;
    },
    { message: 'from must be before to (default: now)', path: ['from'] },
  )
  .refine(
    (q) => {
      const w = alertStatsWindow(q);
      return !(w.to - w.from > ALERT_STATS_MAX_DAYS * DAY_MS);
    },
    { message: `the window is at most ${ALERT_STATS_MAX_DAYS} days`, path: ['from'] },
  );
export type AlertStatsQuery = z.infer<typeof alertStatsQuery>;

const alertStatsFigures = {
  opened: z.number().int().describe('alerts opened in the window'),
  acknowledged: z.number().int().describe('of those, acknowledged by a person (acked_at set)'),
  resolved: z.number().int().describe('of those, resolved (by a person or by the system)'),
  auto_resolved: z
    .number()
    .int()
    .describe('resolved by the system (resolved_by system:…, e.g. the device came back) without being acknowledged'),
  escalated: z.number().int().describe('escalated at least once (escalation_level > 0)'),
  ack_median_s: z
    .number()
    .nullable()
    .describe('median seconds from opened to acknowledged, of the acknowledged ones; null when none was'),
  ack_p90_s: z.number().nullable().describe('90th percentile (continuous) of the same'),
  resolve_median_s: z
    .number()
    .nullable()
    .describe('median seconds from opened to resolved, of the resolved ones; null when none was'),
};

export const alertStatsSchema = z
  .object({
    from: z.string(),
    to: z.string(),
    total: z.object(alertStatsFigures),
    by_severity: z
      .array(z.object({ severity: alertSeverity, ...alertStatsFigures }))
      .describe('critical, warning, info (every one, zeros included; only `severity` when filtered)'),
  })
  .meta({ id: 'AlertStats' });
export type AlertStats = z.infer<typeof alertStatsSchema>;
export type AlertStatsFigures = AlertStats['total'];
