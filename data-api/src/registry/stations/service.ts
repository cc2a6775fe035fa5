import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { z } from 'zod';
import { recordAudit } from '../../kernel/audit/service.ts';
import type { Principal } from '../../kernel/auth/roles.ts';
import { forgetTokens } from '../../kernel/auth/token-cache.ts';
import { createToken } from '../../kernel/auth/service.ts';
import { emitChange } from '../../kernel/changes/service.ts';
import { generateId } from '../../contracts/ids.ts';
import {
  DEFAULT_STATION_HEARTBEAT_S,
  MAX_EVENTS_PER_BATCH,
  MAX_FUTURE_SKEW_S,
  STATION_EVENT_TYPES,
  type Station,
  type StationClaim,
  type StationConfig,
  type StationEvent,
  type StationStatus,
  type stationClaimCreateSchema,
  type stationMapSchema,
} from '../../contracts/stations.ts';
import { json, type Database, type Device as DeviceRow } from '../../kernel/db/index.ts';
import { ApiError, conflict, notFound, unauthorized, validationError } from '../../kernel/errors/index.ts';
import { iso } from '../../kernel/db/values.ts';
import { assertInScope, scopeOf } from '../../kernel/auth/tenancy.ts';
import { findDevice, toDevice } from '../devices.ts';
import { findSite, productHeartbeat } from '../lookups.ts';
import { recordWrite } from '../record.ts';
import { generateClaimCode, hashClaimCode, verifyClaimCode, type ClaimLimiter } from './codes.ts';

type Db = Kysely<Database> | Transaction<Database>;
type StationRow = Selectable<Database['stations']>;
type ClaimRow = Selectable<Database['station_claims']>;

/** The product a claimed station is registered as (docs/products/rfid-station). */
export const STATION_PRODUCT = 'rfid-station';
/** The API's own body limit (app.ts): a station must keep each request under it. */
const MAX_BODY_BYTES = 1024 * 1024;
const GENERIC_CLAIM_FAILURE =
  'unknown MAC or wrong claim code: check the label, or ask an admin to register the station (POST /api/v1/stations/claims)';

/* ---------------------------------------------------------------------- shared */

const rfidMac = (d: Pick<DeviceRow, 'external_refs'>): string | null => {
  const rfid = (d.external_refs as { rfid?: { mac?: unknown } }).rfid;
  return typeof rfid?.mac === 'string' ? rfid.mac : null;
};

export function toStation(d: DeviceRow, s: StationRow | undefined): Station {
  const line = s?.line ?? null;
  return {
    id: d.id,
    name: d.name,
    mac: s?.mac ?? rfidMac(d),
    site_id: d.site_id,
    customer_id: d.customer_id,
    line,
    mapped: d.site_id !== null && line !== null,
    heartbeat_interval_s: d.heartbeat_interval_s,
    claimed_at: iso(s?.claimed_at ?? null),
    mapped_at: iso(s?.mapped_at ?? null),
  };
}

function configFor(station: Station): StationConfig {
  return {
    api_base: '/api/v1',
    events_endpoint: '/api/v1/events',
    heartbeat_interval_s: station.heartbeat_interval_s,
    site_id: station.site_id,
    customer_id: station.customer_id,
    line: station.line,
    name: station.name,
    mapped: station.mapped,
    batch: { max_events: MAX_EVENTS_PER_BATCH, max_body_bytes: MAX_BODY_BYTES },
    event_types: [...STATION_EVENT_TYPES],
    max_future_skew_s: MAX_FUTURE_SKEW_S,
  };
}

const stationRow = (db: Db, id: string) =>
  db.selectFrom('stations').selectAll().where('device_id', '=', id).executeTakeFirst();

/** A station is a registry device whose role is `station`; anything else is "no such station". */
async function findStation(db: Kysely<Database>, who: Principal, id: string): Promise<DeviceRow> {
  const device = await findDevice(db, who, id);
  if (device.role !== 'station')
    throw new ApiError('not_found', `station ${id} not found (device ${id} has role ${device.role})`);
  return device;
}

/* ---------------------------------------------------------------------- claims */

const toClaim = (r: ClaimRow): StationClaim => ({
  mac: r.mac,
  site_id: r.site_id,
  customer_id: r.customer_id,
  line: r.line,
  name: r.name,
  station_id: r.station_id,
  claimed_at: iso(r.claimed_at),
  claim_count: r.claim_count,
  created_by: r.created_by,
  created_at: iso(r.created_at)!,
});

