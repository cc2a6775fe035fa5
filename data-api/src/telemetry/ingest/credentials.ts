import { pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { AedesOptions } from 'aedes';
import { recordAudit } from '../../kernel/audit/service.ts';
import type { Principal } from '../../kernel/auth/roles.ts';
import { INGEST_KINDS, TOPIC_ROOT } from '../../contracts/mqtt.ts';
import type { Database } from '../../kernel/db/index.ts';
import { notFound } from '../../kernel/errors/index.ts';
import { DEFAULT_CHIRPSTACK_TOPICS, type ChirpstackTopics } from './chirpstack/topics.ts';

/**
 * Device identity on the broker (contracts.md): username = device id, password = device
 * token. Tokens are random and shown once; only a hash is stored, in Mosquitto's own
 * PBKDF2-SHA512 `$7$` format, so the embedded broker verifies it and `fleetbook mosquitto
 * export` copies it into a password file as it is.
 */

/** The API's own MQTT user: it may subscribe to every device topic and publish commands. */
export const API_MQTT_USER = 'fleetbook-api';

/**
 * Client ids of fleetbook's own MQTT clients (`fleetbook-api-<pid>`, `fleetbook-ingest-<instance>`):
 * nobody else may connect with one, or it would take over that session (MQTT lets the newest
 * connection with an id win) and receive what the ingest's persistent session holds.
 */
export const RESERVED_CLIENT_ID_PREFIX = 'fleetbook-';

const ITERATIONS = 101; // mosquitto_passwd's default
const SALT_BYTES = 12;

export function hashDevicePassword(password: string, salt = randomBytes(SALT_BYTES), iterations = ITERATIONS): string {
  const hash = pbkdf2Sync(password, salt, iterations, 64, 'sha512');
  return `$7$${iterations}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

export function verifyDevicePassword(password: string, stored: string): boolean {
  const parts = stored.split('$');
  // ['', '7', iterations, salt, hash]
  if (parts.length !== 5 || parts[1] !== '7') return false;
  const iterations = Number(parts[2]);
  if (!Number.isInteger(iterations) || iterations < 1 || iterations > 1_000_000) return false;
  const expected = Buffer.from(parts[4]!, 'base64');
  const actual = pbkdf2Sync(password, Buffer.from(parts[3]!, 'base64'), iterations, expected.length || 64, 'sha512');
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** `fbd_` + 32 random bytes: what a device is flashed with. */
export const generateDeviceToken = (): string => `fbd_${randomBytes(32).toString('base64url')}`;

export interface IssuedCredential {
  device_id: string;
  site_id: string | null;
  /** The device's registry role: what it may publish (devicePublishTopics). */
  role: string;
  username: string;
  /** Shown once; only its hash is stored. */
  password: string;
  created_at: string;
}

/** Issues (or rotates) the MQTT password of a device. The previous one stops working at the next connect. */
export async function issueDeviceToken(
  db: Kysely<Database>,
  who: Principal | string,
  deviceId: string,
): Promise<IssuedCredential> {
  return db.transaction().execute(async (trx) => {
    const device = await trx
      .selectFrom('devices')
      .select(['id', 'site_id', 'customer_id', 'role'])
      .where('id', '=', deviceId)
      .executeTakeFirst();
    const scope = typeof who === 'string' ? null : who.customerId;
    if (!device || (scope !== null && device.customer_id !== scope)) throw notFound('device', deviceId);
    const password = generateDeviceToken();
    const actor = typeof who === 'string' ? who : who.name;
    const row = (
      await sql<{ created_at: Date }>`
        insert into device_credentials (device_id, password_hash, created_by) values (${deviceId}, ${hashDevicePassword(password)}, ${actor})
        on conflict (device_id) do update set password_hash = excluded.password_hash, created_by = excluded.created_by, created_at = now()
        returning created_at`.execute(trx)
    ).rows[0]!;
    // The audit records that a credential was issued, never the credential.
    await recordAudit(trx, who, {
      action: 'device.mqtt_token.issue',
      entity: 'device',
      entityId: deviceId,
      customerId: device.customer_id,
      after: { username: deviceId },
    });
    return {
      device_id: deviceId,
      site_id: device.site_id,
      role: device.role,
      username: deviceId,
      password,
      created_at: new Date(row.created_at).toISOString(),
    };
  });
}

/** Issues tokens for many devices in one transaction (simulator, fleet provisioning). */
export async function issueDeviceTokens(
  db: Kysely<Database>,
  actor: string,
  deviceIds: string[],
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (!deviceIds.length) return out;
  const rows = deviceIds.map((id) => {
    const password = generateDeviceToken();
    out.set(id, password);
    return { device_id: id, password_hash: hashDevicePassword(password), created_by: actor };
  });
  await db.transaction().execute(async (trx) => {
    for (let i = 0; i < rows.length; i += 500) {
      await sql`
        insert into device_credentials (device_id, password_hash, created_by)
        select device_id, password_hash, created_by
        from jsonb_to_recordset(${JSON.stringify(rows.slice(i, i + 500))}::jsonb) as x(device_id text, password_hash text, created_by text)
        on conflict (device_id) do update set password_hash = excluded.password_hash, created_by = excluded.created_by, created_at = now()`.execute(
        trx,
      );
    }
    await recordAudit(trx, actor, {
      action: 'device.mqtt_token.issue_bulk',
      entity: 'device',
      entityId: `${deviceIds.length} devices`,
      customerId: null,
      after: { count: deviceIds.length },
    });
  });
  return out;
}

// --- the embedded broker's hooks (aedes) ---------------------------------------------------

type Identity =
  | { kind: 'internal' }
  | { kind: 'open' }
  | { kind: 'anonymous' }
  | { kind: 'device'; deviceId: string; siteId: string | null; role: string }
  | { kind: 'chirpstack'; username: string };

const IDENTITY = Symbol('fleetbook.identity');
type WithIdentity = { [IDENTITY]?: Identity };

export interface BrokerSecurity {
  /** Passed to aedes: authenticate, authorizePublish, authorizeSubscribe. */
  aedes: Pick<AedesOptions, 'authenticate' | 'authorizePublish' | 'authorizeSubscribe'>;
  /** The API's own clients (command publisher, ingest) log in with this. */
  internal: { username: string; password: string };
  enforce: boolean;
}

/** Topics a device may publish to; gateways may also publish `batch`. */
export function devicePublishTopics(siteId: string, deviceId: string, role: string): string[] {
  const kinds = INGEST_KINDS.filter((k) => k !== 'batch' || role === 'gateway');
  return kinds.map((k) => `${TOPIC_ROOT}/${siteId}/${deviceId}/${k}`);
}

/**
 * The embedded broker's rules, the same as the exported Mosquitto ACL:
 * - `fleetbook-api` with the in-process secret may do anything, and only it may use a
 *   `fleetbook-…` client id (CONNACK 2, identifier rejected, for anyone else);
 * - a device (username = id, password = token) publishes only under its own
 *   `{site_id}/{device_id}` and subscribes only to its own `cmd` topic;
 * - with enforcement on, anonymous clients may connect (probes, tooling) but neither
 *   publish nor subscribe; wrong credentials are refused at CONNECT.
 * With enforcement off (FLEETBOOK_MQTT_AUTH=off) every client may do anything.
 */
export function createBrokerSecurity(
  db: Kysely<Database>,
  options: { enforce: boolean; chirpstack?: ChirpstackTopics },
): BrokerSecurity {
  const chirpstack = options.chirpstack ?? DEFAULT_CHIRPSTACK_TOPICS;
  const internal = { username: API_MQTT_USER, password: randomBytes(24).toString('base64url') };
  const internalSecret = Buffer.from(internal.password);
  const refuse = (code: 2 | 4 | 5, message: string) => Object.assign(new Error(message), { returnCode: code });

  const authenticate: NonNullable<AedesOptions['authenticate']> = (client, username, password, done) => {
    const c = client as unknown as WithIdentity;
    if (username === API_MQTT_USER) {
      const given = password ? Buffer.from(password) : Buffer.alloc(0);
      if (given.length === internalSecret.length && timingSafeEqual(given, internalSecret)) {
        c[IDENTITY] = { kind: 'internal' };
        return done(null, true);
      }
      return done(refuse(4, 'bad username or password') as never, false);
    }
    if (client.id.startsWith(RESERVED_CLIENT_ID_PREFIX)) {
      return done(refuse(2, `client id ${client.id} is reserved for fleetbook's own clients`) as never, false);
    }
    if (!options.enforce) {
      c[IDENTITY] = { kind: 'open' };
      return done(null, true);
    }
    if (username === undefined || username === '') {
      c[IDENTITY] = { kind: 'anonymous' };
      return done(null, true);
    }
    lookup(username, password ? password.toString('utf8') : '')
      .then((identity) => {
        if (!identity) return done(refuse(4, 'bad username or password') as never, false);
        c[IDENTITY] = identity;
        done(null, true);
      })
      .catch(() => done(refuse(4, 'credentials could not be checked') as never, false));
  };

  async function lookup(deviceId: string, password: string): Promise<Identity | null> {
    const row = await db
      .selectFrom('device_credentials')
      .innerJoin('devices', 'devices.id', 'device_credentials.device_id')
      .select(['devices.id', 'devices.site_id', 'devices.role', 'device_credentials.password_hash'])
      .where('devices.id', '=', deviceId)
      .executeTakeFirst();
    if (row)
      return verifyDevicePassword(password, row.password_hash)
        ? { kind: 'device', deviceId: row.id, siteId: row.site_id, role: row.role }
        : null;
    // Not a device: ChirpStack's integration user (`fleetbook device chirpstack-token`)?
    const user = await db
      .selectFrom('mqtt_integration_users')
      .select(['username', 'password_hash'])
      .where('username', '=', deviceId)
      .executeTakeFirst();
    if (!user || !verifyDevicePassword(password, user.password_hash)) return null;
    return { kind: 'chirpstack', username: user.username };
  }

  const authorizePublish: NonNullable<AedesOptions['authorizePublish']> = (client, packet, done) => {
    // Wills of vanished clients (client null) are re-checked against nothing: allow.
    const identity = client ? (client as unknown as WithIdentity)[IDENTITY] : { kind: 'internal' as const };
    if (!identity || identity.kind === 'internal' || identity.kind === 'open') return done(null);
    if (
      identity.kind === 'device' &&
      identity.siteId &&
      devicePublishTopics(identity.siteId, identity.deviceId, identity.role).includes(packet.topic)
    ) {
      return done(null);
    }
    // ChirpStack publishes its events (up, join, ack, txack, status…) and nothing else.
    if (identity.kind === 'chirpstack' && topicMatches(chirpstack.eventFilter(), packet.topic)) return done(null);
    done(new Error(`not authorised to publish on ${packet.topic}`));
  };

  const authorizeSubscribe: NonNullable<AedesOptions['authorizeSubscribe']> = (client, sub, done) => {
    const identity = (client as unknown as WithIdentity)[IDENTITY];
    if (!identity || identity.kind === 'internal' || identity.kind === 'open') return done(null, sub);
    if (
      identity.kind === 'device' &&
      identity.siteId &&
      sub.topic === `${TOPIC_ROOT}/${identity.siteId}/${identity.deviceId}/cmd`
    )
      return done(null, sub);
    // ChirpStack reads the downlink commands fleetbook queues (command/down), and only those topics.
    if (
      identity.kind === 'chirpstack' &&
      (sub.topic === chirpstack.commandFilter() ||
        (!/[#+]/.test(sub.topic) && topicMatches(chirpstack.commandFilter(), sub.topic)))
    ) {
      return done(null, sub);
    }
    // A refused subscription gets a failure SUBACK (0x80); the connection stays up.
    done(null, null);
  };

  return { aedes: { authenticate, authorizePublish, authorizeSubscribe }, internal, enforce: options.enforce };
}

/** MQTT filter matching (`+` one level, `#` the rest). */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length || (f[i] !== '+' && f[i] !== t[i])) return false;
  }
  return f.length === t.length;
}

