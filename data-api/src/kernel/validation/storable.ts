// What PostgreSQL cannot store, found before a request reaches a query: a NUL byte (text and
// jsonb refuse U+0000), a lone UTF-16 surrogate (jsonb refuses the escape JSON.stringify
// writes for it) and nesting deep enough to exhaust a parser's stack. One walk, shared by
// every request part (validation/compiler.ts) and by decoded cursors.

import type { ValidationIssue } from '../errors/index.ts';
import { formatPath } from '../errors/index.ts';

/** Objects and arrays nested deeper than this are refused (no contract comes close). */
export const MAX_NESTING = 64;

/** Why a string cannot be stored, or null when it can. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function unstorableText(text: string): string | null {
  if (text.includes('\u0000')) return 'contains a NUL byte (\\u0000), which cannot be stored: remove it';
  if (LONE_SURROGATE.test(text)) return 'is not valid Unicode (a lone surrogate): send well-formed UTF-8 text';
  return null;
}

/**
 * Every string (and object key) in `value` that cannot be stored, each with its path under
 * `root` (`body.name`, `querystring.q`, `params.id`); at most `limit` issues. Iterative: a
 * hostile body nested a million levels deep is reported, not a stack overflow.
 */
export function findUnstorable(value: unknown, root: PropertyKey[] = [], limit = 20): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const stack: Array<{ value: unknown; path: PropertyKey[] }> = [{ value, path: root }];
  while (stack.length > 0 && issues.length < limit) {
    const { value: v, path } = stack.pop()!;
    if (typeof v === 'string') {
      const why = unstorableText(v);
      if (why) issues.push({ path: formatPath(path), message: why });
      continue;
    }
    if (v === null || typeof v !== 'object' || Buffer.isBuffer(v)) continue;
    if (path.length - root.length >= MAX_NESTING) {
      issues.push({ path: formatPath(path), message: `nested deeper than ${MAX_NESTING} levels` });
      continue;
    }
    const entries: Array<[PropertyKey, unknown]> = Array.isArray(v) ? v.map((x, i) => [i, x]) : Object.entries(v);
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, child] = entries[i]!;
      if (typeof key === 'string') {
        const why = unstorableText(key);
        if (why) {
          issues.push({ path: formatPath([...path, key]), message: `the field name ${why}` });
          continue;
        }
      }
      stack.push({ value: child, path: [...path, key] });
    }
  }
  return issues;
}
