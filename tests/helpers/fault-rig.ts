import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { createToken } from '../../data-api/src/kernel/auth/service.ts';
import { API_MQTT_USER, issueDeviceTokens } from '../../data-api/src/telemetry/ingest/credentials.ts';
import { buildMosquittoExport } from '../../data-api/src/telemetry/ingest/mosquitto-export.ts';
import { PROJECT_ROOT } from '../../data-api/src/kernel/paths.ts';
import { loadProductCatalog } from '../../data-api/src/registry/products.ts';
import { startProxy } from '../integration/automation-runs-fixtures.ts';
import { seedFleet } from '../integration/ingest-fixtures.ts';
import { spawnCli, stopCli } from './cli.ts';
import { createTestDatabase, type TestDatabase } from './database.ts';
import { startPrivateMosquitto, type PrivateMosquitto } from './mosquitto.ts';
import { freePort } from './ports.ts';

/**
 * What every fault scenario runs on (tests/faults/ and `npm run bench -- --only faults`):
 * a fresh PostgreSQL database (TEST_DATABASE_URL), a private Mosquitto started from the conf,
 * password file and ACL that `fleetbook mosquitto export` writes, fleetbook in production
 * mode as its own process (`fleetbook start` with DATABASE_URL and MQTT_URL), and devices
 * publishing QoS 1 readings whose fate a ledger records.
 */
export interface FaultRig {
  database: TestDatabase;
  mosquitto: PrivateMosquitto;
  /** The devices' listener (Mosquitto names every client there by its username). */
  deviceUrl: string;
  /** fleetbook's own listener with the API user's credentials: MQTT_URL. */
  apiMqttUrl: string;
  devices: Array<{ id: string; site: string; password: string }>;
  /** A viewer token for /metrics. */
  token: string;
  fleetbook: FleetbookProcess | null;
  /**
   * With `databaseProxy`: a TCP proxy between fleetbook and PostgreSQL. `down()` makes the
   * database unreachable for this fleetbook only (open connections cut, new ones refused); the
   * shared PostgreSQL server is never touched. The rig's own `database.handle` goes direct.
   */
  databaseProxy: { url: string; down(): Promise<void>; up(): Promise<void>; isUp(): boolean } | null;
  /** Starts fleetbook (production mode) with these extra environment variables. */
  startFleetbook(env?: Record<string, string>): Promise<FleetbookProcess>;
  close(): Promise<void>;
}