export const CHIRPSTACK_MQTT_USER = 'chirpstack';

/**
 * Issues (or rotates) the password of ChirpStack's MQTT integration user on fleetbook's broker.
 * Printed once; only the hash is kept (the embedded broker checks it, `mosquitto export` copies it).
 */
export async function issueChirpstackToken(
  db: Kysely<Database>,
  who: string,
  username = CHIRPSTACK_MQTT_USER,
): Promise<{ username: string; password: string }> {
  if (
    !/^[A-Za-z][A-Za-z0-9_.-]{0,63}$/.test(username) ||
    username.startsWith(RESERVED_CLIENT_ID_PREFIX) ||
    /^(dev|gw)_/.test(username)
  ) {
    throw new Error(
      `username ${username}: expected letters, digits, _ . - (not fleetbook-…, dev_… or gw_…, which name fleetbook and devices)`,
    );
  }
  const password = `fbi_${randomBytes(32).toString('base64url')}`;
  const hash = hashDevicePassword(password);
  await db
    .insertInto('mqtt_integration_users')
    .values({ username, kind: 'chirpstack', password_hash: hash, created_by: who })
    .onConflict((oc) => oc.column('username').doUpdateSet({ password_hash: hash, created_by: who }))
    .execute();
  return { username, password };
}
