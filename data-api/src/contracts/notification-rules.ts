// Alert rules (notifications/rules.yaml): what is wrong. The ONE schema, used by the API at
// start, `fleetbook rules validate|schema`, the evaluator, the generated *Alert rules* page and
// the docs. Checks that need the rest of the repository (metrics of the product catalog,
// runbooks) live in notifications/rules.ts; everything a file alone can say is here.
// No server-only imports: the site build reads this file too.
// `import * as z`: Docusaurus loads contracts through jiti (see runbook.ts).
import semver from 'semver';
import * as z from 'zod';
import { DEVICE_ROLES, deviceTagSchema, productCodeSchema } from './catalog.ts';
import { checkLogic, JSONLOGIC_OPERATIONS, type LogicProblem, type LogicWords } from './jsonlogic.ts';

/* ------------------------------------------------------------------ primitives */

const DURATION_RE = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+)s)?(?:(\d+)ms)?$/;
const UNIT_MS = [86_400_000, 3_600_000, 60_000, 1000, 1];

/** `90s`, `10m`, `1h30m`, `2d`, `250ms` (Prometheus's duration syntax, without y and w) → milliseconds. */
export function parseDuration(text: string): number | null {
  const m = DURATION_RE.exec(text);
  if (!m || text === '') return null;
  return m.slice(1).reduce((ms, part, i) => ms + (part ? Number(part) * UNIT_MS[i]! : 0), 0);
}

/** Milliseconds → the shortest duration text (`90000` → `1m30s`). */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = ms;
  let out = '';
  ['d', 'h', 'm', 's', 'ms'].forEach((unit, i) => {
    const n = Math.floor(rest / UNIT_MS[i]!);
    if (n > 0) out += `${n}${unit}`;
    rest -= n * UNIT_MS[i]!;
  });
  return out;
}

export const durationSchema = z
  .string({ error: 'expected a duration like 30s, 10m, 1h30m (quoted or bare)' })
  .refine((v) => parseDuration(v) !== null, { message: 'expected a duration like 30s, 10m, 1h30m or 2d' })
  .describe('a duration: 250ms, 30s, 10m, 1h30m, 2d');

/** Prometheus label names. `__`-prefixed names are reserved for the engine. */
export const LABEL_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
export const labelNameSchema = z
  .string()
  .regex(LABEL_NAME_RE, 'expected a label name: letters, digits and _, not starting with a digit')
  .refine((v) => !v.startsWith('__'), { message: 'label names starting with __ are reserved' });
export const labelsSchema = z.record(labelNameSchema, z.string().max(500));

export const RULE_ID_RE = /^[a-z][a-z0-9_]{0,63}$/;
export const ruleIdSchema = z
  .string()
  .regex(RULE_ID_RE, 'expected a rule id: lowercase letters, digits and _, starting with a letter (at most 64)');

export const SEVERITIES = ['critical', 'warning', 'info'] as const;
export const severitySchema = z.enum(SEVERITIES);

/** A metric name as the MQTT contract writes it: snake_case with a unit suffix. */
export const metricNameSchema = z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'expected a metric name like motor_temp_c');

/* ------------------------------------------------------------------ JSONLogic */

/** The rules' own wording of the JsonLogic problems (`fleetbook rules validate` prints it). */
const WHEN_WORDS: LogicWords = {
  object: (keys) =>
    `Unexpected object with ${keys.length} keys in JSONLogic, expected one operation like {">": [{"var": "value"}, 90]}`,
  operation: (op, hint) =>
    `Unexpected JSONLogic operation "${op}", expected one of ${JSONLOGIC_OPERATIONS.join(' ')}${hint}`,
  root: (name, roots, hint) => `Unexpected variable "${name}" in when, expected one under ${roots.join(', ')}${hint}`,
  name: (value, roots) => `Unexpected variable ${value} in when, expected a dotted name under ${roots.join(', ')}`,
};

/**
 * The problems of a JsonLogic expression that can be seen without running it: unknown
 * operations, and variables outside `roots` (what the rule kind gives to `when`).
 */
