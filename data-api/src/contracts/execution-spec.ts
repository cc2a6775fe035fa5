// Execution spec v1: the ONE schema of the automation input (contracts.md "Execution spec v1").
// Shared by the browser and the server: zod only, no server-only imports. The `with` schema
// of each action is contracts/actions/<type>.ts (its runner is automation/actions/<type>.ts),
// imported from there; the runner, `fleetbook spec validate`, the JSON Schema for editors and
// the docs all derive from this file.
import { z } from 'zod';
import { configureGatewayDefinition } from './actions/configure_gateway.ts';
import { deployComposeStackDefinition } from './actions/deploy_compose_stack.ts';
import { openTicketOnFailureDefinition } from './actions/open_ticket_on_failure.ts';
import { provisionLorawanDevicesDefinition } from './actions/provision_lorawan_devices.ts';
import { provisionVmDefinition } from './actions/provision_vm.ts';
import { runHealthChecksDefinition } from './actions/run_health_checks.ts';
import { secondsSchema, slugSchema, type ActionDefinition } from './actions/shared.ts';
import { graphProblems, stepTree, ancestors, TICKET_ACTION } from './step-tree.ts';
import { ACTION_CONDITION_ROOTS, CONDITION_FIELDS, checkCondition, conditionSchema } from './condition.ts';
import { idSchema } from './ids.ts';
import { safeParseNotingKeys, unknownKeyHint } from './unknown-keys.ts';

export { secretRefSchema, type SecretRef } from './actions/shared.ts';

/** Every action type, in the order the docs list them. */
export const ACTION_DEFINITIONS = [
  provisionVmDefinition,
  deployComposeStackDefinition,
  configureGatewayDefinition,
  runHealthChecksDefinition,
  provisionLorawanDevicesDefinition,
  openTicketOnFailureDefinition,
] as const;
export type ActionType = (typeof ACTION_DEFINITIONS)[number]['type'];
export const ACTION_TYPES = ACTION_DEFINITIONS.map((d) => d.type) as ActionType[];

export function actionDefinition(type: string): ActionDefinition | undefined {
  return ACTION_DEFINITIONS.find((d) => d.type === type);
}

const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

/** One action of the discriminated union: common fields + its own `with`. Retries only where safe. */
function actionSchema<const D extends ActionDefinition>(def: D) {
  const withField = def.withOptional ? def.withSchema.prefault({}) : def.withSchema;
  const retryFields = def.idempotent
    ? {
        retries: z
          .number()
          .int()
          .min(0)
          .max(10)
          .default(0)
          .describe('extra attempts after a failure (idempotent actions only)'),
        retry_delay_s: secondsSchema.default(5).describe('pause between attempts'),
      }
    : {};
  return z
    .strictObject({
      id: slugSchema.describe('unique within the spec; names the action in the timeline and the run page'),
      type: z.literal(def.type as D['type']),
      description: z.string().max(500).optional(),
      with: withField as D['withSchema'],
      depends_on: z
        .array(slugSchema)
        .max(100)
        .optional()
        .describe(
          'ids of the actions this one waits for; when any action names depends_on, actions without it start at once',
        ),
      when: conditionSchema
        .optional()
        .describe(
          'JSONLogic over deployment, site, product, spec and outputs.<id> of actions it depends on; false: skipped',
        ),
      timeout_s: secondsSchema.optional().describe(`time allowed per attempt (default ${def.defaultTimeoutS} s)`),
      ...retryFields,
    })
    .describe(def.summary);
}

