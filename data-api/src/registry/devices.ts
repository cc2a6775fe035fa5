import { sql, type Kysely, type Transaction } from 'kysely';
import type { z } from 'zod';
import type { Principal } from '../kernel/auth/roles.ts';
import { generateId } from '../contracts/ids.ts';
import {
  devicePage,
  type Device,
  type DeviceSort,
  type desiredStateSchema,
  type deviceCreateSchema,
  type deviceSecretsSchema,
  type deviceUpdateSchema,
} from '../contracts/registry.ts';
import { sentAsBuilt } from '../kernel/validation/serializer.ts';
import { json, type Database, type Device as DeviceRow } from '../kernel/db/index.ts';
import { conflict, notFound, validationError } from '../kernel/errors/index.ts';
import { iso, likeContains, translateDbError } from '../kernel/db/values.ts';
import { assertInScope, scopeOf } from '../kernel/auth/tenancy.ts';
import { assertProductVersion, findDeployment, findSite, productHeartbeat } from './lookups.ts';
import { orderDevices } from './device-sort.ts';
import { recordWrite } from './record.ts';
import { resolveAlertsOfSubjects } from '../health/alerts/service.ts';
import { checkLocked, type WriteCondition } from './precondition.ts';
import { decodeSortedCursor, encodeSortedCursor, toPage } from '../kernel/db/pagination.ts';

export const toDevice = (r: DeviceRow): Device => ({
  id: r.id,
  deployment_id: r.deployment_id,
  site_id: r.site_id,
  customer_id: r.customer_id,
  product_code: r.product_code,
  product_version: r.product_version,
  role: r.role,
  serial: r.serial,
  name: r.name,
  status: r.status,
  last_seen: iso(r.last_seen),
  desired_state: r.desired_state,
  desired_version: r.desired_version,
  observed_state: r.observed_state,
  external_refs: r.external_refs,
  heartbeat_interval_s: r.heartbeat_interval_s,
  tags: r.tags ?? [],
  secrets_set: r.secrets_set,
  created_at: iso(r.created_at)!,
  updated_at: iso(r.updated_at)!,
});

// toDevice builds every field of deviceSchema in its order: device pages go out as built, not
// through zod's copy (registry-crud's list test holds the body to the schema).
sentAsBuilt(devicePage);

/** Device columns, secrets_set among them: the names (never the values) of its secrets. */
export function selectDevices(db: Kysely<Database>) {
  return db.selectFrom('devices').selectAll('devices');
}

export interface DeviceListQuery {
  limit: number;
  cursor?: string;
  site_id?: string;
  deployment_id?: string;
  customer_id?: string;
  role?: Device['role'];
  status?: Device['status'];
  product_code?: string;
  q?: string;
  /** Default `id`. */
  sort?: DeviceSort;
}

export async function listDevices(db: Kysely<Database>, who: Principal, q: DeviceListQuery) {
  const sort = q.sort ?? 'id';
  const after = decodeSortedCursor(q.cursor, sort);
  let query = selectDevices(db).limit(q.limit + 1);
  const scope = scopeOf(who);
  if (scope) query = query.where('customer_id', '=', scope);
  if (q.customer_id) query = query.where('customer_id', '=', q.customer_id);
  if (q.site_id) query = query.where('site_id', '=', q.site_id);
  if (q.deployment_id) query = query.where('deployment_id', '=', q.deployment_id);
  if (q.role) query = query.where('role', '=', q.role);
  if (q.status) query = query.where('status', '=', q.status);
  if (q.product_code) query = query.where('product_code', '=', q.product_code);
  if (q.q) {
    const like = likeContains(q.q);
    query = query.where((eb) =>
      eb.or([
        eb('id', 'ilike', like),
        eb('serial', 'ilike', like),
        eb('name', 'ilike', like),
        eb(sql`external_refs::text`, 'ilike', like),
      ]),
    );
  }
  const rows = await orderDevices(query, sort, after).execute();
  return toPage(rows, q.limit, toDevice, (last) => encodeSortedCursor(sort, last.sort_key, last.id));
}

export async function findDevice(db: Kysely<Database>, who: Principal, id: string): Promise<DeviceRow> {
  const row = await selectDevices(db).where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('device', id);
  assertInScope(who, row.customer_id, 'device', id);
  return row;
}

export const getDevice = async (db: Kysely<Database>, who: Principal, id: string) =>
  toDevice(await findDevice(db, who, id));

/**
 * domain.md: a device's site must match its deployment's site. Given a deployment and no
 * site, the device takes the deployment's site; both given and different is refused.
 */
