// Route schemas of the alerts area. No server-only imports: the browser may import them.
import { z } from 'zod';
import { deliverySummarySchema } from './notifications.ts';
import { pageOf, pageQuery } from './pagination.ts';

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