export const provisionVmActionSchema = actionSchema(provisionVmDefinition).meta({ id: 'ProvisionVmAction' });
export const deployComposeStackActionSchema = actionSchema(deployComposeStackDefinition).meta({
  id: 'DeployComposeStackAction',
});
export const configureGatewayActionSchema = actionSchema(configureGatewayDefinition).meta({
  id: 'ConfigureGatewayAction',
});
export const runHealthChecksActionSchema = actionSchema(runHealthChecksDefinition).meta({
  id: 'RunHealthChecksAction',
});
export const provisionLorawanDevicesActionSchema = actionSchema(provisionLorawanDevicesDefinition).meta({
  id: 'ProvisionLorawanDevicesAction',
});
export const openTicketOnFailureActionSchema = actionSchema(openTicketOnFailureDefinition).meta({
  id: 'OpenTicketOnFailureAction',
});

export const actionSpecSchema = z.discriminatedUnion('type', [
  provisionVmActionSchema,
  deployComposeStackActionSchema,
  configureGatewayActionSchema,
  runHealthChecksActionSchema,
  provisionLorawanDevicesActionSchema,
  openTicketOnFailureActionSchema,
]);

export const executionSpecSchema = z
  .strictObject({
    spec_version: z.literal(1, { error: 'expected spec_version: 1' }),
    project: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,63}$/, {
        message: 'expected a project slug (lowercase letters, digits, "-"), like farm-north-lorawan',
      })
      .describe('run pages go under docs/projects/<project>/runs/'),
    deployment_id: idSchema('deployment'),
    product_code: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, { message: 'expected a product code like lorawan-gw' }),
    product_version: z
      .string({
        error: (iss) =>
          iss.input === undefined
            ? undefined
            : 'expected a semantic version like 2.1.0, as a string (YAML reads 2.1 as a number: quote it)',
      })
      .regex(SEMVER, { message: 'expected a semantic version like 2.1.0' }),
    targets: z
      .strictObject({
        gateways: z.array(idSchema('gateway')).default([]),
        devices: z.array(idSchema('device')).default([]),
        stations: z.array(idSchema('device')).default([]),
      })
      .prefault({}),
    actions: z.array(actionSpecSchema).min(1, 'expected at least one action'),
    max_parallel: z
      .number()
      .int()
      .min(1)
      .max(32)
      .default(4)
      .describe('actions of the tree that may run at once (independent actions run in parallel up to this)'),
  })
  .superRefine(
    (spec, ctx) => {
      // Runs even when other fields are invalid (`when`), so every problem shows in one pass.
      for (const found of findInlineSecrets(spec)) {
        ctx.addIssue({
          code: 'custom',
          path: found.path,
          message: found.message,
          params: { rule: 'spec/inline-secret' },
        });
      }
      const actions = (spec as { actions?: unknown }).actions;
      if (!Array.isArray(actions)) return;
      const first = new Map<string, number>();
      actions.forEach((action, i) => {
        const id = (action as { id?: unknown } | null)?.id;
        if (typeof id !== 'string') return;
        const seen = first.get(id);
        if (seen === undefined) first.set(id, i);
        else
          ctx.addIssue({
            code: 'custom',
            path: ['actions', i, 'id'],
            message: `Unexpected duplicate action id "${id}" in actions[${i}], expected unique ids (first used by actions[${seen}])`,
            params: { rule: 'spec/duplicate-action-id', related: ['actions', seen, 'id'] },
          });
      });
      checkTree(actions, ctx);
    },
    { when: () => true },
  )
  .meta({ id: 'ExecutionSpecV1', title: 'fleetbook execution spec v1' });

export type ExecutionSpec = z.output<typeof executionSpecSchema>;
export type ExecutionSpecInput = z.input<typeof executionSpecSchema>;
export type ActionSpec = ExecutionSpec['actions'][number];

// ---------------------------------------------------------------------------------------
// The step tree: depends_on names existing actions, no cycles; `when` is valid JSONLogic and
// reads only outputs of actions it (transitively) depends on.

type RawAction = { id?: unknown; type?: unknown; depends_on?: unknown; when?: unknown };

