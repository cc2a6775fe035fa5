import type { Kysely } from 'kysely';
import type { z } from 'zod';
import { recordAudit, recordAuditMany } from '../kernel/audit/service.ts';
import type { Principal } from '../kernel/auth/roles.ts';
import { emitChange } from '../kernel/changes/service.ts';
import { generateId } from '../contracts/ids.ts';
import type { Site, siteCreateSchema, siteUpdateSchema } from '../contracts/registry.ts';
import type { Database, Site as SiteRow } from '../kernel/db/index.ts';
import { conflict, forbidden, notFound } from '../kernel/errors/index.ts';
import { iso, likeContains, translateDbError } from '../kernel/db/values.ts';
import { assertInScope, scopeOf } from '../kernel/auth/tenancy.ts';
import { toDeployment } from './deployments.ts';
import { findSite } from './lookups.ts';
import { recordWrite } from './record.ts';
import { resolveAlertsOfSubjects } from '../health/alerts/service.ts';
import { checkLocked, type WriteCondition } from './precondition.ts';
import { toDevice } from './devices.ts';
import { releaseInventory } from './inventory.ts';
import { decodeCursor, toPage } from '../kernel/db/pagination.ts';

export const toSite = (r: SiteRow): Site => ({
  id: r.id,
  customer_id: r.customer_id,
  name: r.name,
  timezone: r.timezone,
  location: r.lat === null || r.lon === null ? null : { lat: r.lat, lon: r.lon },
  lan_notes: r.lan_notes,
  region: r.region ?? null,
  network_server: r.network_server ?? null,
  created_at: iso(r.created_at)!,
  updated_at: iso(r.updated_at)!,
});

export async function listSites(
  db: Kysely<Database>,
  who: Principal,
  q: { limit: number; cursor?: string; customer_id?: string; q?: string },
) {
  const after = decodeCursor(q.cursor);
  let query = db
    .selectFrom('sites')
    .selectAll()
    .orderBy('id')
    .limit(q.limit + 1);
  const scope = scopeOf(who);
  if (scope) query = query.where('customer_id', '=', scope);
  if (q.customer_id) query = query.where('customer_id', '=', q.customer_id);
  if (after) query = query.where('id', '>', after);
  if (q.q) {
    const like = likeContains(q.q);
    query = query.where((eb) => eb.or([eb('id', 'ilike', like), eb('name', 'ilike', like)]));
  }
  return toPage(await query.execute(), q.limit, toSite);
}

export const getSite = async (db: Kysely<Database>, who: Principal, id: string) => toSite(await findSite(db, who, id));

export async function createSite(
  db: Kysely<Database>,
  who: Principal,
  input: z.infer<typeof siteCreateSchema>,
): Promise<Site> {
  assertInScope(who, input.customer_id, 'customer', input.customer_id);
  const customer = await db.selectFrom('customers').select('id').where('id', '=', input.customer_id).executeTakeFirst();
  if (!customer) throw notFound('customer', input.customer_id);
  const id = input.id ?? generateId('site');
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto('sites')
      .values({
        id,
        customer_id: input.customer_id,
        name: input.name,
        timezone: input.timezone,
        lat: input.location?.lat ?? null,
        lon: input.location?.lon ?? null,
        lan_notes: input.lan_notes ?? null,
        region: input.region ?? null,
        network_server: input.network_server ?? null,
      })
      .returningAll()
      .executeTakeFirstOrThrow()
      .catch((err) => translateDbError(err, 'site', id));
    const after = toSite(row);
    await recordWrite(trx, who, {
      action: 'create',
      type: 'site.created',
      subject: { type: 'site', id },
      customerId: row.customer_id,
      siteId: id,
      after,
    });
    return after;
  });
}

