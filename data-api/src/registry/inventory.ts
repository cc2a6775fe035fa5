import type { Kysely, Transaction } from 'kysely';
import type { z } from 'zod';
import { recordAuditMany } from '../kernel/audit/service.ts';
import type { Principal } from '../kernel/auth/roles.ts';
import { emitChange } from '../kernel/changes/service.ts';
import { generateId } from '../contracts/ids.ts';
import type { InventoryItem, inventoryCreateSchema, inventoryUpdateSchema } from '../contracts/registry.ts';
import type { Database, InventoryItem as InventoryRow } from '../kernel/db/index.ts';
import { notFound, validationError } from '../kernel/errors/index.ts';
import { iso, likeContains, translateDbError } from '../kernel/db/values.ts';
import { scopeOf } from '../kernel/auth/tenancy.ts';
import { findDeployment } from './lookups.ts';
import { recordWrite } from './record.ts';
import { checkLocked, type WriteCondition } from './precondition.ts';
import { decodeCursor, toPage } from '../kernel/db/pagination.ts';

export const toInventoryItem = (r: InventoryRow): InventoryItem => ({
  id: r.id,
  sku: r.sku,
  serial: r.serial,
  state: r.state,
  deployment_id: r.deployment_id,
  created_at: iso(r.created_at)!,
  updated_at: iso(r.updated_at)!,
});

/** Inventory belongs to a customer only through the deployment it is allocated to. */
function inScope(db: Kysely<Database>, who: Principal) {
  const scope = scopeOf(who);
  let query = db.selectFrom('inventory_items').selectAll('inventory_items');
  if (scope) {
    query = query
      .innerJoin('deployments', 'deployments.id', 'inventory_items.deployment_id')
      .where('deployments.customer_id', '=', scope);
  }
  return query;
}

export async function listInventory(
  db: Kysely<Database>,
  who: Principal,
  q: {
    limit: number;
    cursor?: string;
    deployment_id?: string;
    state?: InventoryItem['state'];
    sku?: string;
    q?: string;
  },
) {
  const after = decodeCursor(q.cursor);
  let query = inScope(db, who)
    .orderBy('inventory_items.id')
    .limit(q.limit + 1);
  if (q.deployment_id) query = query.where('inventory_items.deployment_id', '=', q.deployment_id);
  if (q.state) query = query.where('inventory_items.state', '=', q.state);
  if (q.sku) query = query.where('inventory_items.sku', '=', q.sku);
  if (after) query = query.where('inventory_items.id', '>', after);
  if (q.q) {
    const like = likeContains(q.q);
    query = query.where((eb) =>
      eb.or([
        eb('inventory_items.id', 'ilike', like),
        eb('inventory_items.serial', 'ilike', like),
        eb('inventory_items.sku', 'ilike', like),
      ]),
    );
  }
  return toPage(await query.execute(), q.limit, toInventoryItem);
}

async function findItem(db: Kysely<Database>, who: Principal, id: string): Promise<InventoryRow> {
  const row = await inScope(db, who).where('inventory_items.id', '=', id).executeTakeFirst();
  if (!row) throw notFound('inventory item', id);
  return row;
}

export const getInventoryItem = async (db: Kysely<Database>, who: Principal, id: string) =>
  toInventoryItem(await findItem(db, who, id));

const customerOf = async (db: Kysely<Database>, who: Principal, deploymentId: string | null | undefined) =>
  deploymentId ? (await findDeployment(db, who, deploymentId)).customer_id : null;

/**
 * An item outside any deployment belongs to no tenant: a customer-scoped token can neither
 * create one nor release its own item into it (it would vanish from its view, like devices).
 */
function assertTenantKeepsItem(who: Principal, deploymentId: string | null | undefined): void {
  if (scopeOf(who) && !deploymentId) {
    throw validationError([
      {
        path: 'body.deployment_id',
        message: 'a customer-scoped token must allocate the item to one of its deployments',
      },
    ]);
  }
}