function checkTree(actions: unknown[], ctx: z.RefinementCtx): void {
  const steps = actions.flatMap((a, i) => {
    const raw = (a ?? {}) as RawAction;
    if (typeof raw.id !== 'string' || typeof raw.type !== 'string') return [];
    const deps = Array.isArray(raw.depends_on)
      ? raw.depends_on.filter((d): d is string => typeof d === 'string')
      : undefined;
    return [{ i, step: { id: raw.id, type: raw.type, depends_on: deps, when: raw.when } }];
  });
  const list = steps.map((s) => s.step);
  for (const p of graphProblems(list)) {
    const i = steps[p.action]!.i;
    const rule = p.kind === 'cycle' ? 'spec/dependency-cycle' : 'spec/unknown-dependency';
    const path =
      p.kind === 'ticket' && p.entry === 0 && list[p.action]!.type === TICKET_ACTION
        ? ['actions', i, 'depends_on']
        : ['actions', i, 'depends_on', p.entry];
    ctx.addIssue({ code: 'custom', path, message: p.message, params: { rule } });
  }
  const tree = stepTree(list);
  steps.forEach(({ i, step }) => {
    if (step.when === undefined) return;
    const upstream = ancestors(tree, step.id);
    const issues = checkCondition(step.when, {
      roots: ACTION_CONDITION_ROOTS,
      fields: CONDITION_FIELDS,
      outputs: upstream,
      outputsHint: `add it to depends_on of "${step.id}"`,
    });
    for (const issue of issues) {
      ctx.addIssue({
        code: 'custom',
        path: ['actions', i, 'when', ...issue.path],
        message: issue.message,
        params: { rule: 'spec/bad-condition' },
      });
    }
  });
}

// ---------------------------------------------------------------------------------------
// Inline secrets. A spec is committed, printed and written to run pages: secrets appear only
// as references. Refused: a string (or number) under a secret-named key, and values that look
// like credentials wherever they are. The message names the path, never the value.

const SECRET_KEY =
  /(^|[_-])(password|passwd|passphrase|pwd|pass|secret|secrets|token|tokens|api_?key|apikey|key|private_?key|access_?key|secret_?key|client_?secret|credential|credentials|auth|bearer|psk|app_?key)$/i;
const SECRET_REF = /^(env:[A-Za-z_][A-Za-z0-9_]*|file:\/\S.*)$/;
const SECRET_VALUES: Array<[RegExp, string]> = [
  [/PVEAPIToken\s*=/i, 'a Proxmox API token'],
  [/^[\w.-]+@[\w.-]+![\w.-]+=[0-9a-f]{8}-[0-9a-f]{4}-/i, 'a Proxmox API token'],
  [/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/, 'a private key'],
  [/^[a-z][a-z0-9+.-]*:\/\/[^/@\s:]+:[^/@\s]+@/i, 'a password in a URL'],
  [/^Bearer\s+\S{8,}/i, 'a bearer token'],
  [/^eyJ[\w-]{5,}\.eyJ[\w-]{5,}\.[\w-]+$/, 'a JSON Web Token'],
  [/\bAKIA[0-9A-Z]{16}\b/, 'an AWS access key'],
  [/\b(gh[pousr]_[A-Za-z0-9]{30,}|xox[abposr]-[A-Za-z0-9-]{10,}|glpat-[A-Za-z0-9_-]{20,})\b/, 'an access token'],
];

/** Bits per character: random tokens score high, words and host names low. */
function entropy(s: string): number {
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) h -= (n / s.length) * Math.log2(n / s.length);
  return h;
}

function looksLikeSecretValue(value: string): string | undefined {
  for (const [re, what] of SECRET_VALUES) if (re.test(value)) return what;
  // Paths and URLs are long and varied too: they are not tokens.
  const pathOrUrl = /^([a-z][a-z0-9+.-]*:\/\/|\.{0,2}\/|~\/)/i.test(value) || /^[\w.-]+(\/[\w.@+-]+){2,}$/.test(value);
  if (value.length >= 40 && !/\s/.test(value) && !pathOrUrl && entropy(value) >= 4.5) {
    return 'a long random string (a key or token?)';
  }
  return undefined;
}