async function placement(
  db: Kysely<Database>,
  who: Principal,
  deploymentId: string | null | undefined,
  siteId: string | null | undefined,
) {
  if (deploymentId) {
    const dep = await findDeployment(db, who, deploymentId);
    if (siteId && siteId !== dep.site_id) {
      throw validationError([
        {
          path: 'body.site_id',
          message: `must equal the site of deployment ${dep.id} (${dep.site_id}), got ${siteId}`,
        },
      ]);
    }
    return { deployment_id: dep.id, site_id: dep.site_id, customer_id: dep.customer_id };
  }
  if (siteId) {
    const site = await findSite(db, who, siteId);
    return { deployment_id: null, site_id: site.id, customer_id: site.customer_id };
  }
  // In stock: no site, no customer. Only an unscoped caller can own such a device.
  if (scopeOf(who))
    throw validationError([
      { path: 'body.site_id', message: 'a customer-scoped token must place the device at one of its sites' },
    ]);
  return { deployment_id: null, site_id: null, customer_id: null };
}

/** Advisory-lock class for DevEUI claims (the second key is the DevEUI's hash). */
const DEV_EUI_LOCK = 7_273_100;

/**
 * A DevEUI belongs to one device. Checked inside the writing transaction under a lock on
 * that DevEUI, so two concurrent writes of the same DevEUI cannot both pass the check.
 */
export async function assertDevEuiFree(trx: Transaction<Database>, devEui: string | undefined, selfId: string) {
  if (!devEui) return;
  await sql`select pg_advisory_xact_lock(${DEV_EUI_LOCK}, hashtext(${devEui}))`.execute(trx);
  const other = await trx
    .selectFrom('devices')
    .select('id')
    .where(sql`external_refs->'chirpstack'->>'dev_eui'`, '=', devEui)
    .where('id', '!=', selfId)
    .executeTakeFirst();
  if (other) throw conflict(`DevEUI ${devEui} already belongs to device ${other.id}`);
}

/**
 * Upserts the given secrets, then rewrites the device's secrets_set (their names, sorted) from
 * device_secrets in the same transaction: the one writer of both, so they cannot disagree.
 */
async function writeSecrets(
  trx: Transaction<Database>,
  deviceId: string,
  secrets: z.infer<typeof deviceSecretsSchema> | undefined,
) {
  const given = Object.entries(secrets ?? {}).filter(([, value]) => value !== undefined);
  if (!given.length) return;
  for (const [name, value] of given) {
    await trx
      .insertInto('device_secrets')
      .values({ device_id: deviceId, name, value })
      .onConflict((oc) => oc.columns(['device_id', 'name']).doUpdateSet({ value, updated_at: new Date() }))
      .execute();
  }
  await trx
    .updateTable('devices')
    .set({
      secrets_set: sql<string[]>`array(select name from device_secrets where device_id = ${deviceId} order by name)`,
    })
    .where('id', '=', deviceId)
    .execute();
}

export async function createDevice(
  db: Kysely<Database>,
  who: Principal,
  input: z.infer<typeof deviceCreateSchema>,
): Promise<Device> {
  const wantPrefix = input.role === 'gateway' ? 'gw_' : 'dev_';
  if (input.id && !input.id.startsWith(wantPrefix)) {
    throw validationError([
      { path: 'body.id', message: `a ${input.role} id starts with ${wantPrefix}, got ${input.id}` },
    ]);
  }
  const place = await placement(db, who, input.deployment_id, input.site_id);
  await assertProductVersion(db, input.product_code, input.product_version, 'body');
  const id = input.id ?? generateId(input.role === 'gateway' ? 'gateway' : 'device');
  return db.transaction().execute(async (trx) => {
    await assertDevEuiFree(trx, input.external_refs?.chirpstack?.dev_eui, id);
    await trx
      .insertInto('devices')
      .values({
        id,
        ...place,
        product_code: input.product_code,
        product_version: input.product_version ?? null,
        role: input.role,
        serial: input.serial ?? null,
        name: input.name ?? null,
        desired_state: json({}),
        observed_state: json({}),
        external_refs: json(input.external_refs ?? {}),
        heartbeat_interval_s: input.heartbeat_interval_s ?? productHeartbeat(input.product_code),
        ...(input.tags ? { tags: input.tags } : {}),
      })
      .execute()
      .catch((err) => translateDbError(err, 'device', id));
    await writeSecrets(trx, id, input.secrets);
    const after = toDevice((await selectDevices(trx).where('id', '=', id).executeTakeFirst())!);
    await recordWrite(trx, who, {
      action: 'create',
      type: 'device.created',
      subject: { type: 'device', id },
      customerId: place.customer_id,
      siteId: place.site_id,
      after,
    });
    return after;
  });
}