export async function updateSite(
  db: Kysely<Database>,
  who: Principal,
  id: string,
  patch: z.infer<typeof siteUpdateSchema>,
  condition?: WriteCondition,
): Promise<Site> {
  return db.transaction().execute(async (trx) => {
    const locked = await trx.selectFrom('sites').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
    const before = checkLocked(locked, { kind: 'site', id, record: toSite, condition, write: 'change' }, who);
    const { location, ...rest } = patch;
    const row = await trx
      .updateTable('sites')
      .set({
        ...rest,
        ...(location !== undefined ? { lat: location?.lat ?? null, lon: location?.lon ?? null } : {}),
        updated_at: new Date(),
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    const after = toSite(row);
    await recordWrite(trx, who, {
      action: 'update',
      type: 'site.updated',
      subject: { type: 'site', id },
      customerId: row.customer_id,
      siteId: id,
      before: toSite(before),
      after,
    });
    return after;
  });
}

/**
 * A site with deployments is kept (409) unless an admin asks for `cascade`: then its
 * devices and deployments go with it, and inventory allocated to them returns to stock.
 * With If-Match, only the version read goes (412 and nothing deleted otherwise, cascade or not).
 */
export async function deleteSite(
  db: Kysely<Database>,
  who: Principal,
  id: string,
  opts: { cascade?: boolean },
  condition?: WriteCondition,
): Promise<void> {
  if (opts.cascade && who.role !== 'admin') throw forbidden('only an admin may delete a site with cascade=true');
  await db.transaction().execute(async (trx) => {
    const locked = await trx.selectFrom('sites').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
    // Before the 409 for what it holds, and before a cascade takes anything with it.
    const before = checkLocked(locked, { kind: 'site', id, record: toSite, condition, write: 'delete' }, who);
    const deploymentRows = await trx
      .selectFrom('deployments')
      .selectAll()
      .where('site_id', '=', id)
      .orderBy('id')
      .execute();
    const deployments = deploymentRows.map((d) => d.id);
    const devices = await trx
      .selectFrom('devices')
      .selectAll()
      .where((eb) =>
        eb.or([eb('site_id', '=', id), ...(deployments.length > 0 ? [eb('deployment_id', 'in', deployments)] : [])]),
      )
      .orderBy('id')
      .execute();
    if ((deployments.length > 0 || devices.length > 0) && !opts.cascade) {
      throw conflict(
        `site ${id} has ${deployments.length} deployment(s) and ${devices.length} device(s): delete them first, or ask an admin to delete with ?cascade=true`,
      );
    }
    if (deployments.length > 0) {
      await releaseInventory(trx, who, deployments, before.customer_id);
      await trx.deleteFrom('devices').where('deployment_id', 'in', deployments).execute();
    }
    await trx.deleteFrom('devices').where('site_id', '=', id).execute();
    if (deployments.length > 0) await trx.deleteFrom('deployments').where('id', 'in', deployments).execute();
    await trx.deleteFrom('sites').where('id', '=', id).execute();
    await resolveAlertsOfSubjects(trx, who.name, [
      { type: 'site', id },
      ...deployments.map((d) => ({ type: 'deployment' as const, id: d })),
      ...devices.map((d) => ({ type: 'device' as const, id: d.id })),
    ]);
    await recordAudit(trx, who, {
      action: opts.cascade ? 'delete_cascade' : 'delete',
      entity: 'site',
      entityId: id,
      customerId: before.customer_id,
      before: { ...toSite(before), deleted_deployments: deployments, deleted_devices: devices.length },
    });
    // Every record the cascade removed gets its own entry, so the audit log of a device or
    // deployment ends with its deletion (and what it was), not silently.
    await recordAuditMany(trx, who, [
      ...deploymentRows.map((d) => ({
        action: 'delete_cascade',
        entity: 'deployment',
        entityId: d.id,
        customerId: d.customer_id,
        before: toDeployment(d),
      })),
      ...devices.map((d) => ({
        action: 'delete_cascade',
        entity: 'device',
        entityId: d.id,
        customerId: d.customer_id,
        before: toDevice(d),
      })),
    ]);
    await emitChange(trx, {
      type: 'site.deleted',
      subject: { type: 'site', id },
      customerId: before.customer_id,
      siteId: id,
    });
  });
}
