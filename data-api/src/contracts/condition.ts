// `when:` conditions (JSONLogic, evaluated with json-logic-js) of execution-spec actions and
// runbook checklist items. Shared by the runner, `fleetbook spec validate`, the remark plugin
// and the browser: no server-only imports. A condition is checked statically (known
// operators only, one operator per object, `var` paths under the known roots) so a typo
// fails the lint with its position instead of quietly evaluating to null at run time
// (checkLogic in jsonlogic.ts, shared with alert rules; this file adds version_satisfies).
import jsonLogic from 'json-logic-js';
import semver from 'semver';
// `import * as z`: Docusaurus loads this file through jiti (see contracts/runbook.ts).
import * as z from 'zod';
import {
  checkLogic,
  describeValue,
  JSONLOGIC_OPERATIONS,
  type JsonLogicOperation,
  type LogicProblem,
  type LogicScope,
  type LogicWords,
} from './jsonlogic.ts';
import { deploymentSchema, siteSchema } from './registry.ts';

/**
 * Extra operator: `{"version_satisfies": [{"var": "product.version"}, ">=1.5"]}`. JSONLogic's
 * own `>=` compares strings ("1.10" < "1.5"); versions need semver.
 */
export const VERSION_SATISFIES = 'version_satisfies';

function versionSatisfies(version: unknown, range: unknown): boolean {
  if (typeof version !== 'string' || typeof range !== 'string') return false;
  const v = semver.coerce(version, { includePrerelease: true });
  return v !== null && semver.validRange(range) !== null && semver.satisfies(v, range, { includePrerelease: true });
}

let registered = false;
function ensureOperators(): void {
  if (registered) return;
  jsonLogic.add_operation(VERSION_SATISFIES, versionSatisfies);
  registered = true;
}

/** Operators a condition may use: json-logic-js's own (but `log`, a side effect) and ours. */
export const CONDITION_OPERATORS = [
  ...JSONLOGIC_OPERATIONS.filter((op): op is Exclude<JsonLogicOperation, 'log'> => op !== 'log'),
  VERSION_SATISFIES,
] as const;

export type ConditionIssue = LogicProblem;

/** What a condition may read: its roots, and for some the fields and outputs (see LogicScope). */
export type ConditionScope = Pick<LogicScope, 'roots' | 'outputs' | 'outputsHint' | 'fields'>;

const CONDITION_WORDS: LogicWords = {
  object: (keys) =>
    keys.length === 0
      ? 'Unexpected empty object, expected one operator like {"==": [a, b]}'
      : `Unexpected object with ${keys.length} keys (${keys.join(', ')}), expected one operator per object`,
  operation: (op, hint) => `Unexpected operator "${op}", expected a JSONLogic operator${hint}`,
  root: (name, roots, hint) => `Unexpected "var" path "${name}", expected one under ${roots.join(', ')}${hint}`,
  name: (value, roots) =>
    `Unexpected "var" path ${value}, expected a dotted name like "site.region" under ${roots.join(', ')}`,
};

/** `version_satisfies` takes [version, range], the range valid semver when it is written out. */
function checkVersionSatisfies(op: string, args: unknown, path: Array<string | number>): LogicProblem[] {
  if (op !== VERSION_SATISFIES) return [];
  if (!Array.isArray(args) || args.length !== 2) {
    return [
      {
        path,
        message: `Unexpected arguments to "${VERSION_SATISFIES}", expected [version, range] like [{"var": "product.version"}, ">=1.5"]`,
      },
    ];
  }
  if (typeof args[1] === 'string' && semver.validRange(args[1]) === null) {
    return [
      {
        path: [...path, 1],
        message: `Unexpected semver range ${JSON.stringify(args[1])}, expected a range like ">=1.5" or "^2.0"`,
      },
    ];
  }
  return [];
}

/** Static check of a condition; every problem with its path inside the condition. */
export function checkCondition(logic: unknown, scope: ConditionScope): ConditionIssue[] {
  if (logic === null || Array.isArray(logic) || (typeof logic !== 'object' && typeof logic !== 'boolean')) {
    return [
      {
        path: [],
        message: `Unexpected condition ${describeValue(logic)}, expected a JSONLogic object like {"==": [{"var": "site.region"}, "AS923_1"]} or true/false`,
      },
    ];
  }
  return checkLogic(logic, {
    ...scope,
    operations: CONDITION_OPERATORS,
    checkArgs: checkVersionSatisfies,
    words: CONDITION_WORDS,
  });
}

