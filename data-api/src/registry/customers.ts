import type { z } from 'zod';
import type { Principal } from '../kernel/auth/roles.ts';
import { forgetTokens } from '../kernel/auth/token-cache.ts';
import { generateId } from '../contracts/ids.ts';
import type { customerCreateSchema, customerUpdateSchema, Customer } from '../contracts/registry.ts';
import type { Customer as CustomerRow, Database } from '../kernel/db/index.ts';
import { conflict, forbidden, notFound } from '../kernel/errors/index.ts';
import type { Kysely } from 'kysely';
import { iso, likeContains, translateDbError } from '../kernel/db/values.ts';
import { assertInScope, scopeOf } from '../kernel/auth/tenancy.ts';
import { decodeCursor, toPage } from '../kernel/db/pagination.ts';
import { recordWrite } from './record.ts';
import { checkLocked, type WriteCondition } from './precondition.ts';

export const toCustomer = (r: CustomerRow): Customer => ({
  id: r.id,
  name: r.name,
  created_at: iso(r.created_at)!,
  updated_at: iso(r.updated_at)!,
});

export async function listCustomers(
  db: Kysely<Database>,
  who: Principal,
  q: { limit: number; cursor?: string; q?: string },
) {
  const after = decodeCursor(q.cursor);
  let query = db
    .selectFrom('customers')
    .selectAll()
    .orderBy('id')
    .limit(q.limit + 1);
  const scope = scopeOf(who);
  if (scope) query = query.where('id', '=', scope);
  if (after) query = query.where('id', '>', after);
  if (q.q) {
    const like = likeContains(q.q);
    query = query.where((eb) => eb.or([eb('id', 'ilike', like), eb('name', 'ilike', like)]));
  }
  return toPage(await query.execute(), q.limit, toCustomer);
}

export async function getCustomer(db: Kysely<Database>, who: Principal, id: string): Promise<Customer> {
  assertInScope(who, id, 'customer', id);
  const row = await db.selectFrom('customers').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('customer', id);
  return toCustomer(row);
}

export async function createCustomer(
  db: Kysely<Database>,
  who: Principal,
  input: z.infer<typeof customerCreateSchema>,
): Promise<Customer> {
  // A tenant-scoped token cannot create another tenant.
  if (scopeOf(who)) throw forbidden('a customer-scoped token cannot create customers');
  const id = input.id ?? generateId('customer');
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto('customers')
      .values({ id, name: input.name })
      .returningAll()
      .executeTakeFirstOrThrow()
      .catch((err) => translateDbError(err, 'customer', id));
    const after = toCustomer(row);
    await recordWrite(trx, who, {
      action: 'create',
      type: 'customer.created',
      subject: { type: 'customer', id },
      customerId: id,
      after,
    });
    return after;
  });
}

export async function updateCustomer(
  db: Kysely<Database>,
  who: Principal,
  id: string,
  patch: z.infer<typeof customerUpdateSchema>,
  condition?: WriteCondition,
): Promise<Customer> {
  assertInScope(who, id, 'customer', id);
  return db.transaction().execute(async (trx) => {
    const locked = await trx.selectFrom('customers').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
    const before = checkLocked(locked, { kind: 'customer', id, record: toCustomer, condition, write: 'change' });
    const row = await trx
      .updateTable('customers')
      .set({ ...patch, updated_at: new Date() })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    const after = toCustomer(row);
    await recordWrite(trx, who, {
      action: 'update',
      type: 'customer.updated',
      subject: { type: 'customer', id },
      customerId: id,
      before: toCustomer(before),
      after,
    });
    return after;
  });
}

export async function deleteCustomer(
  db: Kysely<Database>,
  who: Principal,
  id: string,
  condition?: WriteCondition,
): Promise<void> {
  if (scopeOf(who)) throw forbidden('a customer-scoped token cannot delete customers');
  await db.transaction().execute(async (trx) => {
    const locked = await trx.selectFrom('customers').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
    const before = checkLocked(locked, { kind: 'customer', id, record: toCustomer, condition, write: 'delete' });
    const site = await trx.selectFrom('sites').select('id').where('customer_id', '=', id).limit(1).executeTakeFirst();
    if (site) throw conflict(`customer ${id} still has sites (e.g. ${site.id}): delete or move them first`);
    await trx.deleteFrom('api_tokens').where('customer_id', '=', id).execute();
    await trx.deleteFrom('customers').where('id', '=', id).execute();
    await recordWrite(trx, who, {
      action: 'delete',
      type: 'customer.deleted',
      subject: { type: 'customer', id },
      customerId: id,
      before: toCustomer(before),
    });
  });
  forgetTokens(); // its tokens went with it
}