export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const seg of path) out += typeof seg === 'number' ? `[${seg}]` : out === '' ? String(seg) : `.${String(seg)}`;
  return out || '(root)';
}

export interface InlineSecret {
  path: Array<string | number>;
  message: string;
}

/** Walks any value (validated or not) and lists every inlined secret, by path. */
export function findInlineSecrets(value: unknown, path: Array<string | number> = []): InlineSecret[] {
  const found: InlineSecret[] = [];
  const refHint = 'expected a reference like { secret: "env:NAME" } or { secret: "file:/path" }';
  const walk = (v: unknown, p: Array<string | number>, secretKey: boolean) => {
    if (Array.isArray(v)) {
      v.forEach((item, i) => walk(item, [...p, i], secretKey));
      return;
    }
    if (v !== null && typeof v === 'object') {
      const entries = Object.entries(v as Record<string, unknown>);
      // A reference: { secret: "env:NAME" } is fine; { secret: "hunter2" } is an inlined secret.
      if (entries.length === 1 && entries[0]![0] === 'secret') {
        const ref = entries[0]![1];
        if (typeof ref === 'string' && !SECRET_REF.test(ref)) {
          found.push({
            path: [...p, 'secret'],
            message: `Unexpected inline secret in "${formatPath([...p, 'secret'])}", expected "env:NAME" or "file:/path" (the reference, not the value)`,
          });
        }
        return;
      }
      for (const [k, child] of entries) walk(child, [...p, k], SECRET_KEY.test(k));
      return;
    }
    // An OpenSSH public key is public, whatever its field is called.
    const publicKey =
      typeof v === 'string' &&
      /^(ssh-[a-z0-9-]+|ecdsa-sha2-[a-z0-9-]+|sk-[a-z0-9@.-]+) AAAA[0-9A-Za-z+/=]+( .*)?$/.test(v);
    if (secretKey && !publicKey && (typeof v === 'number' || (typeof v === 'string' && v !== ''))) {
      found.push({ path: p, message: `Unexpected inline secret in "${formatPath(p)}", ${refHint}` });
      return;
    }
    if (typeof v === 'string') {
      const what = looksLikeSecretValue(v);
      if (what)
        found.push({
          path: p,
          message: `Unexpected inline secret in "${formatPath(p)}" (looks like ${what}), ${refHint}`,
        });
    }
  };
  walk(value, path, false);
  return found;
}

// ---------------------------------------------------------------------------------------
// Issues with rule ids, the same shape as the runbook lint (`runbook/<rule-id>`).

export type SpecRule =
  | 'spec/schema'
  | 'spec/unknown-field'
  | 'spec/unknown-action'
  | 'spec/inline-secret'
  | 'spec/duplicate-action-id'
  | 'spec/unknown-dependency'
  | 'spec/dependency-cycle'
  | 'spec/bad-condition'
  | 'spec/yaml';

export interface SpecIssue {
  rule: SpecRule;
  path: Array<string | number>;
  message: string;
  /** For duplicates: where the first occurrence is. */
  related?: Array<string | number>;
}

type ZodIssueLike = z.core.$ZodIssue;

