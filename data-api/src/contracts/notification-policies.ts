// Notification policies (notifications/policies.yaml): who is told, how and when. The ONE
// schema: a routing tree on labels (Alertmanager's `route`, Grafana's notification policies),
// escalation policies (steps with delays, PagerDuty's shape), inhibition rules and delivery
// settings. Silences share the matcher syntax. Checks against the other files (contact point
// names) live in notifications/rules.ts. No server-only imports.
// `import * as z`: Docusaurus loads contracts through jiti (see runbook.ts).
import * as z from 'zod';
import { CONTACT_POINT_NAME_PATTERN } from './notification-channels.ts';
import { durationSchema, LABEL_NAME_RE, labelNameSchema, parseDuration } from './notification-rules.ts';

const durationMs = (text: string): number => parseDuration(text) ?? 0;

/* ------------------------------------------------------------------ matchers */

export const MATCHER_OPS = ['=', '!=', '=~', '!~'] as const;
export type MatcherOp = (typeof MATCHER_OPS)[number];
export interface Matcher {
  name: string;
  op: MatcherOp;
  value: string;
}

const MATCHER_RE = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$/;

/**
 * Alertmanager's matcher syntax: `severity="critical"`, `site=~"site_farm-.*"`, `role!=gateway`
 * (quotes optional). Regexes are anchored, as in Alertmanager.
 */
export function parseMatcher(text: string): Matcher | string {
  const m = MATCHER_RE.exec(text);
  if (!m)
    return `Unexpected matcher "${text}", expected label="value", label!="value", label=~"regex" or label!~"regex"`;
  let value = m[3]!;
  if (value.startsWith('"')) {
    try {
      value = JSON.parse(value) as string;
    } catch {
      return `Unexpected quoted value in matcher "${text}", expected a closing " (escape " inside as \\")`;
    }
  }
  const op = m[2] as MatcherOp;
  if (op === '=~' || op === '!~') {
    try {
      new RegExp(`^(?:${value})$`);
    } catch (err) {
      return `Unexpected regex in matcher "${text}": ${(err as Error).message}`;
    }
  }
  return { name: m[1]!, op, value };
}

export const matcherSchema = z
  .string()
  .superRefine((v, ctx) => {
    const parsed = parseMatcher(v);
    if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: parsed });
  })
  .describe('label="value", label!="value", label=~"regex" or label!~"regex"');
export const matchersSchema = z.array(matcherSchema);

/** A compiled matcher: a missing label is the empty string (Alertmanager's rule). */
export function matcherTest(m: Matcher): (labels: Record<string, string>) => boolean {
  if (m.op === '=') return (l) => (l[m.name] ?? '') === m.value;
  if (m.op === '!=') return (l) => (l[m.name] ?? '') !== m.value;
  const re = new RegExp(`^(?:${m.value})$`);
  return m.op === '=~' ? (l) => re.test(l[m.name] ?? '') : (l) => !re.test(l[m.name] ?? '');
}

export function formatMatcher(m: Matcher): string {
  return `${m.name}${m.op}${JSON.stringify(m.value)}`;
}

/* ------------------------------------------------------------------ routing tree */

const contactPointName = z
  .string()
  .regex(CONTACT_POINT_NAME_PATTERN, 'expected a contact point name from contact-points.yaml');
const escalationId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'expected an escalation id: lowercase letters, digits, - and _');

export const GROUP_ALL = '...';

interface RouteInput {
  matchers?: string[];
  receiver?: string;
  escalation?: string;
  group_by?: string[];
  group_wait?: string;
  group_interval?: string;
  repeat_interval?: string;
  mute_during_maintenance?: boolean;
  continue?: boolean;
  routes?: RouteInput[];
}

const routeFields = {
  matchers: matchersSchema.optional().describe('all must match (the root matches everything)'),
  receiver: contactPointName
    .optional()
    .describe('one contact point, told at once (shorthand for a one-step escalation)'),
  escalation: escalationId.optional().describe('an escalation policy of this file: steps with delays'),
  group_by: z
    .array(z.union([labelNameSchema, z.literal(GROUP_ALL)]))
    .optional()
    .describe('labels that split alerts into groups (one message per group); ["..."] groups by every label'),
  group_wait: durationSchema.optional().describe('how long a new group waits for more alerts before its first message'),
  group_interval: durationSchema.optional().describe('how long a group waits before it says what changed'),
  repeat_interval: durationSchema.optional().describe('how long before an unacknowledged group is told again'),
  mute_during_maintenance: z
    .boolean()
    .optional()
    .describe('a site with a runbook execution in progress or a deployment installing is not paged'),
  continue: z.boolean().optional().describe('keep matching the next sibling routes after this one matched'),
};

export const routeSchema: z.ZodType<RouteInput> = z
  .strictObject({ ...routeFields, routes: z.array(z.lazy(() => routeSchema)).optional() })
  .superRefine((r, ctx) => {
    if (r.receiver && r.escalation)
      ctx.addIssue({
        code: 'custom',
        path: ['escalation'],
        message: 'Unexpected escalation beside receiver, expected one of them',
      });
  })
  .meta({ id: 'NotificationRoute' });
export type Route = RouteInput;

/* ------------------------------------------------------------------ escalation */

