import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { AedesOptions } from 'aedes';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../data-api/src/app.ts';
import { openBroker, type BrokerHandle } from '../../data-api/src/telemetry/broker/index.ts';
import type { AppContext } from '../../data-api/src/kernel/context.ts';
import { createBrokerSecurity } from '../../data-api/src/telemetry/ingest/credentials.ts';
import { buildMosquittoExport, writeMosquittoExport } from '../../data-api/src/telemetry/ingest/mosquitto-export.ts';
import { startIngest, type IngestHandle } from '../../data-api/src/telemetry/ingest/service.ts';
import { startMonitor, type MonitorHandle } from '../../data-api/src/health/monitor/service.ts';
import { PROJECT_ROOT } from '../../data-api/src/kernel/paths.ts';
import { loadProductCatalog } from '../../data-api/src/registry/products.ts';
import { headlessContext } from '../helpers/app.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { buildFirmware, startDevice, type BuiltFirmware, type RunningDevice } from '../helpers/firmware.ts';
import { freePort } from '../helpers/ports.ts';
import { bearer, tag } from './ingest-fixtures.ts';

// Issue 15, "the generated device, for real": the scaffold's POSIX build of pump-ctl 1.5.0 and
// soil-probe runs as a device against the API — first the embedded aedes broker that enforces
// device credentials, then a private Mosquitto configured with `fleetbook mosquitto export`
// (password file + ACL), which the test stops for OUTAGE_S while the device keeps measuring.
// contracts.md: ingest idempotent on msg_id; late data keeps its ts and never flips health.

/** The outage of the store-and-forward test; the acceptance says 30 s. */
const OUTAGE_S = Number(process.env.FIRMWARE_OUTAGE_S ?? 30);
const MOSQUITTO = process.env.MOSQUITTO_BIN ?? '/usr/sbin/mosquitto';

const t = tag();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetbook-fw-device-'));
const SITE = `site_${t}-bench`;
const ids = { pump: `dev_${t}-pump-1`, soil: `dev_${t}-soil-1`, outage: `dev_${t}-pump-2` };

let database: TestDatabase;
let pump: BuiltFirmware;
let soil: BuiltFirmware;
let admin: Record<string, string>;
/** MQTT passwords issued through the API (POST /devices/:id/mqtt-token). */
let tokens: Record<keyof typeof ids, string>;
const devices: RunningDevice[] = [];

/** A fleetbook API (app + ingest, optionally the health monitor) on a broker. */
interface Api {
  app: App;
  ctx: AppContext;
  broker: BrokerHandle;
  ingest: IngestHandle;
  monitor?: MonitorHandle;
  close(): Promise<void>;
}

async function startApi(broker: BrokerHandle, monitor = false): Promise<Api> {
  const ctx = headlessContext(database.handle, { broker });
  const app = await buildApp(ctx);
  await app.ready();
  const ingest = await startIngest(ctx, { instance: `fw-${t}-${broker.kind}`, sharedGroup: null, sites: [SITE] });
  const mon = monitor ? startMonitor(ctx, { instance: `fw-${t}`, intervalMs: 1000 }) : undefined;
  return {
    app,
    ctx,
    broker,
    ingest,
    monitor: mon,
    async close() {
      await mon?.stop();
      await ingest.stop();
      await app.close();
      await broker.close();
    },
  };
}