const claimRow = (db: Db, mac: string) =>
  db.selectFrom('station_claims').selectAll().where('mac', '=', mac).executeTakeFirst();

/**
 * An admin pre-registers a station: its MAC and the claim code printed on its label (or
 * one generated here, returned once for printing). With a site, a scoped admin's claim
 * stays in its tenant. A MAC that already belongs to a station device (created through the
 * registry) links the claim to that device: claiming then re-issues its identity.
 */
export async function createClaim(
  db: Kysely<Database>,
  who: Principal,
  input: z.output<typeof stationClaimCreateSchema>,
): Promise<StationClaim & { claim_code?: string }> {
  const site = input.site_id ? await findSite(db, who, input.site_id) : null;
  if (!site && scopeOf(who))
    throw validationError([
      { path: 'body.site_id', message: 'a customer-scoped token must register the station at one of its sites' },
    ]);
  if (await claimRow(db, input.mac)) throw conflict(`a claim for MAC ${input.mac} already exists`);

  const existing = await db
    .selectFrom('devices')
    .selectAll()
    .where(sql<string>`external_refs->'rfid'->>'mac'`, '=', input.mac)
    .orderBy('id')
    .executeTakeFirst();
  if (existing) {
    const scope = scopeOf(who);
    if (existing.role !== 'station' || (scope !== null && existing.customer_id !== scope)) {
      throw conflict(
        scope === null
          ? `MAC ${input.mac} already belongs to device ${existing.id} (role ${existing.role})`
          : `MAC ${input.mac} is already registered`,
      );
    }
    if (site && existing.site_id !== site.id) {
      throw validationError([
        {
          path: 'body.site_id',
          message: `station ${existing.id} with this MAC is at ${existing.site_id ?? 'no site'}: leave site_id out, and move it with POST /api/v1/stations/${existing.id}/map`,
        },
      ]);
    }
  }

  const generated = input.claim_code === undefined ? generateClaimCode() : undefined;
  const codeHash = await hashClaimCode(input.claim_code ?? generated!.replace(/-/g, ''));
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto('station_claims')
      .values({
        mac: input.mac,
        code_hash: codeHash,
        customer_id: site?.customer_id ?? existing?.customer_id ?? null,
        site_id: site?.id ?? existing?.site_id ?? null,
        line: input.line ?? null,
        name: input.name ?? null,
        station_id: existing?.id ?? null,
        created_by: who.name,
      })
      .onConflict((oc) => oc.column('mac').doNothing())
      .returningAll()
      .executeTakeFirst();
    if (!row) throw conflict(`a claim for MAC ${input.mac} already exists`);
    const after = toClaim(row);
    // The code (and its hash) never reach the audit log or the feed.
    await recordWrite(trx, who, {
      action: 'create',
      type: 'station.claim_registered',
      subject: { type: 'station_claim', id: row.mac },
      customerId: row.customer_id,
      siteId: row.site_id,
      after,
    });
    return generated ? { ...after, claim_code: generated } : after;
  });
}

/**
 * POST /stations/claim: the station proves it holds the label (MAC + code) and gets its
 * identity. The first claim creates the station device; every later claim with the same
 * pair (a station re-imaged in the field) returns the same station id with a new token and
 * revokes every earlier token of that station. A bad pair is one generic 401 and writes nothing.
 */
