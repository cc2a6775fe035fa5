// The JsonLogic operations json-logic-js implements, and the one static check of an expression:
// for rule `when:` expressions (contracts/notification-rules.ts) and action/checklist conditions
// (contracts/condition.ts). Each caller words its own messages. No server-only imports: the
// site build reads this file too.

import { didYouMean } from './edit-distance.ts';

/** The operations of JsonLogic (jsonlogic.com/operations.html) that json-logic-js implements. */
export const JSONLOGIC_OPERATIONS = [
  'var',
  'missing',
  'missing_some',
  'if',
  '?:',
  '==',
  '===',
  '!=',
  '!==',
  '!',
  '!!',
  'or',
  'and',
  '>',
  '>=',
  '<',
  '<=',
  'max',
  'min',
  '+',
  '-',
  '*',
  '/',
  '%',
  'map',
  'reduce',
  'filter',
  'all',
  'none',
  'some',
  'merge',
  'in',
  'cat',
  'substr',
  'log',
] as const;
export type JsonLogicOperation = (typeof JSONLOGIC_OPERATIONS)[number];

export interface LogicProblem {
  /** Where, inside the expression (after the caller's prefix). */
  path: Array<string | number>;
  message: string;
}

/** How a caller says the problems; `hint` is ` (did you mean "…"?)` or empty. */
export interface LogicWords {
  /** An object that is not one operation: no keys, or several. */
  object(keys: string[]): string;
  /** An operation the caller does not allow. */
  operation(op: string, hint: string): string;
  /** A `var` path whose first name is not one of `roots`. */
  root(name: string, roots: readonly string[], hint: string): string;
  /** A `var` path that is not a non-empty string (`value` described: null, an array, 3…). */
  name(value: string, roots: readonly string[]): string;
}

export interface LogicScope {
  /** Top-level names a `var` may start with, e.g. deployment, site, product, outputs. */
  roots: readonly string[];
  /** For `outputs.<id>`: the ids whose outputs exist when the expression is evaluated. */
  outputs?: ReadonlySet<string>;
  /** Why an output is unavailable (e.g. "add it to depends_on"), appended to the message. */
  outputsHint?: string;
  /** Known fields per root (a typo such as `site.regon` is reported); roots not listed take any field. */
  fields?: Readonly<Record<string, readonly string[]>>;
  /** The operations allowed (default: every one of JSONLOGIC_OPERATIONS). */
  operations?: readonly string[];
  /** The problems of an allowed operation's arguments (e.g. an extra operation's), if any. */
  checkArgs?(op: string, args: unknown, path: Array<string | number>): LogicProblem[];
  words: LogicWords;
}

/** Operations whose later arguments are evaluated per element (their `var` paths are relative). */
const SCOPED = new Set(['map', 'reduce', 'filter', 'all', 'none', 'some']);

/** A value as a message names it: null, an array, an object, or its JSON. */
export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : JSON.stringify(v);
}

/**
 * The problems of a JsonLogic expression that can be seen without running it: objects that are
 * not one operation, operations not allowed, and `var` paths outside the scope; each at its
 * path, `at` first (where the expression stands in its file).
 */
export function checkLogic(logic: unknown, scope: LogicScope, at: Array<string | number> = []): LogicProblem[] {
  const { roots, words } = scope;
  const operations = new Set<string>(scope.operations ?? JSONLOGIC_OPERATIONS);
  const problems: LogicProblem[] = [];
  const checkVar = (arg: unknown, p: Array<string | number>, scoped: boolean) => {
    const name = Array.isArray(arg) ? arg[0] : arg;
    const where = Array.isArray(arg) ? [...p, 0] : p;
    if (Array.isArray(arg) && arg.length > 2) {
      problems.push({
        path: p,
        message: `Unexpected ${arg.length} arguments to "var", expected a path and an optional default`,
      });
    }
    if (typeof name === 'object' && name !== null) return walk(name, where, scoped);
    // Inside map/filter/reduce… `var` names a field of the current element: not checked.
    if (scoped) return;
    if (typeof name !== 'string' || name === '') {
      problems.push({ path: where, message: words.name(describeValue(name), roots) });
      return;
    }
    const [root, second] = name.split('.') as [string, string | undefined];
    if (!roots.includes(root)) {
      problems.push({ path: where, message: words.root(name, roots, didYouMean(root, roots)) });
      return;
    }
    const known = scope.fields?.[root];
    if (known && second !== undefined && !known.includes(second)) {
      const hint = didYouMean(second, known, (f) => `${root}.${f}`);
      problems.push({
        path: where,
        message: `Unexpected "var" path "${name}": ${root} has no field "${second}"${hint}, expected one of ${known.join(', ')}`,
      });
      return;
    }
    if (root === 'outputs' && scope.outputs) {
      if (!second) {
        problems.push({
          path: where,
          message: 'Unexpected "var" path "outputs", expected "outputs.<action id>.<field>"',
        });
      } else if (!scope.outputs.has(second)) {
        problems.push({
          path: where,
          message: `Unexpected "var" path "${name}": the outputs of "${second}" are not there when this condition is evaluated${scope.outputsHint ? ` (${scope.outputsHint})` : ''}`,
        });
      }
    }
  };
  const walk = (node: unknown, p: Array<string | number>, scoped: boolean): void => {
    if (Array.isArray(node)) return node.forEach((n, i) => walk(n, [...p, i], scoped));
    if (node === null || typeof node !== 'object') return;
    const keys = Object.keys(node);
    if (keys.length !== 1) {
      problems.push({ path: p, message: words.object(keys) });
      return;
    }
    const op = keys[0]!;
    const args = (node as Record<string, unknown>)[op];
    if (!operations.has(op)) {
      problems.push({ path: [...p, op], message: words.operation(op, didYouMean(op, operations)) });
      return;
    }
    if (op === 'var') return checkVar(args, [...p, op], scoped);
    if (scope.checkArgs) problems.push(...scope.checkArgs(op, args, [...p, op]));
    if (SCOPED.has(op) && Array.isArray(args)) {
      // The first argument reads the data; the rest run per element, with `var` relative to it.
      walk(args[0], [...p, op, 0], scoped);
      args.slice(1).forEach((a, i) => walk(a, [...p, op, i + 1], true));
      return;
    }
    walk(args, [...p, op], scoped);
  };
  walk(logic, at, false);
  return problems;
}
