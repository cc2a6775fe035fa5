import type { z } from 'zod';
import { errorSchema } from '../contracts/errors.ts';
import { etagOf, ifMatchAllows } from '../contracts/preconditions.ts';
import type { Principal } from '../kernel/auth/roles.ts';
import { assertInScope } from '../kernel/auth/tenancy.ts';
import { ApiError, notFound } from '../kernel/errors/index.ts';

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

/** What a conditional write checks on the row it locked: which record, and the caller's If-Match. */
export interface LockedRowCheck<R> {
  /** The record's kind and id, as the 404 and the 412 name them ('site', 'inventory item'). */
  kind: string;
  id: string;
  /** The row as the API answers it: its ETag, and the 412's current. */
  record: (row: R) => { updated_at: string } & Record<string, unknown>;
  condition: WriteCondition | undefined;
  write: keyof typeof NOT_DONE;
}

/**
 * The row a conditional PATCH, PUT or DELETE may write, checked in the one order every such write
 * keeps: 404 when it is gone; 404 when `who` (given for a row whose tenant is its customer_id) may
 * not see it, never a 412 that would say it exists; then 412, with the record as it is now, when
 * it is no longer the version If-Match names (a delete then deletes nothing, cascade or not).
 * Given the row the write's transaction locked (`forUpdate`), so the check and the write see the
 * same version. Without `who` the caller checked the tenant before its transaction.
 */
export function checkLocked<R>(row: R | undefined, check: LockedRowCheck<R>): R;
export function checkLocked<R extends { customer_id: string | null }>(
  row: R | undefined,
  check: LockedRowCheck<R>,
  who: Principal,
): R;
export function checkLocked<R extends { customer_id?: string | null }>(
  row: R | undefined,
  check: LockedRowCheck<R>,
  who?: Principal,
): R {
  const { kind, id, condition } = check;
  if (!row) throw notFound(kind, id);
  if (who) assertInScope(who, row.customer_id ?? null, kind, id);
  const ifMatch = condition?.ifMatch;
  if (ifMatch === undefined) return row;
  const current = check.record(row);
  if (ifMatchAllows(ifMatch, etagOf(current))) return row;
  throw new PreconditionFailedError(
    `${kind} ${id} was changed by someone else since you read it (If-Match ${ifMatch.trim()}, now ETag ${etagOf(current)}, updated at ${current.updated_at}): ${NOT_DONE[check.write]}`,
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
