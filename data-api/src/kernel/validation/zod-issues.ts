// contracts.md: a bad request is a 400 with one issue per bad field. The one place where zod's
// issues of a request part (params, querystring, body, headers) become those issues: an unknown
// field (a strict object's unrecognized_keys) names the key and, like an unknown query parameter,
// the field it is likely a typo of, at any depth where the schema knows its keys.
import type { z } from 'zod';
import { didYouMean } from '../../contracts/edit-distance.ts';
import { formatPath, type ValidationIssue } from '../errors/index.ts';

/** The keys a schema that refused unknown keys takes: an object's shape, a record's enumerated keys. */
function keysOf(schema: unknown): string[] {
  const def = (schema as { _zod?: { def?: { shape?: object; keyType?: { _zod?: { values?: Set<unknown> } } } } })?._zod
    ?.def;
  if (def?.shape) return Object.keys(def.shape);
  const values = def?.keyType?._zod?.values;
  return values ? [...values].filter((v): v is string => typeof v === 'string') : [];
}

const pathKey = (path: ReadonlyArray<PropertyKey>) => JSON.stringify(path.map(String));

/** A request part parsed with its schema: the value, or the issues (paths under `where`). */
export function parseRequestPart(
  schema: z.ZodType,
  data: unknown,
  where: string,
): { value: unknown; issues?: undefined } | { value?: undefined; issues: ValidationIssue[] } {
  // zod hands its error map the schema that raised each issue (gone from the issue it returns):
  // note the keys an object takes at the path of its unknown ones, for the hint.
  const known = new Map<string, string[]>();
  const result = schema.safeParse(data, {
    error: (issue) => {
      if (issue.code === 'unrecognized_keys') known.set(pathKey(issue.path ?? []), keysOf(issue.inst));
      return undefined; // zod's own message
    },
  });
  if (result.success) return { value: result.data };
  return {
    issues: result.error.issues.flatMap((issue): ValidationIssue[] =>
      issue.code === 'unrecognized_keys'
        ? issue.keys.map((key) => ({
            path: formatPath([where, ...issue.path, key]),
            message: `unknown field "${key}"${didYouMean(key, known.get(pathKey(issue.path)) ?? [])}`,
          }))
        : [{ path: formatPath([where, ...issue.path]), message: issue.message }],
    ),
  };
}
