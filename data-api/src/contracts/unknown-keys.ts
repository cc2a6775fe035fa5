// An unknown key (a strict object's zod `unrecognized_keys` issue) and the key it is likely a typo
// of: the one step every validator shares, the API's request parts and the files alike (execution
// specs, notification rules, schedules, contact points, runbook and library frontmatter).
import type { z } from 'zod';
import { didYouMean } from './edit-distance.ts';

// zod hands its error map the schema that raised each issue, gone from the issue it returns; the
// issue keeps the same `keys` array, so that array is what the object's own keys are noted under.
const knownKeys = new WeakMap<readonly string[], string[]>();

/** The keys a schema that refused unknown keys takes: an object's shape, a record's enumerated keys. */
function keysOf(schema: unknown): string[] {
  const def = (schema as { _zod?: { def?: { shape?: object; keyType?: { _zod?: { values?: Set<unknown> } } } } })?._zod
    ?.def;
  if (def?.shape) return Object.keys(def.shape);
  const values = def?.keyType?._zod?.values;
  return values ? [...values].filter((v): v is string => typeof v === 'string') : [];
}

/** `schema.safeParse(data)`, noting for each unknown-key issue (at any depth) the keys its object takes. */
export function safeParseNotingKeys<S extends z.ZodType>(schema: S, data: unknown): z.ZodSafeParseResult<z.output<S>> {
  return schema.safeParse(data, {
    error: (issue) => {
      if (issue.code === 'unrecognized_keys') knownKeys.set(issue.keys, keysOf(issue.inst));
      return undefined; // zod's own message
    },
  });
}

type UnknownKeysIssue = Pick<z.core.$ZodIssueUnrecognizedKeys, 'keys'>;

/** The keys the object of an unknown-key issue from `safeParseNotingKeys` takes ([] if not noted). */
export function knownKeysOf(issue: UnknownKeysIssue): readonly string[] {
  return knownKeys.get(issue.keys) ?? [];
}

/** ` (did you mean "x"?)` for an unknown `key` of an issue from `safeParseNotingKeys`, or ''. */
export function unknownKeyHint(issue: UnknownKeysIssue, key: string): string {
  return didYouMean(key, knownKeysOf(issue));
}
