import type { z } from 'zod';
import { errorSchema } from '../contracts/errors.ts';
import { etagOf, ifMatchAllows } from '../contracts/preconditions.ts';
import { ApiError } from '../kernel/errors/index.ts';

/** 412: the record is not the version the caller's If-Match names; the body carries it as it is now. */
export class PreconditionFailedError extends ApiError {
  constructor(
    message: string,
    readonly current: unknown,
  ) {
    super('precondition_failed', message);
  }
  override toBody() {
    return { ...super.toBody(), current: this.current };
  }
}

/** A write's precondition: the If-Match header the caller sent, if any. */
export interface WriteCondition {
  ifMatch?: string;
}

/** The precondition of a request: its If-Match header (validated by `ifMatchHeaders`), if any. */
export const conditionOf = (request: { headers: unknown }): WriteCondition => ({
  ifMatch: (request.headers as { 'if-match'?: string })['if-match'],
});

/** What the refused write would have done: the 412's message says it was not done. */
const NOT_DONE = {
  change: 'nothing was changed; read it again and re-apply your change',
  delete: 'nothing was deleted; read it again and delete it if it should still go',
} as const;

/**
 * Refuses a conditional write (412, with the record as it is now) when the record is no longer
 * the version the caller saw: the one rule of every conditional PATCH, PUT and DELETE (a delete
 * also deletes nothing, cascade or not).
 * Called inside the write's transaction, on the row it has locked (`forUpdate`), after the tenant
 * check (a record outside the caller's tenant stays a 404, never a 412 that says it exists).
 */
export function assertUnchanged(
  kind: string,
  id: string,
  current: { updated_at: string } & Record<string, unknown>,
  condition: WriteCondition | undefined,
  write: keyof typeof NOT_DONE = 'change',
): void {
  const ifMatch = condition?.ifMatch;
  if (ifMatch === undefined || ifMatchAllows(ifMatch, etagOf(current))) return;
  throw new PreconditionFailedError(
    `${kind} ${id} was changed by someone else since you read it (If-Match ${ifMatch.trim()}, now ETag ${etagOf(current)}, updated at ${current.updated_at}): ${NOT_DONE[write]}`,
    current,
  );
}

/** The 412 answer of a conditional write on records of `item`: the error and the record as it is now. */
export const preconditionFailedSchema = <I extends z.ZodType>(item: I) =>
  errorSchema.extend({ current: item.optional() });

/** Answers `record` (a registry record: it has an updated_at) with its ETag, to be sent back as If-Match. */
export function withEtag<T>(reply: { header(name: string, value: string): unknown }, record: T): T {
  reply.header('etag', etagOf(record as { updated_at: string }));
  return record;
}
