// contracts.md: every query is validated. A parameter a route does not take is refused, never
// ignored: `?stauts=down` answering every device would make a script believe it had filtered.
// One rule for every route (the validator compiler applies it) and for the surfaces' own params.
import { z } from 'zod';
import { didYouMean } from './edit-distance.ts';

/** The querystring of a route that takes no parameters: any parameter is refused. */
export const noQuery = z.strictObject({});

/**
 * The parameters a querystring schema takes, or null when it is open-ended (a map such as a
 * surface's `site=…`, or an object with a catchall): those check their keys themselves.
 */
export function queryParamNames(schema: unknown): string[] | null {
  let s = schema;
  for (;;) {
    if (s instanceof z.ZodPipe) s = s.in;
    else if (s instanceof z.ZodOptional || s instanceof z.ZodDefault || s instanceof z.ZodReadonly) s = s.unwrap();
    else break;
  }
  if (!(s instanceof z.ZodObject)) return null;
  const catchall = s.def.catchall;
  if (catchall && !(catchall instanceof z.ZodNever)) return null;
  return Object.keys(s.shape);
}

/**
 * One issue per parameter of `query` not in `known`, at `querystring.<name>`: what it is, the
 * known one it is likely a typo of, and what is taken (`taker`: "this route", "this surface").
 */
export function unknownParamIssues(
  query: unknown,
  known: readonly string[],
  taker = 'this route',
): Array<{ path: string; message: string }> {
  if (!query || typeof query !== 'object') return [];
  const takes = known.length > 0 ? `takes ${known.join(', ')}` : 'takes no parameters';
  return Object.keys(query)
    .filter((name) => !known.includes(name))
    .map((name) => ({
      path: `querystring.${name}`,
      message: `unknown parameter "${name}"${didYouMean(name, known)}; ${taker} ${takes}`,
    }));
}