export function checkJsonLogic(
  rule: unknown,
  roots: readonly string[],
  path: Array<string | number> = [],
): LogicProblem[] {
  return checkLogic(rule, { roots, words: WHEN_WORDS }, path);
}

/** What `when` sees, by rule kind (documented on the contract page). */
export const WHEN_ROOTS = {
  threshold: ['value', 'metric', 'metrics', 'status', 'ts', 'device'],
  no_data: ['metric', 'last_seen', 'silent_s', 'device'],
  state: ['event', 'device', 'deployment', 'execution', 'run', 'command'],
} as const;

const whenSchema = z
  .union([z.boolean(), z.record(z.string(), z.unknown())], {
    error: 'expected a JSONLogic expression: an object like {">": [{"var": "value"}, 90]}',
  })
  .describe(
    'a JSONLogic condition (jsonlogic.com) over the reading or event and the device; the rule fires only where it is truthy',
  );

/* ------------------------------------------------------------------ selectors */

const semverRange = z
  .string()
  .refine((v) => semver.validRange(v) !== null, { message: 'expected a version range like >=1.4.0 or 1.5.x' });

export const selectorSchema = z
  .strictObject({
    customers: z
      .array(z.string().regex(/^cus_[A-Za-z0-9._-]{1,64}$/, 'expected a customer id (cus_…)'))
      .min(1)
      .optional(),
    sites: z
      .array(z.string().regex(/^site_[A-Za-z0-9._-]{1,64}$/, 'expected a site id (site_…)'))
      .min(1)
      .optional(),
    products: z.array(productCodeSchema).min(1).optional(),
    product_versions: semverRange.optional().describe("a semver range the device's product_version must satisfy"),
    roles: z.array(z.enum(DEVICE_ROLES)).min(1).optional(),
    tags: z.array(deviceTagSchema).min(1).optional(),
  })
  .describe('which devices the rule watches: every list given must match (a device with no site never matches sites)')
  .meta({ id: 'AlertRuleSelector' });
export type Selector = z.infer<typeof selectorSchema>;

/* ------------------------------------------------------------------ rules */

const common = {
  id: ruleIdSchema.describe("unique; the alert's alertname label and the id in the handbook"),
  severity: severitySchema.default('warning'),
  summary: z
    .string()
    .min(1)
    .max(300)
    .describe(
      'one line, with {{placeholders}}: device.id device.name site.id site.name value metric rule.id (see the contract page)',
    ),
  description: z.string().max(2000).optional(),
  labels: labelsSchema.optional().describe('extra labels for routing and grouping'),
  runbook: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'expected a runbook id like rb-pump-ctl-bring-up')
    .optional()
    .describe('the id of the runbook that fixes it (checked: the runbook exists)'),
  select: selectorSchema.optional(),
  when: whenSchema.optional(),
};

export const THRESHOLD_OPS = ['>', '>=', '<', '<=', '==', '!='] as const;

export const thresholdRuleSchema = z
  .strictObject({
    ...common,
    kind: z.literal('threshold'),
    metric: metricNameSchema,
    op: z.enum(THRESHOLD_OPS),
    value: z.number(),
    for: durationSchema
      .default('0s')
      .describe('how long the condition must hold before the alert fires (pending until then)'),
    clear: z
      .number()
      .optional()
      .describe(
        'hysteresis: the alert resolves only once the value is back past this (default: as soon as the condition is false)',
      ),
  })
  .superRefine((r, ctx) => {
    if (r.clear === undefined) return;
    const above = r.op === '>' || r.op === '>=';
    const below = r.op === '<' || r.op === '<=';
    if ((above && r.clear > r.value) || (below && r.clear < r.value)) {
      ctx.addIssue({
        code: 'custom',
        path: ['clear'],
        message: `Unexpected clear ${r.clear} on the firing side of ${r.op} ${r.value}, expected a value that ${above ? '≤' : '≥'} ${r.value}`,
      });
    }
    if (r.op === '==' || r.op === '!=')
      ctx.addIssue({
        code: 'custom',
        path: ['clear'],
        message: `Unexpected clear with op ${r.op}, expected one of > >= < <=`,
      });
  })
  .meta({ id: 'ThresholdRule' });

