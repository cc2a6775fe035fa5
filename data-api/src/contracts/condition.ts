// `when:` conditions (JSONLogic, evaluated with json-logic-js) of execution-spec actions and
// runbook checklist items. Shared by the runner, `fleetbook spec validate`, the remark plugin
// and the browser: no server-only imports. A condition is checked statically (known
// operators only, one operator per object, `var` paths under the known roots) so a typo
// fails the lint with its position instead of quietly evaluating to null at run time.
import jsonLogic from 'json-logic-js';
import semver from 'semver';
// `import * as z`: Docusaurus loads this file through jiti (see contracts/runbook.ts).
import * as z from 'zod';
import { JSONLOGIC_OPERATIONS, type JsonLogicOperation } from './jsonlogic.ts';
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
const OPERATORS = new Set<string>(CONDITION_OPERATORS);
/** Operators whose later arguments are evaluated per element (their `var` paths are relative). */
const SCOPED = new Set(['map', 'reduce', 'filter', 'all', 'none', 'some']);

export interface ConditionIssue {
  /** Path inside the condition (`[]`: the condition itself). */
  path: Array<string | number>;
  message: string;
}

export interface ConditionScope {
  /** Top-level names a `var` may start with, e.g. deployment, site, product, outputs. */
  roots: readonly string[];
  /** For `outputs.<id>`: the ids whose outputs exist when the condition is evaluated. */
  outputs?: ReadonlySet<string>;
  /** Why an output is unavailable (e.g. "add it to depends_on"), appended to the message. */
  outputsHint?: string;
  /** Known fields per root (a typo such as `site.regon` is reported); roots not listed take any field. */
  fields?: Readonly<Record<string, readonly string[]>>;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : JSON.stringify(v);
}

function closest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestD = Math.min(2, Math.floor(word.length / 3)) + 1;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) [best, bestD] = [c, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

/** Static check of a condition; every problem with its path inside the condition. */
export function checkCondition(logic: unknown, scope: ConditionScope): ConditionIssue[] {
  const issues: ConditionIssue[] = [];
  const checkVar = (arg: unknown, p: Array<string | number>, scoped: boolean) => {
    const name = Array.isArray(arg) ? arg[0] : arg;
    const at = Array.isArray(arg) ? [...p, 0] : p;
    if (Array.isArray(arg) && arg.length > 2) {
      issues.push({
        path: p,
        message: `Unexpected ${arg.length} arguments to "var", expected a path and an optional default`,
      });
    }
    if (scoped || (typeof name === 'object' && name !== null)) {
      if (typeof name === 'object' && name !== null) walk(name, at, scoped);
      return;
    }
    if (typeof name !== 'string' || name === '') {
      issues.push({
        path: at,
        message: `Unexpected "var" path ${describe(name)}, expected a dotted name like "site.region" under ${scope.roots.join(', ')}`,
      });
      return;
    }
    const [root, second] = name.split('.');
    if (!scope.roots.includes(root!)) {
      const hint = closest(root!, scope.roots);
      issues.push({
        path: at,
        message: `Unexpected "var" path "${name}", expected one under ${scope.roots.join(', ')}${hint ? ` (did you mean "${hint}"?)` : ''}`,
      });
      return;
    }
    const known = scope.fields?.[root!];
    if (known && second !== undefined && !known.includes(second)) {
      const hint = closest(second, known);
      issues.push({
        path: at,
        message: `Unexpected "var" path "${name}": ${root} has no field "${second}"${hint ? ` (did you mean "${root}.${hint}"?)` : ''}, expected one of ${known.join(', ')}`,
      });
      return;
    }
    if (root === 'outputs' && scope.outputs) {
      if (!second) {
        issues.push({ path: at, message: 'Unexpected "var" path "outputs", expected "outputs.<action id>.<field>"' });
      } else if (!scope.outputs.has(second)) {
        issues.push({
          path: at,
          message: `Unexpected "var" path "${name}": the outputs of "${second}" are not there when this condition is evaluated${scope.outputsHint ? ` (${scope.outputsHint})` : ''}`,
        });
      }
    }
  };
  const walk = (node: unknown, p: Array<string | number>, scoped: boolean): void => {
    if (Array.isArray(node)) {
      node.forEach((n, i) => walk(n, [...p, i], scoped));
      return;
    }
    if (node === null || typeof node !== 'object') return;
    const keys = Object.keys(node);
    if (keys.length !== 1) {
      issues.push({
        path: p,
        message:
          keys.length === 0
            ? 'Unexpected empty object, expected one operator like {"==": [a, b]}'
            : `Unexpected object with ${keys.length} keys (${keys.join(', ')}), expected one operator per object`,
      });
      return;
    }
    const op = keys[0]!;
    const args = (node as Record<string, unknown>)[op];
    if (!OPERATORS.has(op)) {
      const hint = closest(op, OPERATORS);
      issues.push({
        path: [...p, op],
        message: `Unexpected operator "${op}", expected a JSONLogic operator${hint ? ` (did you mean "${hint}"?)` : ''}`,
      });
      return;
    }
    if (op === 'var') return checkVar(args, [...p, op], scoped);
    if (op === VERSION_SATISFIES) {
      if (!Array.isArray(args) || args.length !== 2) {
        issues.push({
          path: [...p, op],
          message: `Unexpected arguments to "${VERSION_SATISFIES}", expected [version, range] like [{"var": "product.version"}, ">=1.5"]`,
        });
        return;
      }
      if (typeof args[1] === 'string' && semver.validRange(args[1]) === null) {
        issues.push({
          path: [...p, op, 1],
          message: `Unexpected semver range ${JSON.stringify(args[1])}, expected a range like ">=1.5" or "^2.0"`,
        });
      }
    }
    if (SCOPED.has(op) && Array.isArray(args)) {
      // The first argument reads the data; the rest run per element, with `var` relative to it.
      walk(args[0], [...p, op, 0], scoped);
      args.slice(1).forEach((a, i) => walk(a, [...p, op, i + 1], true));
      return;
    }
    walk(args, Array.isArray(args) ? [...p, op] : [...p, op], scoped);
  };
  if (logic === null || Array.isArray(logic) || (typeof logic !== 'object' && typeof logic !== 'boolean')) {
    issues.push({
      path: [],
      message: `Unexpected condition ${describe(logic)}, expected a JSONLogic object like {"==": [{"var": "site.region"}, "AS923_1"]} or true/false`,
    });
    return issues;
  }
  walk(logic, [], false);
  return issues;
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
