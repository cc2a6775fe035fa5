import type { Kysely } from 'kysely';
import type { z } from 'zod';
import type { Principal } from '../kernel/auth/roles.ts';
import { generateId } from '../contracts/ids.ts';
import {
  DEPLOYMENT_TRANSITIONS,
  type Deployment,
  type deploymentCreateSchema,
  type deploymentUpdateSchema,
} from '../contracts/registry.ts';
import type { Database, Deployment as DeploymentRow } from '../kernel/db/index.ts';
import { conflict } from '../kernel/errors/index.ts';
import { iso, likeContains, translateDbError } from '../kernel/db/values.ts';
import { scopeOf } from '../kernel/auth/tenancy.ts';
import { decodeCursor, toPage } from '../kernel/db/pagination.ts';
import { releaseInventory } from './inventory.ts';
import { assertProductVersion, findDeployment, findSite } from './lookups.ts';
import { recordWrite } from './record.ts';
import { deviceDownKey, resolveAlertsByKey, resolveAlertsOfSubjects } from '../health/alerts/service.ts';
import { checkLocked, type WriteCondition } from './precondition.ts';

export const toDeployment = (r: DeploymentRow): Deployment => ({
  id: r.id,
  site_id: r.site_id,
  customer_id: r.customer_id,
  name: r.name,
  product_code: r.product_code,
  product_version: r.product_version,
  state: r.state,
  planned_date: r.planned_date,
  started_date: r.started_date,
  created_at: iso(r.created_at)!,
  updated_at: iso(r.updated_at)!,
});

export interface DeploymentListQuery {
  limit: number;
  cursor?: string;
  site_id?: string;
  customer_id?: string;
  state?: Deployment['state'];
  product_code?: string;
  q?: string;
}

export async function listDeployments(db: Kysely<Database>, who: Principal, q: DeploymentListQuery) {
  const after = decodeCursor(q.cursor);
  let query = db
    .selectFrom('deployments')
    .selectAll()
    .orderBy('id')
    .limit(q.limit + 1);
  const scope = scopeOf(who);
  if (scope) query = query.where('customer_id', '=', scope);
  if (q.customer_id) query = query.where('customer_id', '=', q.customer_id);
  if (q.site_id) query = query.where('site_id', '=', q.site_id);
  if (q.state) query = query.where('state', '=', q.state);
  if (q.product_code) query = query.where('product_code', '=', q.product_code);
  if (after) query = query.where('id', '>', after);
  if (q.q) {
    const like = likeContains(q.q);
    query = query.where((eb) => eb.or([eb('id', 'ilike', like), eb('name', 'ilike', like)]));
  }
  return toPage(await query.execute(), q.limit, toDeployment);
}

export const getDeployment = async (db: Kysely<Database>, who: Principal, id: string) =>
  toDeployment(await findDeployment(db, who, id));

export async function createDeployment(
  db: Kysely<Database>,
  who: Principal,
  input: z.infer<typeof deploymentCreateSchema>,
): Promise<Deployment> {
  const site = await findSite(db, who, input.site_id);
  await assertProductVersion(db, input.product_code, input.product_version, 'body');
  const id = input.id ?? generateId('deployment');
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto('deployments')
      .values({
        id,
        site_id: site.id,
        customer_id: site.customer_id,
        name: input.name ?? null,
        product_code: input.product_code,
        product_version: input.product_version,
        state: input.state,
        planned_date: input.planned_date ?? null,
        started_date: input.started_date ?? null,
      })
      .returningAll()
      .executeTakeFirstOrThrow()
      .catch((err) => translateDbError(err, 'deployment', id));
    const after = toDeployment(row);
    await recordWrite(trx, who, {
      action: 'create',
      type: 'deployment.created',
      subject: { type: 'deployment', id },
      customerId: row.customer_id,
      siteId: row.site_id,
      after,
    });
    return after;
  });
}

export async function updateDeployment(
  db: Kysely<Database>,
  who: Principal,
  id: string,
  patch: z.infer<typeof deploymentUpdateSchema>,
  condition?: WriteCondition,
): Promise<Deployment> {
  return db.transaction().execute(async (trx) => {
    const locked = await trx.selectFrom('deployments').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
    const before = checkLocked(
      locked,
      { kind: 'deployment', id, record: toDeployment, condition, write: 'change' },
      who,
    );
    if (patch.state && patch.state !== before.state) {
      const allowed = DEPLOYMENT_TRANSITIONS[before.state];
      if (!allowed.includes(patch.state)) {
        throw conflict(
          `deployment ${id} cannot move from ${before.state} to ${patch.state}; from ${before.state} it may move to ${allowed.join(', ') || 'nothing (retired is final)'}`,
        );
      }
    }
    if (patch.product_version) await assertProductVersion(trx, before.product_code, patch.product_version, 'body');
    const startsNow = patch.state === 'installing' && !before.started_date && patch.started_date === undefined;
    const row = await trx
      .updateTable('deployments')
      .set({
        ...patch,
        ...(startsNow ? { started_date: new Date().toISOString().slice(0, 10) } : {}),
        updated_at: new Date(),
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    if (patch.state === 'retired' && before.state !== 'retired') {
      // Its devices are no longer watched (the monitor skips retired deployments): nothing
      // would ever resolve their device_down alerts.
      const devices = await trx.selectFrom('devices').select('id').where('deployment_id', '=', id).execute();
      await resolveAlertsByKey(
        trx,
        who.name,
        devices.map((d) => deviceDownKey(d.id)),
      );
    }
    const after = toDeployment(row);
    await recordWrite(trx, who, {
      action: patch.state && patch.state !== before.state ? `state:${patch.state}` : 'update',
      type: 'deployment.updated',
      subject: { type: 'deployment', id },
      customerId: row.customer_id,
      siteId: row.site_id,
      before: toDeployment(before),
      after,
    });
    return after;
  });
}

export async function deleteDeployment(
  db: Kysely<Database>,
  who: Principal,
  id: string,
  condition?: WriteCondition,
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const locked = await trx.selectFrom('deployments').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
    const before = checkLocked(
      locked,
      { kind: 'deployment', id, record: toDeployment, condition, write: 'delete' },
      who,
    );
    const device = await trx
      .selectFrom('devices')
      .select('id')
      .where('deployment_id', '=', id)
      .limit(1)
      .executeTakeFirst();
    if (device)
      throw conflict(
        `deployment ${id} still has devices (e.g. ${device.id}): move or delete them first, or retire the deployment`,
      );
    await releaseInventory(trx, who, [id], before.customer_id);
    await trx.deleteFrom('deployments').where('id', '=', id).execute();
    await resolveAlertsOfSubjects(trx, who.name, [{ type: 'deployment', id }]);
    await recordWrite(trx, who, {
      action: 'delete',
      type: 'deployment.deleted',
      subject: { type: 'deployment', id },
      customerId: before.customer_id,
      siteId: before.site_id,
      before: toDeployment(before),
    });
  });
}