const call = async (api: Api, method: 'GET' | 'POST', url: string, body?: unknown) => {
  const res = await api.app.inject({
    method,
    url: `/api/v1${url}`,
    headers: { ...admin, ...(body ? { 'content-type': 'application/json' } : {}) },
    payload: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.statusCode, body: res.json() };
};

async function poll<T>(
  fn: () => Promise<T>,
  ok: (v: T) => boolean,
  timeoutMs = 30_000,
  what = 'condition',
): Promise<T> {
  let last: T;
  for (const deadline = Date.now() + timeoutMs; ;) {
    last = await fn();
    if (ok(last)) return last;
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const storedRows = (device: string) =>
  database.handle.db
    .selectFrom('telemetry')
    .select(['msg_id', 'ts', 'metrics', 'received_at'])
    .where('device_id', '=', device)
    .orderBy('ts')
    .execute();

beforeAll(async () => {
  [pump, soil] = await Promise.all([
    buildFirmware('pump-ctl', '1.5.0', { tests: false }),
    buildFirmware('soil-probe', undefined, { tests: false }),
  ]);
  database = await createTestDatabase();
  await loadProductCatalog(database.handle.db, path.join(PROJECT_ROOT, 'docs', 'products'));
  admin = await bearer(database.handle.db, 'admin');
}, 600_000);

afterAll(async () => {
  for (const d of devices) await d.stop();
  await database?.drop();
  for (const dir of [tmp, pump?.dir, soil?.dir]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** Registers the bench site and devices through the API, and issues each device its MQTT token. */
async function register(api: Api): Promise<Record<keyof typeof ids, string>> {
  const customer = `cus_${t}`;
  expect((await call(api, 'POST', '/customers', { id: customer, name: `Bench ${t}` })).status).toBe(201);
  expect((await call(api, 'POST', '/sites', { id: SITE, customer_id: customer, name: 'Firmware bench' })).status).toBe(
    201,
  );
  const specs: Record<
    keyof typeof ids,
    { product_code: string; product_version: string; role: string; heartbeat_interval_s: number }
  > = {
    pump: { product_code: 'pump-ctl', product_version: '1.5.0', role: 'controller', heartbeat_interval_s: 60 },
    soil: { product_code: 'soil-probe', product_version: '1.4.2', role: 'sensor', heartbeat_interval_s: 900 },
    // The outage device: a 5 s heartbeat, so a 30 s outage takes it down (and back up).
    outage: { product_code: 'pump-ctl', product_version: '1.5.0', role: 'controller', heartbeat_interval_s: 5 },
  };
  const issued = {} as Record<keyof typeof ids, string>;
  for (const key of Object.keys(ids) as Array<keyof typeof ids>) {
    expect((await call(api, 'POST', '/devices', { id: ids[key], site_id: SITE, ...specs[key] })).status).toBe(201);
    const res = await call(api, 'POST', `/devices/${ids[key]}/mqtt-token`);
    expect(res.status).toBe(201);
    issued[key] = res.body.password;
  }
  return issued;
}

describe('the scaffolded device against the embedded broker (aedes, credentials enforced)', () => {
  let api: Api;
  let pumpDevice: RunningDevice;
  let soilDevice: RunningDevice;
  const attempts: Array<{ client: string; topic: string; allowed: boolean }> = [];

  beforeAll(async () => {
    const security = createBrokerSecurity(database.handle.db, { enforce: true });
    // Every publish the broker is asked to take, allowed or not, with the client that asked.
    const authorize = security.aedes.authorizePublish!;
    const aedes: AedesOptions = {
      ...security.aedes,
      authorizePublish: (client, packet, done) =>
        authorize(client, packet, (err) => {
          if (client) attempts.push({ client: client.id, topic: packet.topic, allowed: !err });
          done(err);
        }),
    };
    const broker = await openBroker(
      { kind: 'aedes', host: '127.0.0.1', port: 0, aedes, credentials: security.internal },
      `fw-api-${t}`,
    );
    api = await startApi(broker);
    tokens = await register(api);
    const port = Number(new URL(broker.url).port);
    pumpDevice = startDevice(pump.binary, {
      port,
      site: SITE,
      device: ids.pump,
      token: tokens.pump,
      stateDir: path.join(tmp, 'pump-state'),
      interval: 1,
    });
    soilDevice = startDevice(soil.binary, {
      port,
      site: SITE,
      device: ids.soil,
      token: tokens.soil,
      stateDir: path.join(tmp, 'soil-state'),
      interval: 1,
    });
    devices.push(pumpDevice, soilDevice);
    await pumpDevice.waitFor(/connected as /);
    await soilDevice.waitFor(/connected as /);
  }, 120_000);

  afterAll(async () => {
    await pumpDevice?.stop();
    await soilDevice?.stop();
    await api?.close();
  });

  it('stores its telemetry with the catalog’s metric names, and the device is up with its firmware and state', async () => {
    const rows = await poll(
      () => storedRows(ids.pump),
      (r) => r.length >= 3,
      30_000,
      'three pump readings stored',
    );
    expect(Object.keys(rows[0]!.metrics).sort()).toEqual([
      'flow_lpm',
      'motor_current_a',
      'motor_temp_c',
      'pressure_bar',
      'rssi_dbm',
      'run_hours_h',
      'supply_v',
    ]);
    // ts is the device's reading time (its log), not the arrival time.
    const logged = pumpDevice.readings();
    expect(logged.map((r) => r.ts)).toEqual(
      expect.arrayContaining(rows.slice(0, 3).map((r) => new Date(r.ts).getTime() / 1000)),
    );
    const device = await poll(
      () => call(api, 'GET', `/devices/${ids.pump}`),
      (d) => d.body.status === 'up' && !!d.body.observed_state.reported,
      30_000,
      'pump up with its state',
    );
    expect(device.body.observed_state).toMatchObject({
      fw: '1.5.0',
      reported: { setpoint_bar: 4.25, status: 'stopped', buffer: { capacity: 256, dropped: 0 } },
    });

    const soilRows = await poll(
      () => storedRows(ids.soil),
      (r) => r.length >= 2,
      30_000,
      'soil readings stored',
    );
    // The probe's own metrics only: rssi_dbm and snr_db are measured by the network (ChirpStack).
    expect(Object.keys(soilRows[0]!.metrics).sort()).toEqual(['battery_v', 'soil_moisture_pct', 'temp_c']);
    expect((await call(api, 'GET', `/devices/${ids.soil}`)).body.status).toBe('up');
  });

  it('set_setpoint 3.2 round trip: accepted, applied, done, and the retained state says so', async () => {
    const sent = await call(api, 'POST', `/devices/${ids.pump}/commands`, {
      action: 'set_setpoint',
      params: { setpoint_bar: 3.2 },
      expires_in_s: 60,
    });
    expect(sent.status).toBe(202);
    const done = await poll(
      () => call(api, 'GET', `/devices/${ids.pump}/commands/${sent.body.cmd_id}`),
      (c) => ['done', 'failed'].includes(c.body.status),
      20_000,
      'command result',
    );
    expect(done.body).toMatchObject({ status: 'done', detail: 'set setpoint_bar 3.2 bar' });
    await poll(
      () => call(api, 'GET', `/devices/${ids.pump}`),
      (d) => d.body.observed_state.reported?.setpoint_bar === 3.2,
      20_000,
      'state with setpoint 3.2',
    );
    expect(pumpDevice.log()).toContain(`${sent.body.cmd_id} set_setpoint done: set setpoint_bar 3.2 bar`);
  });

  it('an out-of-range setpoint is refused by the API with the range as its reason (the firmware’s rule), and nothing changes', async () => {
    const sent = await call(api, 'POST', `/devices/${ids.pump}/commands`, {
      action: 'set_setpoint',
      params: { setpoint_bar: 12 },
      expires_in_s: 60,
    });
    expect(sent.status).toBe(400);
    expect(sent.body.issues).toEqual([
      { path: 'body.params.setpoint_bar', message: 'setpoint_bar 12 is out of range: expected 0.5 to 8 bar' },
    ]);
    expect((await call(api, 'GET', `/devices/${ids.pump}`)).body.observed_state.reported.setpoint_bar).toBe(3.2);
  });

  it('an expired command is refused, never applied', async () => {
    // The device is frozen while the command's 1 s of life runs out; it then finds it expired.
    pumpDevice.child.kill('SIGSTOP');
    const sent = await call(api, 'POST', `/devices/${ids.pump}/commands`, {
      action: 'set_setpoint',
      params: { setpoint_bar: 5 },
      expires_in_s: 1,
    });
    expect(sent.status).toBe(202);
    await new Promise((r) => setTimeout(r, 2500));
    pumpDevice.child.kill('SIGCONT');
    const refused = await poll(
      () => call(api, 'GET', `/devices/${ids.pump}/commands/${sent.body.cmd_id}`),
      (c) => c.body.status === 'failed',
      20_000,
      'refusal',
    );
    expect(refused.body.detail).toMatch(/^expired at \d+, \d+ s before it arrived: refused$/);
    expect(pumpDevice.log()).toMatch(new RegExp(`${sent.body.cmd_id} set_setpoint refused: expired at`));
    await new Promise((r) => setTimeout(r, 1500));
    expect((await call(api, 'GET', `/devices/${ids.pump}`)).body.observed_state.reported.setpoint_bar).toBe(3.2);
  });

  it('the soil probe takes no command: the API refuses it (its catalog declares none), and so does its firmware', async () => {
    const sent = await call(api, 'POST', `/devices/${ids.soil}/commands`, {
      action: 'set_setpoint',
      params: { setpoint_bar: 3 },
      expires_in_s: 60,
    });
    expect(sent.status).toBe(400);
    expect(sent.body.issues).toEqual([
      { path: 'body.action', message: 'soil-probe 1.4.2 declares no commands: it takes none' },
    ]);
    // The firmware's own rule, for a command that reaches it anyway (published on its cmd topic
    // past the API): it answers failed, unknown action.
    const cmdId = `cmd_${t}-direct`;
    await api.broker.client.publishAsync(
      `fleetbook/v1/${SITE}/${ids.soil}/cmd`,
      JSON.stringify({
        cmd_id: cmdId,
        action: 'set_setpoint',
        params: { setpoint_bar: 3 },
        expires_at: Math.floor(Date.now() / 1000) + 60,
      }),
      { qos: 1 },
    );
    await soilDevice.waitFor(
      new RegExp(`${cmdId} set_setpoint refused: unknown action set_setpoint: this device takes no commands`),
      20_000,
    );
  });

  it('publishes only under its own topics: the broker refused nothing it asked', () => {
    for (const id of [ids.pump, ids.soil]) {
      const mine = attempts.filter((a) => a.client === id);
      expect(mine.length).toBeGreaterThan(5);
      expect(mine.filter((a) => !a.allowed)).toEqual([]);
      expect(mine.filter((a) => !a.topic.startsWith(`fleetbook/v1/${SITE}/${id}/`))).toEqual([]);
      expect(new Set(mine.map((a) => a.topic.split('/').slice(4).join('/')))).toEqual(
        new Set(['telemetry', 'heartbeat', 'state', 'cmd/result']),
      );
      const byKind = mine.reduce<Record<string, number>>(
        (m, a) => ({
          ...m,
          [a.topic.split('/').slice(4).join('/')]: (m[a.topic.split('/').slice(4).join('/')] ?? 0) + 1,
        }),
        {},
      );
      console.info(
        `firmware on aedes: ${id} published ${mine.length} messages ${JSON.stringify(byKind)}, ${mine.filter((a) => !a.allowed).length} refused`,
      );
    }
  });
});

describe(`the scaffolded device against Mosquitto with the exported ACL, broker stopped ${OUTAGE_S} s`, () => {
  let api: Api;
  let port: number;
  /** fleetbook's own listener: on the devices' listener every client is named by its username. */
  let apiPort: number;
  let mosquitto: ChildProcess | null = null;
  let device: RunningDevice;
  let observer: MqttClient;
  const confDir = path.join(tmp, 'mosquitto');
  const arrivals: Array<{ msg_id: string; ts: number }> = [];
  const apiPassword = `api-${t}`;

  async function startMosquitto(): Promise<void> {
    const child = spawn(MOSQUITTO, ['-c', path.join(confDir, 'test.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
    mosquitto = child;
    for (const deadline = Date.now() + 10_000; ;) {
      const open = await new Promise<boolean>((resolve) => {
        const s = net.connect(port, '127.0.0.1');
        s.once('connect', () => (s.destroy(), resolve(true)));
        s.once('error', () => resolve(false));
      });
      if (open) return;
      if (child.exitCode !== null || Date.now() > deadline)
        throw new Error(
          `mosquitto did not start: ${fs.readFileSync(path.join(confDir, 'mosquitto.log'), 'utf8').slice(-2000)}`,
        );
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async function stopMosquitto(): Promise<void> {
    const child = mosquitto!;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM'); // it saves its persistence file on the way out
    await exited;
    mosquitto = null;
  }

  beforeAll(async () => {
    port = await freePort();
    apiPort = await freePort();
    // The registry's users and ACL, exactly as `fleetbook mosquitto export` writes them.
    const exported = await buildMosquittoExport(database.handle.db, {
      apiPassword,
      dir: confDir,
      port,
      apiPort,
      persistenceDir: path.join(confDir, 'data') + '/',
    });
    writeMosquittoExport(confDir, exported);
    fs.mkdirSync(path.join(confDir, 'data'), { recursive: true });
    // Started as root it would drop to the mosquitto user, who cannot read this folder.
    fs.writeFileSync(
      path.join(confDir, 'test.conf'),
      `${fs.readFileSync(path.join(confDir, 'fleetbook.conf'), 'utf8')}user root\nlog_dest file ${path.join(confDir, 'mosquitto.log')}\nlog_type all\n`,
    );
    await startMosquitto();
    const broker = await openBroker(
      { kind: 'external', url: `mqtt://fleetbook-api:${apiPassword}@127.0.0.1:${apiPort}` },
      `fw-api-mosq-${t}`,
    );
    api = await startApi(broker, true);
    // A second subscriber with a persistent session: the order in which readings arrive.
    observer = mqtt.connect(`mqtt://127.0.0.1:${apiPort}`, {
      clientId: `fw-observer-${t}`,
      clean: false,
      username: 'fleetbook-api',
      password: apiPassword,
      reconnectPeriod: 500,
    });
    await new Promise<void>((resolve) => observer.once('connect', () => resolve()));
    observer.on('message', (_topic, payload) => {
      const m = JSON.parse(payload.toString()) as { msg_id: string; ts: number };
      arrivals.push({ msg_id: m.msg_id, ts: m.ts });
    });
    await observer.subscribeAsync(`fleetbook/v1/${SITE}/${ids.outage}/telemetry`, { qos: 1 });
  }, 120_000);

  afterAll(async () => {
    await device?.stop();
    observer?.end(true);
    await api?.close();
    if (mosquitto) await stopMosquitto();
  });

  it(
    `keeps measuring while the broker is down; every buffered reading arrives once, in order, with its ts; health never flips backwards`,
    { timeout: 240_000 },
    async () => {
      device = startDevice(pump.binary, {
        port,
        site: SITE,
        device: ids.outage,
        token: tokens.outage,
        stateDir: path.join(tmp, 'outage-state'),
        interval: 1,
        heartbeat: 5,
      });
      devices.push(device);
      await device.waitFor(/connected as /);
      await poll(
        () => call(api, 'GET', `/devices/${ids.outage}`),
        (d) => d.body.status === 'up',
        30_000,
        'device up',
      );
      await poll(
        () => storedRows(ids.outage),
        (r) => r.length >= 3,
        30_000,
        'readings before the outage',
      );
      const lastSeenBefore = new Date((await call(api, 'GET', `/devices/${ids.outage}`)).body.last_seen).getTime();

      // The outage.
      const takenBefore = device.readings().length;
      await stopMosquitto();
      const stoppedAt = Date.now();
      await new Promise((r) => setTimeout(r, OUTAGE_S * 1000));
      const duringOutage = device.readings().slice(takenBefore);
      expect(duringOutage.length).toBeGreaterThanOrEqual(OUTAGE_S - 3);
      expect(device.log()).toContain('disconnected; buffering readings');
      // 3 × 5 s without a message: the health monitor has marked it down meanwhile.
      await poll(
        () => call(api, 'GET', `/devices/${ids.outage}`),
        (d) => d.body.status === 'down',
        10_000,
        'device down during the outage',
      );
      const restartedAt = Date.now();
      await startMosquitto();

      // Every reading the device took until now arrives, once.
      await device.waitFor(/connected as .*; \d+ readings buffered/, 30_000);
      const taken = device.readings();
      const rows = await poll(
        () => storedRows(ids.outage),
        (r) => r.length >= taken.length,
        60_000,
        'every reading stored',
      );
      const stored = new Map(rows.map((r) => [Number(r.msg_id.split('-')[1]), new Date(r.ts).getTime() / 1000]));
      expect(new Set(rows.map((r) => r.msg_id)).size).toBe(rows.length);
      for (const r of taken) expect(stored.get(r.seq), `reading ${r.seq}`).toBe(r.ts);
      // Nothing was dropped: the buffer holds far more than the outage.
      expect(device.log()).not.toContain('oldest dropped');
      const copies = arrivals.length;

      // In order: the buffered readings arrived (first copies) in the order they were taken.
      await poll(
        async () => arrivals.length,
        (n) => n >= taken.length,
        30_000,
        'observer saw every reading',
      );
      const firstArrivals: number[] = [];
      for (const a of arrivals) {
        const seq = Number(a.msg_id.split('-')[1]);
        if (!firstArrivals.includes(seq)) firstArrivals.push(seq);
      }
      expect(firstArrivals).toEqual([...firstArrivals].sort((a, b) => a - b));
      const outageSeqs = duringOutage.map((r) => r.seq);
      expect(firstArrivals.filter((s) => outageSeqs.includes(s))).toEqual(outageSeqs);

      // Health: up, down during the outage, up again after it — once; last_seen never went back.
      const after = await poll(
        () => call(api, 'GET', `/devices/${ids.outage}`),
        (d) => d.body.status === 'up',
        30_000,
        'device up again',
      );
      await new Promise((r) => setTimeout(r, 3000));
      const events = await database.handle.db
        .selectFrom('device_health_events')
        .select(['status', 'at'])
        .where('device_id', '=', ids.outage)
        .orderBy('id')
        .execute();
      expect(events.map((e) => e.status)).toEqual(['up', 'down', 'up']);
      expect(new Date(events[1]!.at).getTime()).toBeGreaterThan(stoppedAt);
      expect(new Date(events[2]!.at).getTime()).toBeGreaterThanOrEqual(restartedAt - 1000);
      expect(new Date(after.body.last_seen).getTime()).toBeGreaterThanOrEqual(lastSeenBefore);
      // The latest metrics are the newest reading's, not a buffered one's. A device that stays up
      // has its state written at most every half heartbeat (the ingest's DeviceStateThrottle), by a
      // 1 s timer: on a loaded machine that write can come later than any fixed wait, so poll.
      const newest = Math.max(...rows.map((r) => new Date(r.ts).getTime()));
      await poll(
        () => call(api, 'GET', `/devices/${ids.outage}`),
        (d) => new Date(d.body.observed_state.metrics_at).getTime() >= newest - 2000,
        15_000,
        'the newest reading in the observed state',
      );
      console.info(
        `firmware outage (${OUTAGE_S} s): ${taken.length} readings taken, ${duringOutage.length} while the broker was down; ${rows.length} stored, ` +
          `${rows.length - new Set(rows.map((r) => r.msg_id)).size} duplicates stored; ${copies} copies seen by a subscriber; health ${events.map((e) => e.status).join(' → ')}`,
      );
    },
  );

  it('publishes only under its own topics: Mosquitto’s ACL denied none of its publishes (and would have)', async () => {
    const log = () => fs.readFileSync(path.join(confDir, 'mosquitto.log'), 'utf8');
    expect(log()).toContain(`New client connected`);
    expect(log()).not.toMatch(new RegExp(`Denied PUBLISH from ${ids.outage}`));
    // The control: the same identity publishing outside its topics is denied, and the log says so.
    await device.stop();
    const spoof = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
      clientId: ids.outage,
      username: ids.outage,
      password: tokens.outage,
      reconnectPeriod: 0,
    });
    await spoof.publishAsync(`fleetbook/v1/${SITE}/${ids.pump}/telemetry`, '{}', { qos: 1 });
    await spoof.endAsync();
    await poll(
      async () => log(),
      (l) => new RegExp(`Denied PUBLISH from ${ids.outage}`).test(l),
      10_000,
      'a denied publish in the log',
    );
  });
});