export async function createInventoryItem(
  db: Kysely<Database>,
  who: Principal,
  input: z.infer<typeof inventoryCreateSchema>,
): Promise<InventoryItem> {
  assertTenantKeepsItem(who, input.deployment_id);
  const customerId = await customerOf(db, who, input.deployment_id);
  const id = input.id ?? generateId('inventory');
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto('inventory_items')
      .values({
        id,
        sku: input.sku,
        serial: input.serial ?? null,
        state: input.state,
        deployment_id: input.deployment_id ?? null,
      })
      .returningAll()
      .executeTakeFirstOrThrow()
      .catch((err) => translateDbError(err, 'inventory item', id));
    const after = toInventoryItem(row);
    await recordWrite(trx, who, {
      action: 'create',
      type: 'inventory.created',
      subject: { type: 'inventory_item', id },
      customerId,
      after,
    });
    return after;
  });
}

export async function updateInventoryItem(
  db: Kysely<Database>,
  who: Principal,
  id: string,
  patch: z.infer<typeof inventoryUpdateSchema>,
  condition?: WriteCondition,
): Promise<InventoryItem> {
  const before = await findItem(db, who, id);
  const deploymentId = patch.deployment_id === undefined ? before.deployment_id : patch.deployment_id;
  assertTenantKeepsItem(who, deploymentId);
  const customerId = await customerOf(db, who, deploymentId);
  return db.transaction().execute(async (trx) => {
    await assertItemUnchanged(trx, id, condition, 'change');
    const row = await trx
      .updateTable('inventory_items')
      .set({ ...patch, updated_at: new Date() })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    const after = toInventoryItem(row);
    await recordWrite(trx, who, {
      action: 'update',
      type: 'inventory.updated',
      subject: { type: 'inventory_item', id },
      customerId,
      before: toInventoryItem(before),
      after,
    });
    return after;
  });
}

export async function deleteInventoryItem(
  db: Kysely<Database>,
  who: Principal,
  id: string,
  condition?: WriteCondition,
): Promise<void> {
  const before = await findItem(db, who, id);
  const customerId = await customerOf(db, who, before.deployment_id);
  await db.transaction().execute(async (trx) => {
    await assertItemUnchanged(trx, id, condition, 'delete');
    await trx.deleteFrom('inventory_items').where('id', '=', id).execute();
    await recordWrite(trx, who, {
      action: 'delete',
      type: 'inventory.deleted',
      subject: { type: 'inventory_item', id },
      customerId,
      before: toInventoryItem(before),
    });
  });
}

/**
 * A conditional write's check (If-Match) on the item's row, locked until the commit so the
 * check and the write see the same version.
 */
async function assertItemUnchanged(
  trx: Transaction<Database>,
  id: string,
  condition: WriteCondition | undefined,
  write: 'change' | 'delete',
): Promise<void> {
  if (condition?.ifMatch === undefined) return;
  const locked = await trx
    .selectFrom('inventory_items')
    .selectAll()
    .where('id', '=', id)
    .forUpdate()
    .executeTakeFirst();
  checkLocked(locked, { kind: 'inventory item', id, record: toInventoryItem, condition, write });
}

/**
 * Deleting deployments returns the inventory allocated to them to stock; each released
 * item gets its own audit entry and change event, like any other write.
 */
export async function releaseInventory(
  trx: Transaction<Database>,
  who: Principal,
  deploymentIds: string[],
  customerId: string | null,
): Promise<void> {
  if (deploymentIds.length === 0) return;
  const before = await trx
    .selectFrom('inventory_items')
    .selectAll()
    .where('deployment_id', 'in', deploymentIds)
    .orderBy('id')
    .execute();
  if (before.length === 0) return;
  const after = await trx
    .updateTable('inventory_items')
    .set({ deployment_id: null, state: 'in_stock', updated_at: new Date() })
    .where('deployment_id', 'in', deploymentIds)
    .returningAll()
    .execute();
  const byId = new Map(after.map((r) => [r.id, toInventoryItem(r)]));
  await recordAuditMany(
    trx,
    who,
    before.map((b) => ({
      action: 'release',
      entity: 'inventory_item',
      entityId: b.id,
      customerId,
      before: toInventoryItem(b),
      after: byId.get(b.id),
    })),
  );
  for (const b of before) {
    await emitChange(trx, {
      type: 'inventory.updated',
      subject: { type: 'inventory_item', id: b.id },
      customerId,
      payload: byId.get(b.id),
    });
  }
}
