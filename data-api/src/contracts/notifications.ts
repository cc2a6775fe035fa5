// The notifications API (contracts.md: /api/v1/alerts…, silences, deliveries, rules): the ONE
// schema of each body and response, used by the routes, the OpenAPI document, the CLI
// (`fleetbook silence`) and the browser (AlertList, the silence form, the Alert rules page).
// No server-only imports. `import * as z`: Docusaurus loads contracts through jiti.
import * as z from 'zod';
import { matcherSchema } from './notification-policies.ts';
import { isoDateTime } from './primitives.ts';
import { durationSchema, RULE_KINDS, SEVERITIES } from './notification-rules.ts';

const timestamp = isoDateTime;

/* ------------------------------------------------------------------ silences */

export const silenceIdSchema = z.string().regex(/^sil_[A-Za-z0-9._-]{1,64}$/, 'expected a silence id (sil_…)');

export const silenceSchema = z
  .object({
    id: silenceIdSchema,
    matchers: z
      .array(z.string())
      .describe('label matchers, all must match: site="site_farm-north", alertname=~"soil_.*"'),
    starts_at: timestamp,
    ends_at: timestamp,
    created_by: z.string(),
    comment: z.string(),
    customer_id: z
      .string()
      .nullable()
      .describe('set for a silence made with a customer-scoped token: it mutes only that customer'),
    state: z.enum(['pending', 'active', 'expired']),
    created_at: timestamp,
  })
  .meta({ id: 'Silence' });
export type Silence = z.infer<typeof silenceSchema>;

export const silenceCreateSchema = z
  .strictObject({
    matchers: z
      .array(matcherSchema)
      .min(1, 'at least one matcher: a silence of everything is a maintenance window, say which labels')
      .max(20),
    starts_at: timestamp.optional().describe('default: now'),
    ends_at: timestamp.optional().describe('or give duration'),
    duration: durationSchema.optional().describe('from starts_at, e.g. 2h; one of ends_at or duration'),
    comment: z.string().trim().min(1, 'say why (who reads the alert list should know)').max(500),
  })
  .superRefine((b, ctx) => {
    if (!b.ends_at === !b.duration)
      ctx.addIssue({ code: 'custom', path: ['ends_at'], message: 'give exactly one of ends_at or duration' });
  })
  .meta({ id: 'SilenceCreate' });
export type SilenceCreate = z.infer<typeof silenceCreateSchema>;

export const silenceListQuery = z.strictObject({
  state: z
    .string()
    .regex(
      /^(pending|active|expired)(,(pending|active|expired))*$/,
      'expected pending, active, expired, or a comma-separated list',
    )
    .default('pending,active'),
});
export const silenceIdParams = z.object({ id: silenceIdSchema });
export const silenceList = z.object({ items: z.array(silenceSchema) }).meta({ id: 'SilenceList' });

/* ------------------------------------------------------------------ delivery log */

export const NOTIFICATION_STATES = ['pending', 'sending', 'sent', 'failed'] as const;

export const deliveryAttemptSchema = z
  .object({
    attempt: z.number().int(),
    at: timestamp,
    ok: z.boolean(),
    status: z.number().int().nullable().describe("the receiver's HTTP status (or SMTP code) when it answered"),
    detail: z.string().nullable(),
    duration_ms: z.number().int(),
  })
  .meta({ id: 'DeliveryAttempt' });

export const deliverySchema = z
  .object({
    id: z.string().describe('ntf_…: also the idempotency key receivers see'),
    contact_point: z.string(),
    step: z.number().int().describe('escalation step (0: the first)'),
    status: z.enum(['firing', 'resolved']),
    state: z.enum(NOTIFICATION_STATES),
    attempts: z.number().int(),
    next_attempt_at: timestamp.nullable(),
    last_status: z.number().int().nullable(),
    last_detail: z.string().nullable(),
    created_at: timestamp,
    sent_at: timestamp.nullable(),
    alert_count: z.number().int(),
    log: z.array(deliveryAttemptSchema),
  })
  .meta({ id: 'Delivery' });
export type Delivery = z.infer<typeof deliverySchema>;

export const deliveryList = z.object({ items: z.array(deliverySchema) }).meta({ id: 'DeliveryList' });

/** What the alert row shows: one entry per contact point, its latest message. */
export const deliverySummarySchema = z
  .object({
    contact_point: z.string(),
    step: z.number().int(),
    status: z.enum(['firing', 'resolved']),
    state: z.enum(NOTIFICATION_STATES),
    attempts: z.number().int(),
    at: timestamp,
  })
  .meta({ id: 'DeliverySummary' });
export type DeliverySummary = z.infer<typeof deliverySummarySchema>;

/* ------------------------------------------------------------------ rules */

export const alertRuleInfoSchema = z
  .object({
    id: z.string(),
    kind: z.enum(RULE_KINDS),
    severity: z.enum(SEVERITIES),
    summary: z.string(),
    condition: z.string().describe('the rule in one line, e.g. motor_temp_c > 95 for 1m, clear 85'),
    runbook: z.string().nullable(),
    runbook_url: z.string().nullable(),
    labels: z.record(z.string(), z.string()),
    firing: z.number().int().describe('alerts of this rule open or acknowledged now (visible to the caller)'),
    pending: z.number().int().describe('subjects over the threshold, waiting for `for`'),
  })
  .meta({ id: 'AlertRuleInfo' });
export type AlertRuleInfo = z.infer<typeof alertRuleInfoSchema>;
export const alertRuleList = z
  .object({ configured: z.boolean(), items: z.array(alertRuleInfoSchema) })
  .meta({ id: 'AlertRuleList' });

/** The acknowledge link of a message (`/notifications/:id/ack?exp=…&sig=…`): signed, so no token is needed. */
export const notificationAckParams = z.object({
  id: z.string().regex(/^ntf_[A-Za-z0-9._-]{1,64}$/, 'expected a notification id (ntf_…)'),
});
export const notificationAckQuery = z.object({
  exp: z.coerce.number({ error: "expected the link's expiry (unix seconds)" }).int().positive(),
  sig: z.string().regex(/^[0-9a-f]{64}$/, "expected the link's signature (64 hex characters)"),
});

/** The acknowledge link answers a person, with HTML pages (text/html): what each one shows. */
export const notificationAckPages = {
  200: z
    .string()
    .describe(
      "An HTML page: GET lists the message's alerts with their state and a button (a form that POSTs to the same link) to acknowledge the open ones; POST acknowledges them and lists what it acknowledged",
    ),
  403: z.string().describe('An HTML page: the link is not valid (its signature does not match, or no such message)'),
  410: z.string().describe('An HTML page: the link has expired; acknowledge on the alerts dashboard instead'),
};
