import { randomBytes } from 'node:crypto';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { createToken } from '../../data-api/src/kernel/auth/service.ts';
import { json, type Database } from '../../data-api/src/kernel/db/index.ts';
import {
  forgetIngestSession,
  startIngest,
  type IngestHandle,
  type IngestOptions,
} from '../../data-api/src/telemetry/ingest/service.ts';
import type { TestApp } from '../helpers/app.ts';
import type { Kysely } from 'kysely';

// Shared by the ingest / telemetry / monitor / alerts / commands / metrics integration
// tests. Every test uses its own ids (a random tag), topics and MQTT client ids, so files
// running in parallel against one Mosquitto never see each other's data as their own.

export const onMosquitto = () => !!process.env.TEST_MQTT_URL;
export const backendName = () =>
  `${process.env.TEST_DATABASE_URL ? 'PostgreSQL' : 'PGlite'} + ${onMosquitto() ? 'Mosquitto' : 'aedes'}`;

/** A short random tag for ids: `dev_<tag>-1`. */
export const tag = () => randomBytes(4).toString('hex');

export interface Fleet {
  customer: string;
  sites: string[];
  devices: Record<string, { id: string; site: string; product: string }>;
}

/** Inserts a customer, its sites and devices straight into the registry tables. */
export async function seedFleet(
  db: Kysely<Database>,
  t: string,
  spec: {
    sites: number;
    devices: Array<{
      name: string;
      site?: number;
      role?: 'gateway' | 'sensor' | 'controller';
      heartbeat_interval_s?: number;
      external_refs?: Record<string, unknown>;
    }>;
  },
  customer = `cus_${t}`,
): Promise<Fleet> {
  await db
    .insertInto('customers')
    .values({ id: customer, name: `Customer ${t}` })
    .onConflict((c) => c.doNothing())
    .execute();
  const sites: string[] = [];
  for (let i = 0; i < spec.sites; i++) {
    const id = `site_${t}-${i + 1}`;
    sites.push(id);
    await db.insertInto('sites').values({ id, customer_id: customer, name: id, timezone: 'UTC' }).execute();
  }
  const devices: Fleet['devices'] = {};
  for (const d of spec.devices) {
    const role = d.role ?? 'sensor';
    const id = `${role === 'gateway' ? 'gw' : 'dev'}_${t}-${d.name}`;
    const site = sites[d.site ?? 0]!;
    const product = role === 'gateway' ? 'lorawan-gw' : 'soil-probe';
    await db
      .insertInto('devices')
      .values({
        id,
        site_id: site,
        customer_id: customer,
        product_code: product,
        role,
        desired_state: json({}),
        observed_state: json({}),
        external_refs: json(d.external_refs ?? {}),
        heartbeat_interval_s: d.heartbeat_interval_s ?? 60,
      } as never)
      .execute();
    devices[d.name] = { id, site, product };
  }
  return { customer, sites, devices };
}

export const topic = (site: string, device: string, kind: string) => `fleetbook/v1/${site}/${device}/${kind}`;

/** Starts an ingest on the test app with a unique session (and share group on Mosquitto). */
export async function startTestIngest(
  t: TestApp,
  overrides: Partial<IngestOptions> = {},
): Promise<IngestHandle & { instance: string; forget(): Promise<void> }> {
  const instance = overrides.instance ?? `test-${tag()}`;
  const handle = await startIngest(t.ctx, {
    instance,
    sharedGroup: onMosquitto() ? `g${tag()}` : null,
    ...overrides,
  });
  return {
    ...handle,
    instance,
    async forget() {
      await handle.stop();
      await forgetIngestSession(t.testBroker.url, instance).catch(() => {});
    },
  };
}

export async function connectDevice(url: string, options: IClientOptions = {}): Promise<MqttClient> {
  const client = mqtt.connect(url, {
    clientId: `t-${tag()}`,
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: 5000,
    ...options,
  });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  return client;
}

export const publish = (
  client: MqttClient,
  t: string,
  payload: unknown,
  opts: { qos?: 0 | 1; retain?: boolean } = {},
) =>
  client.publishAsync(t, Buffer.isBuffer(payload) || typeof payload === 'string' ? payload : JSON.stringify(payload), {
    qos: opts.qos ?? 1,
    retain: opts.retain ?? false,
  });

export async function bearer(
  db: Kysely<Database>,
  role: 'viewer' | 'operator' | 'admin',
  customerId: string | null = null,
): Promise<Record<string, string>> {
  const token = await createToken(db, { name: `${role}-${tag()}`, role, customerId });
  return { authorization: `Bearer ${token.token}` };
}

export const count = async (
  db: Kysely<Database>,
  table: 'telemetry' | 'dead_letters',
  where: (q: any) => any = (q) => q,
) =>
  Number((await where(db.selectFrom(table).select((eb: any) => eb.fn.countAll().as('n'))).executeTakeFirstOrThrow()).n);

export const nowS = () => Date.now() / 1000;