function flattenIssue(issue: ZodIssueLike, base: Array<string | number>, out: SpecIssue[]): void {
  const path = [...base, ...(issue.path as Array<string | number>)];
  const params = (issue as { params?: { rule?: SpecRule; related?: Array<string | number> } }).params;
  if (issue.code === 'custom' && params?.rule) {
    out.push({
      rule: params.rule,
      path,
      message: issue.message,
      ...(params.related ? { related: params.related } : {}),
    });
    return;
  }
  if (issue.code === 'unrecognized_keys') {
    const where = path.length ? formatPath(path) : 'the spec';
    for (const key of issue.keys)
      out.push({
        rule: 'spec/unknown-field',
        path: [...path, key],
        message: `Unexpected field "${key}" in ${where}, expected only the fields of the schema${unknownKeyHint(issue, key)}`,
      });
    return;
  }
  if (issue.code === 'invalid_union') {
    const u = issue as z.core.$ZodIssueInvalidUnion & { note?: string; discriminator?: string; options?: unknown[] };
    if (u.note === 'No matching discriminator' && u.discriminator === 'type') {
      out.push({ rule: 'spec/unknown-action', path, message: '' });
      return;
    }
    // A union of check kinds: report the branch that came closest, unless it is a tie.
    const branches = u.errors ?? [];
    if (branches.length > 0) {
      const sizes = branches.map((b) => b.length);
      const min = Math.min(...sizes);
      if (sizes.filter((s) => s === min).length === 1) {
        for (const sub of branches[sizes.indexOf(min)]!) flattenIssue(sub, path, out);
        return;
      }
    }
  }
  if (issue.code === 'invalid_type' && / received undefined$/.test(issue.message) && path.length > 0) {
    out.push({
      rule: 'spec/schema',
      path,
      message: `Missing field "${String(path[path.length - 1])}", expected ${issue.expected === 'object' ? 'an object' : `a ${issue.expected}`}`,
    });
    return;
  }
  out.push({ rule: 'spec/schema', path, message: issue.message });
}

/** zod issues → rule-tagged issues; `raw` lets messages name what was found. */
export function specIssuesFromZod(error: z.ZodError, raw?: unknown): SpecIssue[] {
  const out: SpecIssue[] = [];
  for (const issue of error.issues) flattenIssue(issue, [], out);
  for (const issue of out) {
    const last = issue.path[issue.path.length - 1];
    if (
      issue.rule === 'spec/unknown-field' &&
      (last === 'retries' || last === 'retry_delay_s') &&
      issue.path.length === 3
    ) {
      const type = valueAt(raw, [...issue.path.slice(0, -1), 'type']);
      if (typeof type === 'string' && actionDefinition(type)?.idempotent === false) {
        issue.message = `Unexpected field "${last}" in ${formatPath(issue.path.slice(0, -1))}, expected no retries: ${type} is not idempotent, so it is never retried`;
      }
    }
    if (issue.rule !== 'spec/unknown-action') continue;
    const found = valueAt(raw, issue.path);
    issue.message =
      found === undefined
        ? `Missing action type, expected one of ${ACTION_TYPES.join(', ')}`
        : `Unexpected action type ${JSON.stringify(found)}, expected one of ${ACTION_TYPES.join(', ')}`;
  }
  return out;
}

function valueAt(value: unknown, path: ReadonlyArray<string | number>): unknown {
  let v = value;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[seg];
  }
  return v;
}

export type SpecValidation = { ok: true; spec: ExecutionSpec } | { ok: false; issues: SpecIssue[] };

/** Validate a parsed YAML/JSON value as an execution spec v1. */
export function validateExecutionSpec(raw: unknown): SpecValidation {
  const result = safeParseNotingKeys(executionSpecSchema, raw);
  if (result.success) return { ok: true, spec: result.data };
  const issues = specIssuesFromZod(result.error, raw);
  // The schema's own check sees only the fields it knows; a secret under an unknown field is
  // still a secret in a committed file: scan the raw input too.
  const seen = new Set(issues.filter((i) => i.rule === 'spec/inline-secret').map((i) => formatPath(i.path)));
  for (const found of findInlineSecrets(raw)) {
    if (!seen.has(formatPath(found.path)))
      issues.push({ rule: 'spec/inline-secret', path: found.path, message: found.message });
    seen.add(formatPath(found.path));
  }
  // "expected object, received string" at an inlined secret says less than the secret rule.
  return { ok: false, issues: issues.filter((i) => i.rule !== 'spec/schema' || !seen.has(formatPath(i.path))) };
}

/** The JSON Schema (draft 2020-12) of the input, for editors (`fleetbook spec schema`). */
export function executionSpecJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(executionSpecSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}
