import type { Kysely, Transaction } from 'kysely';
import type { Principal } from '../auth/roles.ts';
import { json, type Database } from '../db/index.ts';

export interface AuditInput {
  action: string;
  entity: string;
  entityId: string;
  customerId: string | null;
  before?: unknown;
  after?: unknown;
}

const toRow = (who: Principal | string, entry: AuditInput) => ({
  actor: typeof who === 'string' ? who : who.name,
  action: entry.action,
  entity: entry.entity,
  entity_id: entry.entityId,
  customer_id: entry.customerId,
  before: entry.before === undefined ? null : json(entry.before),
  after: entry.after === undefined ? null : json(entry.after),
});

/** Every write through the API leaves one audit entry, in the write's own transaction. */
export async function recordAudit(
  trx: Transaction<Database> | Kysely<Database>,
  who: Principal | string,
  entry: AuditInput,
): Promise<void> {
  await trx.insertInto('audit_log').values(toRow(who, entry)).execute();
}

/** One entry per record a single request changed (e.g. a cascading delete), in bulk. */
export async function recordAuditMany(
  trx: Transaction<Database> | Kysely<Database>,
  who: Principal | string,
  entries: AuditInput[],
): Promise<void> {
  for (let i = 0; i < entries.length; i += 500) {
    await trx
      .insertInto('audit_log')
      .values(entries.slice(i, i + 500).map((e) => toRow(who, e)))
      .execute();
  }
}
