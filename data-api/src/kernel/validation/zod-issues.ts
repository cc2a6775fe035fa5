// contracts.md: a bad request is a 400 with one issue per bad field. The one place where zod's
// issues of a request part (params, querystring, body, headers) become those issues: an unknown
// field (a strict object's unrecognized_keys) names the key and, like an unknown query parameter,
// the field it is likely a typo of, at any depth where the schema knows its keys.
import type { z } from 'zod';
import { safeParseNotingKeys, unknownKeyHint } from '../../contracts/unknown-keys.ts';
import { formatPath, type ValidationIssue } from '../errors/index.ts';

/** A request part parsed with its schema: the value, or the issues (paths under `where`). */
export function parseRequestPart(
  schema: z.ZodType,
  data: unknown,
  where: string,
): { value: unknown; issues?: undefined } | { value?: undefined; issues: ValidationIssue[] } {
  const result = safeParseNotingKeys(schema, data);
  if (result.success) return { value: result.data };
  return {
    issues: result.error.issues.flatMap((issue): ValidationIssue[] =>
      issue.code === 'unrecognized_keys'
        ? issue.keys.map((key) => ({
            path: formatPath([where, ...issue.path, key]),
            message: `unknown field "${key}"${unknownKeyHint(issue, key)}`,
          }))
        : [{ path: formatPath([where, ...issue.path]), message: issue.message }],
    ),
  };
}
