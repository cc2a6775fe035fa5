// ChirpStack both ways, with ChirpStack's own messages: uplinks built with every field of its
// UplinkEvent (from @chirpstack/chirpstack-api, written as pbjson like its MQTT integration),
// downlinks checked against its DownlinkCommand, settled by its TxAckEvent / AckEvent. The
// stand-in for ChirpStack is an MQTT client on the real broker; its integration user logs in
// on the embedded broker with `fleetbook device chirpstack-token`'s credentials.
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../data-api/src/telemetry/broker/embedded.ts';
import { json } from '../../data-api/src/kernel/db/index.ts';
import { createBrokerSecurity, issueChirpstackToken } from '../../data-api/src/telemetry/ingest/credentials.ts';
import { buildMosquittoExport } from '../../data-api/src/telemetry/ingest/mosquitto-export.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { ackEvent, fieldNames, fullUplinkEvent, integration, txAckEvent } from '../helpers/chirpstack.ts';
import {
  backendName,
  bearer,
  connectDevice,
  publish,
  seedFleet,
  startTestIngest,
  tag,
  type Fleet,
} from './ingest-fixtures.ts';

describe(`ChirpStack v4 both ways (${backendName()})`, () => {
  let t: TestApp;
  let fleet: Fleet;
  let ingest: Awaited<ReturnType<typeof startTestIngest>>;
  let chirpstack: MqttClient;
  const downlinks: Array<{ topic: string; body: Record<string, unknown> }> = [];
  const id = tag();
  const eui = randomBytes(8).toString('hex');
  const app = randomUUID();
  const event = (name: string) => `application/${app}/device/${eui}/event/${name}`;

  beforeAll(async () => {
    t = await createTestApp();
    fleet = await seedFleet(t.ctx.db, id, {
      sites: 1,
      devices: [{ name: 'soil', external_refs: { chirpstack: { dev_eui: eui, device_id: eui, application_id: app } } }],
    });
    // The product's encoder: set_interval → opcode 0x01, interval_s as u16, confirmed, fPort 10.
    const product = await t.ctx.db
      .selectFrom('products')
      .select('spec')
      .where('code', '=', 'soil-probe')
      .executeTakeFirstOrThrow();
    const commands = [
      {
        action: 'set_interval',
        description: 'Reporting interval',
        params: [{ name: 'interval_s', type: 'integer', min: 60, max: 86400 }],
        lorawan: { f_port: 10, confirmed: true, opcode: 1, fields: [{ param: 'interval_s', type: 'u16' }] },
      },
      { action: 'blink', description: 'Blink the LED', lorawan: { f_port: 11, opcode: 2 } },
      { action: 'reboot', description: 'No LoRaWAN encoding declared' },
    ];
    await t.ctx.db
      .updateTable('products')
      .set({ spec: json({ ...product.spec, commands }) })
      .where('code', '=', 'soil-probe')
      .execute();
    ingest = await startTestIngest(t, { chirpstack: true });
    chirpstack = await connectDevice(t.testBroker.url);
    chirpstack.on('message', (topic, payload) => downlinks.push({ topic, body: JSON.parse(payload.toString()) }));
    await chirpstack.subscribeAsync('application/+/device/+/command/+', { qos: 1 });
  });
  afterAll(async () => {
    await chirpstack?.endAsync();
    await ingest?.forget();
    await t?.close();
  });

  it('subscribes to up, ack and txack on ChirpStack’s default event topic', () => {
    for (const e of ['up', 'ack', 'txack'])
      expect(ingest.subscriptions.some((s) => s.endsWith(`application/+/device/+/event/${e}`))).toBe(true);
  });

  it('stores every value of a real-shaped UplinkEvent (every field set; camelCase, Capitalised, hyphenated, nested, text numbers, booleans)', async () => {
    const dev = fleet.devices.soil!.id;
    const object = {
      batteryVoltage: 3.61,
      Temperature: 24.5,
      'soil-moisture': 31.2,
      soil: { tempC: '18.5', ec: 0.8 },
      valveOpen: true,
      counter: '42',
    };
    const up = fullUplinkEvent(eui, app, object);
    // Every field of ChirpStack's UplinkEvent (and of its DeviceInfo) is in the message.
    expect(fieldNames(integration.UplinkEvent).filter((f) => !(f in up))).toEqual([]);
    expect(fieldNames(integration.DeviceInfo).filter((f) => !(f in up.deviceInfo))).toEqual([]);
    expect(up.rxInfo[1]).toMatchObject({
      crcStatus: 'CRC_OK',
      metadata: { region_config_id: 'as923' },
      timeSinceGpsEpoch: '1400000000.5s',
    });
    expect(up.txInfo.modulation.lora).toMatchObject({ codeRate: 'CR_4_5', spreadingFactor: 7 });
    await publish(chirpstack, event('up'), up);
    await expect
      .poll(() => t.ctx.db.selectFrom('telemetry').selectAll().where('device_id', '=', dev).execute(), {
        timeout: 10_000,
      })
      .toHaveLength(1);
    const row = await t.ctx.db
      .selectFrom('telemetry')
      .selectAll()
      .where('device_id', '=', dev)
      .executeTakeFirstOrThrow();
    expect(row.msg_id).toBe(up.deduplicationId);
    expect(row.metrics).toEqual({
      battery_voltage: 3.61,
      temperature: 24.5,
      soil_moisture: 31.2,
      soil_temp_c: 18.5,
      soil_ec: 0.8,
      valve_open: 1,
      counter: 42,
      rssi_dbm: -97,
      snr_db: 7.5,
    });
    const device = await t.ctx.db
      .selectFrom('devices')
      .select(['status', 'observed_state'])
      .where('id', '=', dev)
      .executeTakeFirstOrThrow();
    expect(device.observed_state).toMatchObject({
      f_cnt: 10233,
      f_port: 2,
      dr: 5,
      frequency_hz: 923_400_000,
      dev_addr: '00189440',
      rssi_dbm: -97,
      snr_db: 7.5,
      gateway_id: '0016c001f11a2b3c',
    });
    expect(await t.ctx.db.selectFrom('dead_letters').select('reason').where('device_id', '=', dev).execute()).toEqual(
      [],
    );
  });

  it('keeps what it can map, names the rest in a partial dead letter, and counts it in /metrics', async () => {
    const dev = fleet.devices.soil!.id;
    const up = fullUplinkEvent(eui, app, {
      batteryVoltage: 3.58,
      status: 'ok',
      samples: [1, 2],
      deep: { a: { b: 1 } },
      '1wire': 5,
      nothing: null,
    });
    await publish(chirpstack, event('up'), up);
    await expect
      .poll(() => t.ctx.db.selectFrom('dead_letters').select('reason').where('device_id', '=', dev).execute(), {
        timeout: 10_000,
      })
      .toHaveLength(1);
    expect(
      await t.ctx.db
        .selectFrom('dead_letters')
        .select(['reason', 'detail', 'device_id'])
        .where('device_id', '=', dev)
        .execute(),
    ).toEqual([
      {
        reason: 'partial',
        device_id: dev,
        detail:
          // (a protobuf Struct keeps its keys sorted)
          'stored 3 metric(s); not mapped: 1wire ("1wire" is not a metric name (a-z first, then a-z 0-9 _)); ' +
          'deep.a (an object nested more than one level); nothing (null); samples (an array); status (text "ok")',
      },
    ]);
    const row = await t.ctx.db
      .selectFrom('telemetry')
      .select('metrics')
      .where('msg_id', '=', up.deduplicationId)
      .executeTakeFirstOrThrow();
    expect(row.metrics).toEqual({ battery_voltage: 3.58, rssi_dbm: -97, snr_db: 7.5 });
    const metrics = await t.app.inject({ method: 'GET', url: '/metrics', headers: await bearer(t.ctx.db, 'viewer') });
    expect(metrics.body).toMatch(/^fleetbook_ingest_dead_letters_total\{reason="partial"\} 1$/m);
  });

  it('a command becomes a ChirpStack downlink (the product’s encoder, fPort, confirmed), settled by txack then ack', async () => {
    const dev = fleet.devices.soil!.id;
    const headers = await bearer(t.ctx.db, 'operator');
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/v1/devices/${dev}/commands`,
      headers,
      payload: { action: 'set_interval', params: { interval_s: 900 } },
    });
    expect(res.statusCode).toBe(202);
    const cmd = res.json();
    await expect.poll(() => downlinks.length, { timeout: 10_000 }).toBe(1);
    const down = downlinks[0]!;
    expect(down.topic).toBe(`application/${app}/device/${eui}/command/down`);
    // ChirpStack's DownlinkCommand has these fields; pbjson refuses unknown ones.
    expect(Object.keys(down.body).filter((k) => !fieldNames(integration.DownlinkCommand).includes(k))).toEqual([]);
    expect(down.body).toMatchObject({ devEui: eui, confirmed: true, fPort: 10 });
    expect([...Buffer.from(down.body.data as string, 'base64')]).toEqual([0x01, 0x03, 0x84]); // opcode 1, 900 big-endian
    const queueItemId = down.body.id as string;

    await publish(chirpstack, event('txack'), txAckEvent(eui, app, queueItemId));
    const status = async () =>
      (await t.app.inject({ method: 'GET', url: `/api/v1/devices/${dev}/commands/${cmd.cmd_id}`, headers })).json();
    await expect.poll(async () => (await status()).status, { timeout: 10_000 }).toBe('accepted');
    await publish(chirpstack, event('ack'), ackEvent(eui, app, queueItemId, true));
    await expect.poll(async () => (await status()).status, { timeout: 10_000 }).toBe('done');
    expect((await status()).detail).toBe('acknowledged by the device');
  });

  it('an unconfirmed downlink is done once transmitted; a confirmed one the device did not acknowledge fails', async () => {
    const dev = fleet.devices.soil!.id;
    const headers = await bearer(t.ctx.db, 'operator');
    const blink = (
      await t.app.inject({
        method: 'POST',
        url: `/api/v1/devices/${dev}/commands`,
        headers,
        payload: { action: 'blink' },
      })
    ).json();
    const interval = (
      await t.app.inject({
        method: 'POST',
        url: `/api/v1/devices/${dev}/commands`,
        headers,
        payload: { action: 'set_interval', params: { interval_s: 60 } },
      })
    ).json();
    await expect.poll(() => downlinks.length, { timeout: 10_000 }).toBe(3);
    const [b, i] = downlinks.slice(1);
    expect(b!.body).toMatchObject({ confirmed: false, fPort: 11, data: 'Ag==' });
    await publish(chirpstack, event('txack'), txAckEvent(eui, app, b!.body.id as string));
    await publish(chirpstack, event('ack'), ackEvent(eui, app, i!.body.id as string, false));
    const get = async (c: string) =>
      (await t.app.inject({ method: 'GET', url: `/api/v1/devices/${dev}/commands/${c}`, headers })).json();
    await expect
      .poll(async () => [(await get(blink.cmd_id)).status, (await get(interval.cmd_id)).status], { timeout: 10_000 })
      .toEqual(['done', 'failed']);
    expect((await get(interval.cmd_id)).detail).toBe('the device did not acknowledge the confirmed downlink');
    // An ack for a downlink fleetbook never queued is a dead letter, not a silent drop.
    await publish(chirpstack, event('ack'), ackEvent(eui, app, randomUUID(), true));
    await expect
      .poll(
        () =>
          t.ctx.db
            .selectFrom('dead_letters')
            .select('reason')
            .where('reason', '=', 'unknown_command')
            .where('device_id', '=', dev)
            .execute(),
        { timeout: 10_000 },
      )
      .toHaveLength(1);
  });

  it('bad input: params that do not fit the encoder (400, naming the field), an action without an encoding (409)', async () => {
    const dev = fleet.devices.soil!.id;
    const headers = await bearer(t.ctx.db, 'operator');
    // An action the product does not declare never reaches the encoder: the API's one rule (400
    // at body.action), nothing recorded, no downlink (the next downlink is the blink sent after it).
    const before = downlinks.length;
    const undeclared = await t.app.inject({
      method: 'POST',
      url: `/api/v1/devices/${dev}/commands`,
      headers,
      payload: { action: 'factory_reset' },
    });
    expect(undeclared.statusCode).toBe(400);
    expect(undeclared.json().issues).toEqual([
      {
        path: 'body.action',
        message: 'soil-probe declares no command factory_reset; it declares: set_interval, blink, reboot',
      },
    ]);
    const stored = await t.ctx.db
      .selectFrom('commands')
      .select('id')
      .where('device_id', '=', dev)
      .where('action', '=', 'factory_reset')
      .execute();
    expect(stored).toEqual([]);
    const blink = await t.app.inject({
      method: 'POST',
      url: `/api/v1/devices/${dev}/commands`,
      headers,
      payload: { action: 'blink' },
    });
    expect(blink.statusCode).toBe(202);
    await expect.poll(() => downlinks.length, { timeout: 10_000 }).toBe(before + 1);
    expect(downlinks[before]!.body).toMatchObject({ fPort: 11, data: 'Ag==' });

    const big = await t.app.inject({
      method: 'POST',
      url: `/api/v1/devices/${dev}/commands`,
      headers,
      payload: { action: 'set_interval', params: { interval_s: 70000 } },
    });
    expect(big.statusCode).toBe(400);
    expect(big.json().issues).toEqual([
      { path: 'body.params.interval_s', message: '70000 does not fit u16 (0–65535)' },
    ]);
    const none = await t.app.inject({
      method: 'POST',
      url: `/api/v1/devices/${dev}/commands`,
      headers,
      payload: { action: 'reboot' },
    });
    expect(none.statusCode).toBe(409);
    expect(none.json().message).toBe(
      'product soil-probe declares no LoRaWAN encoding for action reboot (commands[].lorawan in its product page): there are no downlink bytes to send',
    );
  });
});

describe('ChirpStack’s integration user on the embedded broker', () => {
  let t: TestApp;
  let broker: EmbeddedBroker;
  let url: string;
  beforeAll(async () => {
    t = await createTestApp();
    const security = createBrokerSecurity(t.ctx.db, { enforce: true });
    broker = await startEmbeddedBroker({ host: '127.0.0.1', port: 0, aedes: security.aedes });
    url = `mqtt://127.0.0.1:${broker.port}`;
  });
  afterAll(async () => {
    await broker?.close();
    await t?.close();
  });

  it('logs in with chirpstack-token’s password, publishes events, reads command topics, and nothing else', async () => {
    const issued = await issueChirpstackToken(t.ctx.db, 'test');
    expect(issued.username).toBe('chirpstack');
    const stored = await t.ctx.db
      .selectFrom('mqtt_integration_users')
      .select('password_hash')
      .executeTakeFirstOrThrow();
    expect(stored.password_hash).not.toContain(issued.password);
    const cs = await connectDevice(url, { username: issued.username, password: issued.password });
    const granted = await cs.subscribeAsync('application/+/device/+/command/+', { qos: 1 });
    expect(granted.map((g) => g.qos)).toEqual([1]);
    await expect(cs.subscribeAsync('fleetbook/v1/#', { qos: 1 })).rejects.toThrow(/Subscribe error/);
    await cs.publishAsync(`application/${randomUUID()}/device/${'ab'.repeat(8)}/event/up`, '{}', { qos: 1 });
    const closed = new Promise<void>((resolve) => cs.once('close', () => resolve()));
    cs.publish('fleetbook/v1/site_x/dev_x/telemetry', '{}', { qos: 1 });
    await closed;
    const wrong = mqtt.connect(url, { username: 'chirpstack', password: 'nope', reconnectPeriod: 0 });
    await expect(new Promise((_, reject) => wrong.once('error', reject))).rejects.toThrow(/Bad username or password/i);
    wrong.end(true);

    // The Mosquitto export carries the same user, with the READ on command topics downlinks need.
    const exported = await buildMosquittoExport(t.ctx.db, {
      apiPassword: 'x',
      dir: '/etc/mosquitto/fleetbook',
      persistenceDir: null,
    });
    expect(exported.passwd.split('\n').find((l) => l.startsWith('chirpstack:'))).toBe(
      `chirpstack:${stored.password_hash}`,
    );
    const acl = exported.acl.split('\n');
    const user = acl.indexOf('user chirpstack');
    expect(acl.slice(user, user + 3)).toEqual([
      'user chirpstack',
      'topic write application/+/device/+/event/+',
      'topic read application/+/device/+/command/+',
    ]);
    const api = acl.indexOf('user fleetbook-api');
    expect(acl.slice(api, api + 10)).toContain('topic write application/+/device/+/command/+');
  });
});
