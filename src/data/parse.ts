import type * as z from 'zod';

/** An answer of the API that does not match its contract: the page says what, instead of guessing. */
export class ContractMismatchError extends Error {
  constructor(
    readonly path: string,
    readonly issues: readonly z.core.$ZodIssue[],
  ) {
    const first = issues[0];
    const where = first && first.path.length ? first.path.join('.') : '(the body)';
    super(`the API's answer to ${path} does not match its contract: ${where}: ${first?.message ?? 'invalid'}`);
    this.name = 'ContractMismatchError';
  }
}

/** Parses an API answer with the contract's own schema (data-api/src/contracts). */
export function parseAnswer<S extends z.ZodType>(schema: S, path: string, body: unknown): z.output<S> {
  const res = schema.safeParse(body);
  if (!res.success) throw new ContractMismatchError(path, res.error.issues);
  return res.data;
}