/** JSONLogic's truthiness: [] is false, "0" is true. */
export function isTruthy(value: unknown): boolean {
  return jsonLogic.truthy(value);
}

/** Evaluates a condition over `data`; `value` is what it returned (recorded when a step is skipped). */
export function evaluateCondition(logic: unknown, data: unknown): { value: unknown; passed: boolean } {
  ensureOperators();
  const value = jsonLogic.apply(logic as jsonLogic.RulesLogic, data) as unknown;
  return { value: value === undefined ? null : value, passed: jsonLogic.truthy(value) };
}

/** The JSON value a `when:` holds (any JSON; the checks above run where the scope is known). */
// z.unknown(), not z.json(): the OpenAPI generator cannot draw z.json()'s recursive union.
export const conditionSchema = z
  .unknown()
  .describe(
    'JSONLogic condition (json-logic-js); false skips the step. Extra operator: version_satisfies [version, range]',
  )
  .meta({ id: 'Condition' });

/** The fields a condition can read under each fixed root (registry rows, product facts, spec facts). */
export const CONDITION_FIELDS = {
  deployment: Object.keys(deploymentSchema.shape),
  site: Object.keys(siteSchema.shape),
  product: ['code', 'name', 'category', 'version', 'firmware_baseline'],
  spec: ['project', 'deployment_id', 'product_code', 'product_version', 'targets'],
} as const satisfies Record<string, readonly string[]>;

/** Roots a checklist item's `when` may read: the execution's deployment, its site and product. */
export const CHECKLIST_CONDITION_ROOTS = ['deployment', 'site', 'product'] as const;
/** Roots an action's `when` may read; `outputs.<id>` only for actions it depends on. */
export const ACTION_CONDITION_ROOTS = ['deployment', 'site', 'product', 'outputs', 'spec'] as const;

/** What a condition sees: built by the runner (from the API) and by the runbook page. */
export interface ConditionData {
  deployment: Record<string, unknown>;
  site: Record<string, unknown>;
  product: Record<string, unknown>;
  outputs?: Record<string, Record<string, unknown>>;
  spec?: Record<string, unknown>;
}

/** One line for the run page and the timeline: `{"==": [...]} → false`. */
export function conditionText(logic: unknown, max = 200): string {
  const s = JSON.stringify(logic) ?? 'null';
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

interface ProductLike {
  code?: unknown;
  name?: unknown;
  category?: unknown;
  versions?: ReadonlyArray<{ version?: unknown; firmware_baseline?: unknown }>;
}

/**
 * The data a condition reads, built the same way by the runner and the runbook page:
 * `deployment` and `site` are the registry rows, `product` the catalog entry with `version`
 * (the deployment's) and that version's `firmware_baseline`.
 */
export function buildConditionData(parts: {
  deployment?: Record<string, unknown> | null;
  site?: Record<string, unknown> | null;
  product?: ProductLike | null;
  /** Used when the deployment is not known (a run without an API). */
  fallback?: { deployment_id?: string; product_code?: string; product_version?: string };
}): ConditionData {
  const fb = parts.fallback ?? {};
  const deployment: Record<string, unknown> = parts.deployment
    ? { ...parts.deployment }
    : {
        id: fb.deployment_id ?? null,
        product_code: fb.product_code ?? null,
        product_version: fb.product_version ?? null,
      };
  const version =
    (typeof deployment.product_version === 'string' ? deployment.product_version : fb.product_version) ?? null;
  const p = parts.product;
  const entry = p?.versions?.find((v) => v.version === version);
  const product: Record<string, unknown> = {
    code: (p?.code as string | undefined) ?? deployment.product_code ?? fb.product_code ?? null,
    name: p?.name ?? null,
    category: p?.category ?? null,
    version,
    firmware_baseline: entry?.firmware_baseline ?? null,
  };
  return { deployment, site: parts.site ? { ...parts.site } : {}, product };
}