export async function updateDevice(
  db: Kysely<Database>,
  who: Principal,
  id: string,
  patch: z.infer<typeof deviceUpdateSchema>,
  condition?: WriteCondition,
): Promise<Device> {
  const current = await findDevice(db, who, id);
  const moving = patch.deployment_id !== undefined || patch.site_id !== undefined;
  const place = moving
    ? await placement(
        db,
        who,
        patch.deployment_id === undefined ? current.deployment_id : patch.deployment_id,
        patch.site_id === undefined ? (patch.deployment_id ? undefined : current.site_id) : patch.site_id,
      )
    : null;
  if (patch.product_version) await assertProductVersion(db, current.product_code, patch.product_version, 'body');
  return db.transaction().execute(async (trx) => {
    await assertDevEuiFree(trx, patch.external_refs?.chirpstack?.dev_eui, id);
    const before = await lockedDevice(trx, id, condition, 'change');
    const { secrets, external_refs, ...rest } = patch;
    await trx
      .updateTable('devices')
      .set({
        ...rest,
        ...(place ?? {}),
        ...(external_refs !== undefined ? { external_refs: json(external_refs) } : {}),
        updated_at: new Date(),
      })
      .where('id', '=', id)
      .execute();
    await writeSecrets(trx, id, secrets);
    const after = toDevice((await selectDevices(trx).where('id', '=', id).executeTakeFirst())!);
    await recordWrite(trx, who, {
      action: 'update',
      type: 'device.updated',
      subject: { type: 'device', id },
      customerId: after.customer_id,
      siteId: after.site_id,
      before: toDevice(before),
      after,
    });
    return after;
  });
}

/**
 * Versioned target config: each change bumps desired_version; `if_version` guards races on the
 * desired state, If-Match (the device's ETag) on the whole device, like a PATCH.
 */
export async function setDesiredState(
  db: Kysely<Database>,
  who: Principal,
  id: string,
  input: z.infer<typeof desiredStateSchema>,
  condition?: WriteCondition,
): Promise<Device> {
  await findDevice(db, who, id);
  return db.transaction().execute(async (trx) => {
    const before = await lockedDevice(trx, id, condition, 'change');
    if (input.if_version !== undefined && input.if_version !== before.desired_version) {
      throw conflict(
        `device ${id} desired_version is ${before.desired_version}, not ${input.if_version}: re-read and retry`,
      );
    }
    await trx
      .updateTable('devices')
      .set((eb) => ({
        desired_state: json(input.desired_state),
        desired_version: eb('desired_version', '+', 1),
        updated_at: new Date(),
      }))
      .where('id', '=', id)
      .execute();
    const after = toDevice((await selectDevices(trx).where('id', '=', id).executeTakeFirst())!);
    await recordWrite(trx, who, {
      action: 'desired_state',
      type: 'device.desired_state',
      subject: { type: 'device', id },
      customerId: after.customer_id,
      siteId: after.site_id,
      before: { desired_state: before.desired_state, desired_version: before.desired_version },
      after: { desired_state: after.desired_state, desired_version: after.desired_version },
    });
    return after;
  });
}

/**
 * The device's row, locked until the commit, so a conditional write's check (If-Match) and the
 * write see the same version: 404 when it is gone, 412 when it is no longer the version asked for.
 */
async function lockedDevice(
  trx: Transaction<Database>,
  id: string,
  condition: WriteCondition | undefined,
  write: 'change' | 'delete',
): Promise<DeviceRow> {
  const row = await selectDevices(trx).where('id', '=', id).forUpdate().executeTakeFirst();
  return checkLocked(row, { kind: 'device', id, record: toDevice, condition, write });
}

export async function deleteDevice(
  db: Kysely<Database>,
  who: Principal,
  id: string,
  condition?: WriteCondition,
): Promise<void> {
  await findDevice(db, who, id);
  await db.transaction().execute(async (trx) => {
    const before = await lockedDevice(trx, id, condition, 'delete');
    await trx.deleteFrom('devices').where('id', '=', id).execute();
    await resolveAlertsOfSubjects(trx, who.name, [{ type: 'device', id }]);
    await recordWrite(trx, who, {
      action: 'delete',
      type: 'device.deleted',
      subject: { type: 'device', id },
      customerId: before.customer_id,
      siteId: before.site_id,
      before: toDevice(before),
    });
  });
}
