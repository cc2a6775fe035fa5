import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../data-api/src/telemetry/broker/embedded.ts';
import {
  createBrokerSecurity,
  issueDeviceToken,
  type BrokerSecurity,
} from '../../data-api/src/telemetry/ingest/credentials.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { bearer, seedFleet, tag, topic, type Fleet } from './ingest-fixtures.ts';

// contracts.md: "Device identity on the broker: username = device id, password = device
// token. The embedded broker enforces that a device publishes only under its own
// {site_id}/{device_id}." These run against the embedded broker (aedes) whatever the
// environment: it is the one that enforces the rules itself.

const t0 = tag();

function connect(url: string, options: mqtt.IClientOptions = {}): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(url, {
      clientId: `acl-${tag()}`,
      protocolVersion: 4,
      reconnectPeriod: 0,
      connectTimeout: 5000,
      ...options,
    });
    client.once('connect', () => resolve(client));
    client.once('error', (err) => {
      client.end(true);
      reject(err);
    });
  });
}

/** Resolves 'closed' if the broker drops the connection after a publish, 'acked' if it acknowledges it. */
function publishOutcome(
  client: MqttClient,
  t: string,
  payload: string,
  options: { retain?: boolean } = {},
): Promise<'acked' | 'closed'> {
  return new Promise((resolve) => {
    client.once('close', () => resolve('closed'));
    client.publish(t, payload, { qos: 1, ...options }, (err) => {
      if (!err) resolve('acked');
    });
  });
}