export const escalationStepSchema = z
  .strictObject({
    after: durationSchema.describe("since the group's first message, while an alert of it is unacknowledged"),
    contact_points: z.array(contactPointName).min(1),
  })
  .meta({ id: 'EscalationStep' });

export const escalationSchema = z
  .strictObject({
    id: escalationId,
    description: z.string().max(500).optional(),
    steps: z
      .array(escalationStepSchema)
      .min(1)
      .superRefine((steps, ctx) => {
        let last = -1;
        steps.forEach((s, i) => {
          const ms = durationMs(s.after);
          if (ms < last)
            ctx.addIssue({
              code: 'custom',
              path: [i, 'after'],
              message: `Unexpected step after ${s.after}, expected steps in order of their delay`,
            });
          last = Math.max(last, ms);
        });
      }),
    repeat: z
      .boolean()
      .default(true)
      .describe('start again from the first step every repeat_interval while unacknowledged'),
  })
  .meta({ id: 'EscalationPolicy' });
export type Escalation = z.infer<typeof escalationSchema>;

/* ------------------------------------------------------------------ inhibition */

export const inhibitRuleSchema = z
  .strictObject({
    source_matchers: matchersSchema.min(1).describe('the alert that explains the others (e.g. a gateway down)'),
    target_matchers: matchersSchema.min(1).describe('the alerts it mutes while it fires'),
    equal: z.array(labelNameSchema).default([]).describe('labels that must have the same value on both (e.g. site)'),
  })
  .meta({ id: 'InhibitRule' });
export type InhibitRule = z.infer<typeof inhibitRuleSchema>;

/* ------------------------------------------------------------------ delivery */

const RATE_RE = /^(\d+)\/(.+)$/;
export function parseRate(text: string): { max: number; perMs: number } | null {
  const m = RATE_RE.exec(text);
  if (!m) return null;
  const perMs = durationMs(m[2]!);
  return perMs > 0 && Number(m[1]) > 0 ? { max: Number(m[1]), perMs } : null;
}
const rateSchema = z
  .string()
  .refine((v) => parseRate(v) !== null, { message: 'expected a rate like 30/1m (at most 30 messages a minute)' });

export const deliverySchema = z
  .strictObject({
    max_attempts: z.number().int().min(1).max(50).default(8).describe('attempts before a notification is failed'),
    backoff_initial: durationSchema
      .default('2s')
      .describe('wait before the 2nd attempt; doubled each time, with jitter'),
    backoff_max: durationSchema.default('5m'),
    rate_limit: rateSchema.default('60/1m').describe('per contact point, across every replica'),
    rate_limits: z
      .record(z.string().regex(CONTACT_POINT_NAME_PATTERN), rateSchema)
      .default({})
      .describe('per contact point name'),
    ack_link_ttl: durationSchema.default('24h').describe('how long the acknowledge link in a message works'),
    max_alerts_per_message: z.number().int().min(1).max(1000).default(50),
  })
  .meta({ id: 'NotificationDelivery' });
export type Delivery = z.infer<typeof deliverySchema>;

/* ------------------------------------------------------------------ the file */

export const ROUTE_DEFAULTS = {
  group_by: ['alertname', 'site'],
  group_wait: '30s',
  group_interval: '5m',
  repeat_interval: '4h',
} as const;

export const policiesFileSchema = z
  .strictObject({
    route: routeSchema.describe('the root policy: matches every alert; children refine it'),
    escalations: z.array(escalationSchema).default([]),
    inhibit_rules: z.array(inhibitRuleSchema).default([]),
    delivery: deliverySchema.prefault({}),
  })
  .superRefine((file, ctx) => {
    if (!file.route.receiver && !file.route.escalation) {
      ctx.addIssue({
        code: 'custom',
        path: ['route'],
        message: 'Missing receiver or escalation on the root route, expected where unmatched alerts go',
      });
    }
    if (file.route.matchers?.length) {
      ctx.addIssue({
        code: 'custom',
        path: ['route', 'matchers'],
        message: 'Unexpected matchers on the root route, expected it to match every alert',
      });
    }
    const seen = new Map<string, number>();
    file.escalations.forEach((e, i) => {
      const first = seen.get(e.id);
      if (first === undefined) seen.set(e.id, i);
      else
        ctx.addIssue({
          code: 'custom',
          path: ['escalations', i, 'id'],
          message: `Unexpected duplicate escalation id ${e.id}`,
          params: { rule: 'duplicate-id', related: ['escalations', first, 'id'] },
        });
    });
    const walk = (r: Route, path: Array<string | number>) => {
      if (r.escalation && !seen.has(r.escalation)) {
        ctx.addIssue({
          code: 'custom',
          path: [...path, 'escalation'],
          message: `Unexpected escalation ${r.escalation}, expected one of escalations: ${[...seen.keys()].join(', ') || '(none declared)'}`,
          params: { rule: 'unknown-escalation' },
        });
      }
      r.routes?.forEach((c, i) => walk(c, [...path, 'routes', i]));
    };
    walk(file.route, ['route']);
  })
  .meta({ id: 'NotificationPoliciesFile' });
export type PoliciesFile = z.infer<typeof policiesFileSchema>;

/** Label names as Prometheus allows them (for silences, which carry no other validation). */
export { LABEL_NAME_RE };