export interface FleetbookProcess {
  url: string;
  instance: string;
  pid: number;
  /** Epoch ms of every `ingest subscribed` line it logged so far. */
  subscribedAt(): number[];
  output(): string;
  /** Ctrl-C, as an operator stops it. */
  stop(): Promise<void>;
  /** A signal (kill -9 by default: no goodbye, nothing flushed); resolves once it is gone. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export function requireFaultServices(): string {
  const base = process.env.TEST_DATABASE_URL;
  if (!base)
    throw new Error(
      'the fault layer needs PostgreSQL: set TEST_DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/test), as .ci/run does',
    );
  return base;
}

/**
 * `mosquittoConf`: lines added to the exported conf of the rig's Mosquitto (e.g. a short `sys_interval`).
 * `workers`: FLEETBOOK_WORKERS (and as many ingesting ones) of every fleetbook this rig starts (default 1: the scenarios
 * written for one process; the same number on every restart, or a worker's session would be
 * left with its share of the stream).
 */
export async function startFaultRig(
  options: {
    devices?: number;
    persistence?: boolean;
    databaseProxy?: boolean;
    workers?: number;
    mosquittoConf?: string[];
  } = {},
): Promise<FaultRig> {
  requireFaultServices();
  const t = randomBytes(3).toString('hex');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetbook-faults-'));
  const database = await createTestDatabase();
  const cleanups: Array<() => Promise<unknown>> = [
    async () => fs.rmSync(dir, { recursive: true, force: true }),
    () => database.drop(),
  ];
  let rig: FaultRig | null = null;
  try {
    const db = database.handle.db;
    await loadProductCatalog(db, path.join(PROJECT_ROOT, 'docs', 'products'));
    const fleet = await seedFleet(db, t, {
      sites: 1,
      devices: Array.from({ length: options.devices ?? 10 }, (_, i) => ({ name: `d${i + 1}` })),
    });
    const passwords = await issueDeviceTokens(
      db,
      'faults',
      Object.values(fleet.devices).map((d) => d.id),
    );
    const token = (await createToken(db, { name: `faults-${t}`, role: 'viewer' })).token;

    const [port, apiPort] = [await freePort(), await freePort()];
    const apiPassword = randomBytes(12).toString('hex');
    const exported = await buildMosquittoExport(db, {
      apiPassword,
      dir,
      port,
      apiPort,
      apiBind: '127.0.0.1',
      persistenceDir: null,
    });
    const mosquitto = await startPrivateMosquitto({
      dir,
      port,
      persistence: options.persistence ?? true,
      conf: [exported.conf, ...(options.mosquittoConf ?? [])].join('\n'),
      files: { 'fleetbook.passwd': exported.passwd, 'fleetbook.acl': exported.acl },
    });
    cleanups.unshift(() => mosquitto.close());

    let databaseProxy: FaultRig['databaseProxy'] = null;
    if (options.databaseProxy) {
      const direct = new URL(database.url!);
      const proxy = await startProxy(Number(direct.port || 5432));
      cleanups.push(() => proxy.down());
      const via = new URL(direct);
      via.hostname = '127.0.0.1';
      via.port = new URL(proxy.url()).port;
      databaseProxy = { url: via.toString(), down: proxy.down, up: proxy.up, isUp: proxy.isUp };
    }

    const processes: FleetbookProcess[] = [];
    cleanups.unshift(async () => {
      for (const p of processes) await p.stop();
    });
    rig = {
      database,
      mosquitto,
      deviceUrl: `mqtt://127.0.0.1:${port}`,
      apiMqttUrl: `mqtt://${API_MQTT_USER}:${apiPassword}@127.0.0.1:${apiPort}`,
      devices: Object.values(fleet.devices).map((d) => ({ ...d, password: passwords.get(d.id)! })),
      token,
      fleetbook: null,
      databaseProxy,
      async startFleetbook(env = {}) {
        const instance = env.FLEETBOOK_INSTANCE ?? `faults-${t}-${processes.length + 1}`;
        const proc = spawnCli(['start', '--no-build'], {
          HOST: '127.0.0.1',
          PORT: String(await freePort()),
          DATABASE_URL: databaseProxy?.url ?? database.url!,
          MQTT_URL: rig!.apiMqttUrl,
          FLEETBOOK_INSTANCE: instance,
          FLEETBOOK_SITE_DIR: path.join(dir, 'site'),
          FLEETBOOK_MONITOR_INTERVAL_MS: '3600000',
          FLEETBOOK_WORKERS: String(options.workers ?? 1),
          FLEETBOOK_INGEST_WORKERS: String(options.workers ?? 1),
          LOG_LEVEL: 'info',
          ...env,
        });
        const url = await proc.ready;
        const running: FleetbookProcess = {
          url,
          instance,
          pid: proc.child.pid!,
          output: proc.output,
          subscribedAt: () =>
            proc
              .output()
              .split('\n')
              .filter((l) => l.includes('"msg":"ingest subscribed"'))
              .map((l) => (JSON.parse(l) as { time: number }).time),
          stop: () => stopCli(proc),
          async kill(signal = 'SIGKILL') {
            if (proc.child.exitCode !== null || proc.child.signalCode !== null) return;
            const exited = new Promise((r) => proc.child.once('exit', r));
            proc.child.kill(signal);
            await exited;
          },
        };
        processes.push(running);
        rig!.fleetbook = running;
        return running;
      },
      async close() {
        for (const c of cleanups) await c().catch(() => {});
      },
    };
    return rig;
  } catch (err) {
    for (const c of cleanups) await c().catch(() => {});
    throw err;
  }
}

// --- devices and their ledger ----------------------------------------------------------

export interface LedgerEntry {
  device: string;
  msgId: string;
  /** When the device handed it to its MQTT client (epoch ms). */
  sentAt: number;
  /** When the broker's PUBACK arrived: the broker accepted it. Null: never acknowledged. */
  ackedAt: number | null;
}

export interface Publishers {
  ledger: LedgerEntry[];
  clients: MqttClient[];
  /** Stops publishing, waits (at most `waitMs`) for every outstanding PUBACK, and disconnects. */
  stop(waitMs?: number): Promise<void>;
}

/**
 * Devices as firmware runs them: a persistent session each (Mosquitto names it by the
 * username), QoS 1, reconnecting every second; what they publish while the broker is away
 * waits in the client and goes out on reconnect. Each publishes a reading every `everyMs`.
 */
export async function startPublishers(
  rig: FaultRig,
  options: { everyMs?: number; prefix?: string } = {},
): Promise<Publishers> {
  const everyMs = options.everyMs ?? 50;
  const prefix = options.prefix ?? randomBytes(3).toString('hex');
  const ledger: LedgerEntry[] = [];
  const outstanding = new Set<Promise<unknown>>();
  const clients = await Promise.all(
    rig.devices.map(
      (d) =>
        new Promise<MqttClient>((resolve, reject) => {
          const c = mqtt.connect(rig.deviceUrl, {
            clientId: d.id,
            username: d.id,
            password: d.password,
            clean: false,
            protocolVersion: 4,
            reconnectPeriod: 1000,
            connectTimeout: 5000,
          });
          c.once('connect', () => resolve(c));
          c.once('error', reject);
        }),
    ),
  );
  for (const c of clients) c.on('error', () => {});
  let n = 0;
  const timer = setInterval(() => {
    rig.devices.forEach((d, i) => {
      const entry: LedgerEntry = { device: d.id, msgId: `${prefix}-${n}-${i}`, sentAt: Date.now(), ackedAt: null };
      ledger.push(entry);
      const payload = JSON.stringify({
        schema_version: 1,
        msg_id: entry.msgId,
        ts: entry.sentAt / 1000,
        metrics: { n },
      });
      const p = clients[i]!.publishAsync(`fleetbook/v1/${d.site}/${d.id}/telemetry`, payload, { qos: 1 }).then(
        () => void (entry.ackedAt = Date.now()),
        () => {},
      );
      outstanding.add(p);
      void p.finally(() => outstanding.delete(p));
    });
    n++;
  }, everyMs);
  return {
    ledger,
    clients,
    async stop(waitMs = 30_000) {
      clearInterval(timer);
      const deadline = Date.now() + waitMs;
      while (outstanding.size && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      await Promise.all(clients.map((c) => c.endAsync(true).catch(() => {})));
    },
  };
}

/** msg_ids of the rig's devices stored in `telemetry`, and how many rows they make. */
export async function storedReadings(rig: FaultRig): Promise<{ ids: Set<string>; rows: number }> {
  const rows = await rig.database.handle.db
    .selectFrom('telemetry')
    .select('msg_id')
    .where(
      'device_id',
      'in',
      rig.devices.map((d) => d.id),
    )
    .execute();
  return { ids: new Set(rows.map((r) => r.msg_id)), rows: rows.length };
}

/** Polls GET /api/v1/health until `until` holds for its body (or the timeout); resolves with the time it did. */
export async function waitForHealth(
  url: string,
  until: (status: number, body: HealthBody) => boolean,
  timeoutMs = 60_000,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${url}/api/v1/health`, { signal: AbortSignal.timeout(2000) });
      const body = (await res.json()) as HealthBody;
      last = `${res.status} ${JSON.stringify(body.ingest)}`;
      if (until(res.status, body)) return Date.now();
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`health did not reach the expected state within ${timeoutMs} ms; last: ${last}`);
}

export interface HealthBody {
  status: 'ok' | 'degraded';
  database: { status: 'up' | 'down' };
  broker: { status: string };
  ingest: {
    status: string;
    reason: string | null;
    connected: boolean;
    subscribed: boolean;
    last_received_at: string | null;
  };
}

/** A counter from a fleetbook's /metrics (sum over its labels); default: the rig's latest process. */
export async function metric(rig: FaultRig, name: string, url = rig.fleetbook!.url): Promise<number> {
  const res = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${rig.token}` } });
  const text = await res.text();
  let sum = 0;
  for (const m of text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm'))) sum += Number(m[1]);
  return sum;
}