describe('embedded broker credentials and ACL (aedes)', () => {
  let t: TestApp;
  let fleet: Fleet;
  let broker: EmbeddedBroker;
  let security: BrokerSecurity;
  let url: string;
  let observer: MqttClient;
  const seen: string[] = [];
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    t = await createTestApp();
    fleet = await seedFleet(t.ctx.db, t0, {
      sites: 2,
      devices: [{ name: 'a' }, { name: 'b' }, { name: 'gw', role: 'gateway' }, { name: 'no-token' }],
    });
    security = createBrokerSecurity(t.ctx.db, { enforce: true });
    broker = await startEmbeddedBroker({ host: '127.0.0.1', port: 0, aedes: security.aedes });
    url = `mqtt://127.0.0.1:${broker.port}`;
    for (const name of ['a', 'b', 'gw'])
      tokens[name] = (await issueDeviceToken(t.ctx.db, 'test', fleet.devices[name]!.id)).password;
    observer = await connect(url, { ...security.internal });
    observer.on('message', (topicName) => seen.push(topicName));
    await observer.subscribeAsync('fleetbook/v1/#', { qos: 1 });
  });
  afterAll(async () => {
    await observer?.endAsync();
    await broker?.close();
    await t?.close();
  });

  const dev = (name: string) => fleet.devices[name]!;

  it('lets a device with its token publish under its own site and id', async () => {
    const a = await connect(url, { username: dev('a').id, password: tokens.a });
    const own = topic(dev('a').site, dev('a').id, 'telemetry');
    expect(await publishOutcome(a, own, '{}')).toBe('acked');
    await expect.poll(() => seen).toContain(own);
    await a.endAsync();
  });

  it('drops a device that publishes as another device, and delivers nothing', async () => {
    const a = await connect(url, { username: dev('a').id, password: tokens.a });
    const foreign = topic(dev('b').site, dev('b').id, 'telemetry');
    expect(await publishOutcome(a, foreign, '{"spoofed":true}')).toBe('closed');
    const wrongSite = topic(fleet.sites[1]!, dev('a').id, 'telemetry');
    const again = await connect(url, { username: dev('a').id, password: tokens.a });
    expect(await publishOutcome(again, wrongSite, '{}')).toBe('closed');
    expect(seen).not.toContain(foreign);
    expect(seen).not.toContain(wrongSite);
  });

  it('lets only gateways publish batches', async () => {
    const a = await connect(url, { username: dev('a').id, password: tokens.a });
    expect(await publishOutcome(a, topic(dev('a').site, dev('a').id, 'batch'), '[]')).toBe('closed');
    const gw = await connect(url, { username: dev('gw').id, password: tokens.gw });
    expect(await publishOutcome(gw, topic(dev('gw').site, dev('gw').id, 'batch'), '[]')).toBe('acked');
    await gw.endAsync();
  });

  it('refuses a wrong token, an unknown device and a device without a token at CONNECT', async () => {
    await expect(connect(url, { username: dev('a').id, password: 'fbd_wrong' })).rejects.toThrow(
      /Bad username or password/i,
    );
    await expect(connect(url, { username: `dev_${t0}-ghost`, password: tokens.a })).rejects.toThrow(
      /Bad username or password/i,
    );
    await expect(connect(url, { username: dev('no-token').id, password: 'anything' })).rejects.toThrow(
      /Bad username or password/i,
    );
    await expect(connect(url, { username: 'fleetbook-api', password: 'guess' })).rejects.toThrow(
      /Bad username or password/i,
    );
  });

  it('stops a rotated token working at the next connect', async () => {
    const old = tokens.b;
    const fresh = (await issueDeviceToken(t.ctx.db, 'test', dev('b').id)).password;
    await expect(connect(url, { username: dev('b').id, password: old })).rejects.toThrow(/Bad username or password/i);
    const b = await connect(url, { username: dev('b').id, password: fresh });
    await b.endAsync();
  });

  it('lets anonymous clients connect (probes) but neither publish nor subscribe', async () => {
    const anon = await connect(url);
    // A refused subscription is a failure SUBACK (0x80), which mqtt.js reports as an error.
    await expect(anon.subscribeAsync('fleetbook/v1/#', { qos: 1 })).rejects.toThrow(/Subscribe error/);
    expect(await publishOutcome(anon, topic(dev('a').site, dev('a').id, 'telemetry'), '{}')).toBe('closed');
  });

  it('lets a device subscribe to its own cmd topic only', async () => {
    const a = await connect(url, { username: dev('a').id, password: tokens.a });
    const own = await a.subscribeAsync(topic(dev('a').site, dev('a').id, 'cmd'), { qos: 1 });
    expect(own[0]!.qos).toBe(1);
    await expect(a.subscribeAsync(topic(dev('b').site, dev('b').id, 'cmd'), { qos: 1 })).rejects.toThrow(
      /Subscribe error/,
    );
    await expect(a.subscribeAsync('fleetbook/v1/#', { qos: 1 })).rejects.toThrow(/Subscribe error/);
    await a.endAsync();
  });

  it('with enforcement off (FLEETBOOK_MQTT_AUTH=off), lets anyone publish', async () => {
    const open = createBrokerSecurity(t.ctx.db, { enforce: false });
    const openBroker = await startEmbeddedBroker({ host: '127.0.0.1', port: 0, aedes: open.aedes });
    try {
      const anon = await connect(`mqtt://127.0.0.1:${openBroker.port}`);
      expect(await publishOutcome(anon, topic(dev('a').site, dev('a').id, 'telemetry'), '{}')).toBe('acked');
      await anon.endAsync();
    } finally {
      await openBroker.close();
    }
  });

  // Issue 11, defect 2: a device's own credentials with `clientId: fleetbook-ingest-<instance>`
  // took over the ingest's session (it received other tenants' telemetry, and the two
  // disconnected each other in a loop).
  it('refuses a fleetbook-* client id to anyone but fleetbook itself, and the ingest keeps its session', async () => {
    const ingestId = `fleetbook-ingest-${t0}`;
    const ingest = await connect(url, { ...security.internal, clientId: ingestId, clean: false });
    await ingest.subscribeAsync('fleetbook/v1/#', { qos: 1 });
    let ingestClosed = false;
    ingest.on('close', () => (ingestClosed = true));
    try {
      await expect(connect(url, { username: dev('a').id, password: tokens.a, clientId: ingestId })).rejects.toThrow(
        /Identifier rejected/i,
      );
      await expect(
        connect(url, { username: dev('a').id, password: tokens.a, clientId: 'fleetbook-api-1' }),
      ).rejects.toThrow(/Identifier rejected/i);
      await expect(connect(url, { clientId: ingestId })).rejects.toThrow(/Identifier rejected/i); // anonymous
      const open = createBrokerSecurity(t.ctx.db, { enforce: false });
      const openBroker = await startEmbeddedBroker({ host: '127.0.0.1', port: 0, aedes: open.aedes });
      try {
        await expect(connect(`mqtt://127.0.0.1:${openBroker.port}`, { clientId: ingestId })).rejects.toThrow(
          /Identifier rejected/i,
        );
      } finally {
        await openBroker.close();
      }
      // Its own client id, its own session: still fine for a device.
      const a = await connect(url, { username: dev('a').id, password: tokens.a, clientId: dev('a').id });
      await a.endAsync();
      await new Promise((r) => setTimeout(r, 200));
      expect(ingestClosed).toBe(false);
      expect(ingest.connected).toBe(true);
    } finally {
      await ingest.endAsync(true);
    }
  });

  it('issues a device token through the admin route, shown once and stored hashed', async () => {
    const admin = await bearer(t.ctx.db, 'admin');
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/v1/devices/${dev('gw').id}/mqtt-token`,
      headers: admin,
    });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body).toMatchObject({
      device_id: dev('gw').id,
      username: dev('gw').id,
      site_id: dev('gw').site,
      subscribe_topic: topic(dev('gw').site, dev('gw').id, 'cmd'),
    });
    expect(body.publish_topics).toContain(topic(dev('gw').site, dev('gw').id, 'batch'));
    expect(body.password).toMatch(/^fbd_/);
    const stored = await t.ctx.db
      .selectFrom('device_credentials')
      .select('password_hash')
      .where('device_id', '=', dev('gw').id)
      .executeTakeFirstOrThrow();
    expect(stored.password_hash).toMatch(/^\$7\$101\$/);
    expect(stored.password_hash).not.toContain(body.password);
    const client = await connect(url, { username: body.username, password: body.password });
    await client.endAsync();
    const audit = await t.ctx.db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'device.mqtt_token.issue')
      .where('entity_id', '=', dev('gw').id)
      .execute();
    expect(audit.length).toBeGreaterThan(0);
    expect(JSON.stringify(audit)).not.toContain(body.password);

    const viewer = await bearer(t.ctx.db, 'viewer');
    expect(
      (await t.app.inject({ method: 'POST', url: `/api/v1/devices/${dev('gw').id}/mqtt-token`, headers: viewer }))
        .statusCode,
    ).toBe(403);
    expect(
      (await t.app.inject({ method: 'POST', url: `/api/v1/devices/dev_${t0}-ghost/mqtt-token`, headers: admin }))
        .statusCode,
    ).toBe(404);
  });
});

// Issue 11, defect 8: the embedded broker acknowledged 10 MB publishes, kept a 5 MB retained
// `state`, accepted `retain` on telemetry, and accepted a zero-length client id with a
// persistent session (the Paho interoperability suite's test_zero_length_clientid).
describe('embedded broker limits (aedes): payload size, retain, zero-length client id', () => {
  let broker: EmbeddedBroker;
  let url: string;
  const refusals: string[] = [];
  const site = 'site_limits';
  const device = 'dev_limits-1';

  beforeAll(async () => {
    // No credentials here: the limits hold for every client, before any ACL.
    broker = await startEmbeddedBroker({
      host: '127.0.0.1',
      port: 0,
      maxPayloadBytes: 4096,
      onRefused: (r) => refusals.push(r.reason),
    });
    url = `mqtt://127.0.0.1:${broker.port}`;
  });
  afterAll(() => broker?.close());

  it('refuses a publish above the payload limit (no PUBACK, disconnected) and accepts one at the limit', async () => {
    const c = await connect(url);
    expect(await publishOutcome(c, topic(site, device, 'telemetry'), 'x'.repeat(4096))).toBe('acked');
    expect(await publishOutcome(c, topic(site, device, 'telemetry'), 'x'.repeat(4097))).toBe('closed');
    expect(refusals.at(-1)).toBe(
      `payload of 4097 bytes on ${topic(site, device, 'telemetry')} is above the limit of 4096`,
    );
  });

  it('cuts off a packet announced far above the limit before reading it whole', async () => {
    const c = await connect(url);
    const closed = new Promise<boolean>((resolve) => {
      c.once('close', () => resolve(true));
      setTimeout(() => resolve(false), 10_000);
    });
    c.publish(topic(site, device, 'state'), Buffer.alloc(10 * 1024 * 1024), { qos: 1, retain: true });
    expect(await closed).toBe(true);
    c.end(true);
    expect(refusals.at(-1)).toMatch(/^a packet of \d{8} bytes from \S+ is above 5120$/);
    // Nothing was retained: a new subscriber to the state topic gets nothing.
    const sub = await connect(url);
    const got: string[] = [];
    sub.on('message', (t) => got.push(t));
    await sub.subscribeAsync(topic(site, device, 'state'), { qos: 1 });
    await new Promise((r) => setTimeout(r, 300));
    expect(got).toEqual([]);
    await sub.endAsync();
  });

  it('retains only a device’s state: retain on telemetry, heartbeat or batch is refused', async () => {
    const c = await connect(url);
    const state = JSON.stringify({ schema_version: 1, ts: 1_795_000_000, reported: { mode: 'auto' } });
    expect(await publishOutcome(c, topic(site, device, 'state'), state, { retain: true })).toBe('acked');
    for (const kind of ['telemetry', 'heartbeat', 'batch']) {
      const d = await connect(url);
      expect(await publishOutcome(d, topic(site, device, kind), '{}', { retain: true })).toBe('closed');
      expect(refusals.at(-1)).toBe(
        `retain on ${topic(site, device, kind)}: only a device's state is retained, never its ${kind}`,
      );
    }
    // Clearing a retained message (an empty retained publish) is always allowed.
    const e = await connect(url);
    expect(await publishOutcome(e, topic(site, device, 'telemetry'), '', { retain: true })).toBe('acked');
    await e.endAsync();
    const sub = await connect(url);
    const got: string[] = [];
    sub.on('message', (t) => got.push(t));
    await sub.subscribeAsync(topic(site, device, '+'), { qos: 1 });
    await expect.poll(() => got).toEqual([topic(site, device, 'state')]);
    await sub.endAsync();
    await c.endAsync();
  });

  it('accepts a zero-length client id with a clean session and refuses it without one (MQTT-3.1.3-7/8)', async () => {
    // mqtt.js will not even send the second CONNECT, so both are written by hand.
    expect(await connackFor(broker.port, { clean: true })).toBe(0);
    expect(await connackFor(broker.port, { clean: false })).toBe(2); // identifier rejected
  });
});

/** Sends an MQTT 3.1.1 CONNECT with a zero-length client id and returns the CONNACK return code. */
function connackFor(port: number, options: { clean: boolean }): Promise<number> {
  // 0x10 CONNECT, remaining length 12: protocol "MQTT", level 4, flags, keepalive 60 s, client id "" (length 0).
  const connect = Buffer.from([0x10, 12, 0, 4, 0x4d, 0x51, 0x54, 0x54, 4, options.clean ? 0x02 : 0x00, 0, 60, 0, 0]);
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(connect));
    socket.once('data', (b) => {
      socket.destroy();
      if (b[0] !== 0x20) reject(new Error(`expected a CONNACK, got 0x${b[0]!.toString(16)}`));
      else resolve(b[3]!);
    });
    socket.once('error', reject);
  });
}
