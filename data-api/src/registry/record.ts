import type { Transaction } from 'kysely';
import { recordAudit } from '../kernel/audit/service.ts';
import type { Principal } from '../kernel/auth/roles.ts';
import { emitChange } from '../kernel/changes/service.ts';
import type { Database } from '../kernel/db/index.ts';

export interface RegistryWrite {
  /** The audit entry's action, e.g. `create`, `update`, `state:installing`. */
  action: string;
  /** The change event's type, e.g. `device.created`. */
  type: string;
  /** The record written: the audit entry's entity and id, the change event's subject. */
  subject: { type: string; id: string };
  customerId: string | null;
  siteId?: string | null;
  /** The record before the write (audit only). */
  before?: unknown;
  /** The record after the write: the audit entry's `after` and the change event's payload. */
  after?: Record<string, unknown>;
}

/**
 * What one registry write leaves behind, in its own transaction: the audit entry and the
 * change event, of the same record, customer and (for the event) site.
 */
export async function recordWrite(
  trx: Transaction<Database>,
  who: Principal | string,
  w: RegistryWrite,
): Promise<void> {
  await recordAudit(trx, who, {
    action: w.action,
    entity: w.subject.type,
    entityId: w.subject.id,
    customerId: w.customerId,
    before: w.before,
    after: w.after,
  });
  await emitChange(trx, {
    type: w.type,
    subject: w.subject,
    customerId: w.customerId,
    siteId: w.siteId,
    payload: w.after,
  });
}