export async function claimStation(
  db: Kysely<Database>,
  input: { mac: string; claim_code: string },
  limiter: ClaimLimiter,
  address: string,
): Promise<{ station_id: string; token: string; config: StationConfig }> {
  const { mac } = input;
  const limited = limiter.limited(mac, address);
  const claim = await claimRow(db, mac);
  // Always one scrypt, known MAC or not, limited or not: the answer's timing says nothing.
  const ok = await verifyClaimCode(input.claim_code, claim?.code_hash ?? null);
  if (limited || !claim || !ok) {
    limiter.fail(mac, address);
    throw unauthorized(GENERIC_CLAIM_FAILURE);
  }
  limiter.succeed(mac);

  const claimed = await db.transaction().execute(async (trx) => {
    // Locked: two claims racing for one MAC create one device; the later one re-issues.
    const c = await trx
      .selectFrom('station_claims')
      .selectAll()
      .where('mac', '=', mac)
      .forUpdate()
      .executeTakeFirstOrThrow();
    const actor = `claim:${mac}`;
    const now = new Date();
    let device = c.station_id
      ? await trx.selectFrom('devices').selectAll().where('id', '=', c.station_id).forUpdate().executeTakeFirst()
      : undefined;
    const first = device === undefined;
    device ??= await createStationDevice(trx, c, actor);
    const id = device.id;
    // The claim's line seeds a station that has none; a mapping made since is kept.
    const station = await trx
      .insertInto('stations')
      .values({
        device_id: id,
        mac,
        line: c.line,
        claimed_at: now,
        mapped_at: c.line && device.site_id ? now : null,
        mapped_by: c.line && device.site_id ? c.created_by : null,
        updated_at: now,
      })
      .onConflict((oc) =>
        oc.column('device_id').doUpdateSet((eb) => ({
          claimed_at: now,
          mac: eb.fn.coalesce('stations.mac', eb.ref('excluded.mac')),
          line: eb.fn.coalesce('stations.line', eb.ref('excluded.line')),
          updated_at: now,
        })),
      )
      .returningAll()
      .executeTakeFirstOrThrow();

    const revoked = await trx
      .updateTable('api_tokens')
      .set({ revoked_at: now })
      .where('station_id', '=', id)
      .where('revoked_at', 'is', null)
      .returning('id')
      .execute();
    const token = await createToken(trx, { name: `station:${id}`, role: 'station', stationId: id });
    await trx
      .updateTable('station_claims')
      .set((eb) => ({ station_id: id, claimed_at: now, claim_count: eb('claim_count', '+', 1) }))
      .where('mac', '=', mac)
      .execute();

    const summary = toStation(device, station);
    await recordAudit(trx, actor, {
      action: first ? 'claim' : 'reclaim',
      entity: 'station',
      entityId: id,
      customerId: device.customer_id,
      after: {
        mac,
        token_id: token.id,
        token_prefix: token.prefix,
        revoked_tokens: revoked.map((r) => r.id),
        site_id: summary.site_id,
        line: summary.line,
      },
    });
    await emitChange(trx, {
      type: 'station.claimed',
      subject: { type: 'station', id },
      customerId: device.customer_id,
      siteId: device.site_id,
      payload: { ...summary, reclaim: !first, revoked_tokens: revoked.length },
    });
    return { station_id: id, token: token.token, config: configFor(summary) };
  });
  forgetTokens(); // a re-claim revoked the station's earlier tokens
  return claimed;
}