export const noDataRuleSchema = z
  .strictObject({
    ...common,
    kind: z.literal('no_data'),
    metric: metricNameSchema.optional().describe('the metric that must keep coming; absent: any reading or heartbeat'),
    for: durationSchema.describe('how long it may be absent'),
  })
  .meta({ id: 'NoDataRule' });

export const STATE_EVENTS = [
  'device_down',
  'deployment_state',
  'automation_run_failed',
  'gate_waiting_sign_off',
  'command_expired',
] as const;
export const DEPLOYMENT_STATES = ['planned', 'installing', 'live', 'paused', 'retired'] as const;

export const stateRuleSchema = z
  .strictObject({
    ...common,
    kind: z.literal('state'),
    event: z
      .enum(STATE_EVENTS)
      .describe(
        'device_down is the built-in heartbeat rule; the others watch deployments, automation runs, runbook gates and commands',
      ),
    states: z.array(z.enum(DEPLOYMENT_STATES)).min(1).optional().describe('deployment_state: the states that fire'),
    for: durationSchema.optional().describe('gate_waiting_sign_off and deployment_state: how long before it fires'),
    auto_resolve: durationSchema
      .optional()
      .describe('automation_run_failed and command_expired: resolve by itself after this long'),
  })
  .superRefine((r, ctx) => {
    if (r.event === 'deployment_state' && !r.states)
      ctx.addIssue({
        code: 'custom',
        path: ['states'],
        message: 'Missing states, expected the deployment states that fire, like [paused]',
      });
    if (r.event !== 'deployment_state' && r.states)
      ctx.addIssue({
        code: 'custom',
        path: ['states'],
        message: `Unexpected states for event ${r.event}, expected them only with deployment_state`,
      });
    if (r.event === 'gate_waiting_sign_off' && !r.for)
      ctx.addIssue({
        code: 'custom',
        path: ['for'],
        message: 'Missing for, expected how long a gate may wait for sign-off, like 2h',
      });
  })
  .meta({ id: 'StateRule' });

export const RULE_KINDS = ['threshold', 'no_data', 'state'] as const;

export const alertRuleSchema = z.discriminatedUnion('kind', [thresholdRuleSchema, noDataRuleSchema, stateRuleSchema], {
  error: (iss) => (iss.code === 'invalid_union' ? `expected kind: ${RULE_KINDS.join(', ')}` : undefined),
});
export type AlertRule = z.infer<typeof alertRuleSchema>;
export type ThresholdRule = z.infer<typeof thresholdRuleSchema>;
export type NoDataRule = z.infer<typeof noDataRuleSchema>;
export type StateRule = z.infer<typeof stateRuleSchema>;

export const rulesFileSchema = z
  .strictObject({
    rules: z.array(alertRuleSchema).superRefine((rules, ctx) => {
      const seen = new Map<string, number>();
      rules.forEach((r, i) => {
        const first = seen.get(r.id);
        if (first === undefined) seen.set(r.id, i);
        else
          ctx.addIssue({
            code: 'custom',
            path: [i, 'id'],
            message: `Unexpected duplicate rule id ${r.id}, expected unique ids`,
            params: { rule: 'duplicate-id', related: ['rules', first, 'id'] },
          });
      });
      rules.forEach((r, i) => {
        if (!r.when || typeof r.when === 'boolean') return;
        for (const p of checkJsonLogic(r.when, WHEN_ROOTS[r.kind], [i, 'when'])) {
          ctx.addIssue({ code: 'custom', path: p.path, message: p.message, params: { rule: 'bad-jsonlogic' } });
        }
      });
    }),
  })
  .meta({ id: 'AlertRulesFile' });
export type RulesFile = z.infer<typeof rulesFileSchema>;

/** The rule id alerts of the heartbeat monitor carry; a state rule with `event: device_down` refines them. */
export const BUILTIN_DEVICE_DOWN = 'device_down';