/**
 * The fate of every reading the broker acknowledged: waits (the ingest writes within
 * milliseconds; a loaded machine takes longer) until all are stored or nothing new arrived for
 * 5 s, then says which are missing and how many rows were stored twice.
 */
export async function settleLedger(
  rig: FaultRig,
  ledger: LedgerEntry[],
): Promise<{ accepted: LedgerEntry[]; lost: LedgerEntry[]; storedTwice: number }> {
  const accepted = ledger.filter((e) => e.ackedAt !== null);
  let stored = await storedReadings(rig);
  for (let quiet = 0; quiet < 25 && accepted.some((e) => !stored.ids.has(e.msgId));) {
    await new Promise((r) => setTimeout(r, 200));
    const before = stored.rows;
    stored = await storedReadings(rig);
    quiet = stored.rows === before ? quiet + 1 : 0;
  }
  return {
    accepted,
    lost: accepted.filter((e) => !stored.ids.has(e.msgId)),
    storedTwice: stored.rows - stored.ids.size,
  };
}

/** Polls until every reading acknowledged before `until` (epoch ms) is stored; resolves with when it was. */
export async function waitForStored(
  rig: FaultRig,
  ledger: LedgerEntry[],
  until: number,
  timeoutMs = 60_000,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const due = ledger.filter((e) => e.ackedAt !== null && e.ackedAt < until);
    const stored = await storedReadings(rig);
    const missing = due.filter((e) => !stored.ids.has(e.msgId)).length;
    if (missing === 0) return Date.now();
    if (Date.now() > deadline)
      throw new Error(
        `${missing} of ${due.length} readings acknowledged before the fault ended were not stored within ${timeoutMs} ms`,
      );
    await new Promise((r) => setTimeout(r, 100));
  }
}