/** The first claim of a MAC registers the station as a device, in the claim's site (and so its customer). */
async function createStationDevice(trx: Transaction<Database>, c: ClaimRow, actor: string): Promise<DeviceRow> {
  const site = c.site_id
    ? await trx.selectFrom('sites').select(['id', 'customer_id']).where('id', '=', c.site_id).executeTakeFirst()
    : undefined;
  const id = generateId('device');
  const device = await trx
    .insertInto('devices')
    .values({
      id,
      deployment_id: null,
      site_id: site?.id ?? null,
      customer_id: site?.customer_id ?? null,
      product_code: STATION_PRODUCT,
      product_version: null,
      role: 'station',
      serial: null,
      name: c.name,
      desired_state: json({}),
      observed_state: json({}),
      external_refs: json({ rfid: { station_id: id, mac: c.mac } }),
      heartbeat_interval_s: productHeartbeat(STATION_PRODUCT, DEFAULT_STATION_HEARTBEAT_S),
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  await recordWrite(trx, actor, {
    action: 'create',
    type: 'device.created',
    subject: { type: 'device', id },
    customerId: device.customer_id,
    siteId: device.site_id,
    after: toDevice(device),
  });
  return device;
}

/* ------------------------------------------------------------------------- map */

/**
 * Assigns a station to a site and a line. The device follows: its site and customer
 * become the site's. Both the station and the site must be in the caller's tenant.
 */
export async function mapStation(
  db: Kysely<Database>,
  who: Principal,
  id: string,
  input: z.output<typeof stationMapSchema>,
): Promise<Station> {
  const current = await findStation(db, who, id);
  const site = await findSite(db, who, input.site_id);
  if (current.deployment_id) {
    const dep = await db
      .selectFrom('deployments')
      .select(['id', 'site_id'])
      .where('id', '=', current.deployment_id)
      .executeTakeFirst();
    if (dep && dep.site_id !== site.id) {
      throw conflict(
        `station ${id} belongs to deployment ${dep.id} at ${dep.site_id}: move it out of the deployment first (PATCH /api/v1/devices/${id}), then map it to ${site.id}`,
      );
    }
  }
  return db.transaction().execute(async (trx) => {
    const before = await trx.selectFrom('devices').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
    if (!before) throw notFound('station', id);
    assertInScope(who, before.customer_id, 'station', id);
    const beforeStation = await stationRow(trx, id);
    const now = new Date();
    const device = await trx
      .updateTable('devices')
      .set({ site_id: site.id, customer_id: site.customer_id, updated_at: now })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    const station = await trx
      .insertInto('stations')
      .values({
        device_id: id,
        mac: rfidMac(before),
        line: input.line,
        mapped_at: now,
        mapped_by: who.name,
        updated_at: now,
      })
      .onConflict((oc) =>
        oc.column('device_id').doUpdateSet({ line: input.line, mapped_at: now, mapped_by: who.name, updated_at: now }),
      )
      .returningAll()
      .executeTakeFirstOrThrow();
    const after = toStation(device, station);
    await recordAudit(trx, who, {
      action: 'map',
      entity: 'station',
      entityId: id,
      customerId: after.customer_id,
      before: { site_id: before.site_id, customer_id: before.customer_id, line: beforeStation?.line ?? null },
      after: { site_id: after.site_id, customer_id: after.customer_id, line: after.line },
    });
    await emitChange(trx, {
      type: 'station.mapped',
      subject: { type: 'station', id },
      customerId: after.customer_id,
      siteId: after.site_id,
      payload: after,
    });
    const deviceAfter = toDevice(device);
    await emitChange(trx, {
      type: 'device.updated',
      subject: { type: 'device', id },
      customerId: after.customer_id,
      siteId: after.site_id,
      payload: deviceAfter,
    });
    return after;
  });
}

/* ---------------------------------------------------------------------- status */

export const toStationEvent = (r: Selectable<Database['station_events']>): StationEvent => ({
  event_id: r.event_id,
  station_id: r.station_id,
  type: r.type,
  tag_id: r.tag_id,
  bundle_id: r.bundle_id,
  ts: iso(r.ts)!,
  received_at: iso(r.received_at)!,
  antenna: r.antenna,
  rssi: r.rssi,
  site_id: r.site_id,
  line: r.line,
});

function latestEvents(db: Kysely<Database>, id: string, limit: number) {
  return db
    .selectFrom('station_events')
    .selectAll()
    .where('station_id', '=', id)
    .orderBy('ts', 'desc')
    .orderBy('event_id', 'desc')
    .limit(limit)
    .execute();
}

/**
 * Health from what the station sent: up while it has been heard from within
 * 3 × heartbeat_interval_s (the contract's rule for every device), down after, unknown
 * before its first event. Every query walks the (station_id, …, ts) indexes.
 */
export async function getStationStatus(
  db: Kysely<Database>,
  who: Principal,
  id: string,
  limit: number,
  now = new Date(),
): Promise<StationStatus> {
  const device = await findStation(db, who, id);
  const [station, lastEvent, lastHeartbeat, lastHour, events] = await Promise.all([
    stationRow(db, id),
    db
      .selectFrom('station_events')
      .select('ts')
      .where('station_id', '=', id)
      .where('type', '!=', 'heartbeat')
      .orderBy('ts', 'desc')
      .limit(1)
      .executeTakeFirst(),
    db
      .selectFrom('station_events')
      .select('ts')
      .where('station_id', '=', id)
      .where('type', '=', 'heartbeat')
      .orderBy('ts', 'desc')
      .limit(1)
      .executeTakeFirst(),
    db
      .selectFrom('station_events')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('station_id', '=', id)
      .where('type', '!=', 'heartbeat')
      .where('ts', '>=', new Date(now.getTime() - 3600_000))
      .executeTakeFirstOrThrow(),
    limit > 0 ? latestEvents(db, id, limit) : Promise.resolve([]),
  ]);
  const lastContact = device.last_seen ? new Date(device.last_seen) : null;
  const status =
    lastContact === null
      ? 'unknown'
      : now.getTime() - lastContact.getTime() <= 3 * device.heartbeat_interval_s * 1000
        ? 'up'
        : 'down';
  return {
    station: toStation(device, station),
    health: {
      status,
      last_contact_at: iso(lastContact),
      last_event_at: iso(lastEvent?.ts ?? null),
      last_heartbeat_at: iso(lastHeartbeat?.ts ?? null),
      events_last_hour: Number(lastHour.n),
    },
    events: events.map(toStationEvent),
  };
}
