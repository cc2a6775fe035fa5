import { fork, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { sql, type Kysely } from 'kysely';
import mqtt from 'mqtt';
import pg from 'pg';
import { openBroker, type BrokerHandle } from '../data-api/src/broker/index.ts';
import { startEmbeddedBroker } from '../data-api/src/broker/embedded.ts';
import type { AppContext } from '../data-api/src/context.ts';
import { openDatabase, type Database, type DatabaseHandle } from '../data-api/src/db/index.ts';
import { migrateToLatest } from '../data-api/src/db/migrator.ts';
import { API_MQTT_USER, createBrokerSecurity } from '../data-api/src/ingest/credentials.ts';
import { buildMosquittoExport, writeMosquittoExport } from '../data-api/src/ingest/mosquitto-export.ts';
import { startIngest, type IngestHandle } from '../data-api/src/ingest/service.ts';
import { provisionSimFleet } from '../data-api/src/simulate/fleet.ts';
import { Simulation, type SimDevice, type SimulationReport } from '../data-api/src/simulate/simulator.ts';

/**
 * The ingest benchmark: the simulator's real MQTT clients → a TUNED Mosquitto (the conf
 * `fleetbook mosquitto export` writes, with its password file and ACL) → the ingest →
 * PostgreSQL on 127.0.0.1, all on this machine. Every figure is printed beside the ceilings
 * measured in the same run: the broker alone (publish → subscribe) and the database alone
 * (the same batched INSERT into the same table shape). Then the embedded mode (aedes +
 * PGlite) at the same target rate.
 *
 *   npm run bench                                  (after the site build benchmark)
 *   npx tsx bench/ingest.ts --seconds 20 --rate 5000 --devices 2000
 */

export interface IngestBenchOptions {
  seconds: number;
  rate: number;
  devices: number;
  /** Seconds of the flat-out runs (broker ceiling, ingest at full speed) and of the embedded run. */
  shortSeconds: number;
}

const DEFAULTS: IngestBenchOptions = { seconds: 20, rate: 5000, devices: 2000, shortSeconds: 10 };

interface RunFigures {
  readings: number;
  stored: number;
  seconds: number;
  storedPerS: number;
  p50ms: number;
  p99ms: number;
  /** p99 of readings published after the first 5 s (the first seconds bring every device up at once). */
  p99WarmMs: number;
  lost: number;
  duplicateRows: number;
  redeliveriesAbsorbed: number;
}

export async function ingestBenchmark(partial: Partial<IngestBenchOptions> = {}): Promise<void> {
  const o = { ...DEFAULTS, ...partial };
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetbook-bench-ingest-'));
  const cleanups: Array<() => Promise<unknown> | unknown> = [() => fs.rmSync(tmp, { recursive: true, force: true })];
  try {
    console.log(`\ningest: ${o.devices} simulated devices, target ${o.rate} readings/s for ${o.seconds} s (cores: ${os.cpus().length})`);

    // --- PostgreSQL: a fresh database next to TEST_DATABASE_URL's -------------------------
    const base = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
    const dbUrl = await createDatabase(base);
    cleanups.push(() => dropDatabase(base, dbUrl));
    const database = await openDatabase({ kind: 'pg', url: dbUrl, max: 10 });
    cleanups.push(() => database.close());
    await migrateToLatest(database.db);
    const fleet = await provisionSimFleet(database.db, 'bench', o.devices);

    // --- Mosquitto, tuned, with the exported users and ACL --------------------------------
    const port = await freePort();
    const apiPassword = randomBytes(12).toString('hex');
    const exported = await buildMosquittoExport(database.db, { apiPassword, dir: tmp, port, persistenceDir: null });
    // Started as root, mosquitto would drop to its own user, which cannot read this temp dir.
    writeMosquittoExport(tmp, { ...exported, conf: exported.conf + (process.getuid?.() === 0 ? 'user root\n' : '') });
    const mosquitto = await startMosquitto(path.join(tmp, 'fleetbook.conf'), port);
    cleanups.push(() => stopProcess(mosquitto));
    const url = `mqtt://127.0.0.1:${port}`;
    const apiUrl = `mqtt://${API_MQTT_USER}:${apiPassword}@127.0.0.1:${port}`;
    console.log(`  mosquitto ${mosquittoVersion()} on :${port} (set_tcp_nodelay true, max_inflight_messages 1000, max_queued_messages 1000000, ACL on)`);

    // --- 1. the broker alone: publish → one QoS 1 subscriber ------------------------------
    const brokerCeiling = await brokerOnly(apiUrl, url, fleet, o.shortSeconds);

    // --- 2. the database alone: the ingest's INSERT, batched, same table shape -----------
    const insertCeiling = await insertOnly(database, o.shortSeconds);

    // --- 3. the pipeline at the target rate, then flat out --------------------------------
    const broker = await openBroker({ kind: 'external', url: apiUrl }, `bench-api-${process.pid}`);
    cleanups.push(() => broker.close());
    const ctx = contextFor(database, broker);
    const ingest = await startIngest(ctx, { instance: `bench-${process.pid}`, sharedGroup: 'fleetbook' });
    cleanups.push(() => ingest.stop());
    const target = await pipelineRun(ctx.db, ingest, url, fleet, o.rate, o.seconds, 'target');
    const flatOut = await pipelineRun(ctx.db, ingest, url, fleet, Infinity, o.shortSeconds, 'flat-out');
    await ingest.stop();

    // --- 4. embedded mode: aedes + PGlite, the same target rate ---------------------------
    const embedded = await embeddedRun(o);

    const row = (name: string, f: RunFigures) => ({
      run: name,
      'stored/s': Math.round(f.storedPerS),
      'p50 ms': round(f.p50ms),
      'p99 ms': round(f.p99ms),
      'p99 ms after 5 s': round(f.p99WarmMs),
      lost: f.lost,
      'duplicate rows': f.duplicateRows,
      'redeliveries absorbed': f.redeliveriesAbsorbed,
      readings: f.readings,
    });
    console.table([
      row(`Mosquitto + PostgreSQL, target ${o.rate}/s, ${o.seconds} s`, target),
      row(`Mosquitto + PostgreSQL, flat out, ${o.shortSeconds} s`, flatOut),
      row(`embedded aedes + PGlite, target ${o.rate}/s, ${o.shortSeconds} s`, embedded),
    ]);
    console.table([
      { ceiling: 'broker alone: publish → QoS 1 subscriber (readings/s)', value: Math.round(brokerCeiling.readingsPerS), 'MQTT msgs/s': Math.round(brokerCeiling.messagesPerS) },
      { ceiling: 'database alone: batched INSERT … ON CONFLICT, 1,000 rows (rows/s)', value: Math.round(insertCeiling), 'MQTT msgs/s': '' },
    ]);
    const lowest = Math.min(brokerCeiling.readingsPerS, insertCeiling);
    console.log(
      `ratios: ingest flat out / broker alone ${(flatOut.storedPerS / brokerCeiling.readingsPerS).toFixed(2)}, ` +
        `/ database alone ${(flatOut.storedPerS / insertCeiling).toFixed(2)}, / the lower ceiling ${(flatOut.storedPerS / lowest).toFixed(2)}; ` +
        `target run stored ${(target.storedPerS / o.rate).toFixed(2)} of the target rate`,
    );
    const failures = [target, flatOut, embedded].filter((f) => f.lost > 0 || f.duplicateRows > 0);
    if (failures.length) {
      console.log('FAIL: readings lost or stored twice');
      process.exitCode = 1;
    }
  } finally {
    for (const fn of cleanups.reverse()) await Promise.resolve(fn()).catch((err) => console.error('cleanup:', (err as Error).message));
  }
}

const round = (n: number) => Math.round(n * 10) / 10;

function contextFor(database: DatabaseHandle, broker: BrokerHandle | null): AppContext {
  return {
    version: 'bench',
    database,
    db: database.db,
    broker,
    siteDir: null,
    siteStatus: () => ({ status: 'disabled', builtAt: null }),
    auth: { openReads: false, proxy: null },
    corsOrigins: [],
  };
}

/** Runs the simulator (in its own process) through the pipeline and measures what reached the table. */
async function pipelineRun(db: Kysely<Database>, ingest: IngestHandle, url: string, devices: SimDevice[], rate: number, seconds: number, label: string): Promise<RunFigures> {
  const before = ingest.stats();
  process.stdout.write(`  ${label}: running…`);
  // Flat out, the broker takes readings far faster than any consumer: keep the ingest's
  // backlog (acknowledged by the broker, not yet stored) under 50,000 readings so the run
  // measures the ingest, not the broker's queue.
  const stored = () => ingest.stats().rowsInserted + ingest.stats().duplicates - before.rowsInserted - before.duplicates;
  const report = await simulateInChild({ url, devices, rate, durationS: seconds, gatewayFlushMs: 100 }, (acknowledged) => acknowledged - stored() > 50_000);
  const figures = await measure(db, ingest, report, before.duplicates);
  process.stdout.write(` ${report.readings} readings, ${Math.round(figures.storedPerS)} stored/s\n`);
  return figures;
}

type ChildSimOptions = { url: string; devices: SimDevice[]; rate: number; durationS: number; gatewayFlushMs: number };
type ChildMessage =
  | { type: 'progress'; readings: number }
  | { type: 'done'; report: Omit<SimulationReport, 'ids' | 'publishedAt'> & { ids: string[]; publishedAt: Array<[string, number]> } };

/**
 * The simulator runs in a child process (this file with --sim-worker), so its JSON and
 * socket work does not share an event loop with the ingest it measures: in production the
 * devices are not in the API's process either.
 */
function simulateInChild(options: ChildSimOptions, pauseWhen: (acknowledged: number) => boolean): Promise<SimulationReport> {
  return new Promise((resolve, reject) => {
    const child = fork(__filename, ['--sim-worker'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let paused = false;
    child.on('message', (m: ChildMessage) => {
      if (m.type === 'progress') {
        const pause = pauseWhen(m.readings);
        if (pause !== paused) child.send({ type: 'pause', value: (paused = pause) });
      } else {
        resolve({ ...m.report, ids: new Set(m.report.ids), publishedAt: new Map(m.report.publishedAt) });
        child.disconnect();
      }
    });
    child.once('error', reject);
    child.once('exit', (code) => code && reject(new Error(`simulator process exited with ${code}`)));
    child.send({ type: 'start', options });
  });
}

function simWorker(): void {
  let paused = false;
  process.on('message', async (m: { type: 'start'; options: ChildSimOptions } | { type: 'pause'; value: boolean }) => {
    if (m.type === 'pause') {
      paused = m.value;
      return;
    }
    const sim = new Simulation({
      ...m.options,
      record: true,
      heartbeatEveryMs: 60_000,
      maxInFlight: 20_000,
      throttle: () => paused,
      progressEveryMs: 100,
      onProgress: (p) => process.send!({ type: 'progress', readings: p.readings }),
    });
    await sim.start();
    const report = await sim.done;
    process.send!({ type: 'done', report: { ...report, ids: [...report.ids!], publishedAt: [...report.publishedAt!] } });
  });
}

async function measure(db: Kysely<Database>, ingest: IngestHandle | null, report: SimulationReport, duplicatesBefore: number): Promise<RunFigures> {
  const ids = report.ids!;
  const runTag = [...ids][0]?.split(' ')[1]?.split('-')[0] ?? '';
  const fetchRows = async () =>
    (
      await sql<{ device_id: string; msg_id: string; received_at: Date }>`
        select device_id, msg_id, received_at from telemetry where msg_id like ${`${runTag}-%`}`.execute(db)
    ).rows;
  // Wait for the ingest to write the tail (at most 120 s).
  let rows = await fetchRows();
  for (let i = 0; i < 240 && rows.length < ids.size; i++) {
    await new Promise((r) => setTimeout(r, 500));
    rows = await fetchRows();
  }
  await ingest?.drain();
  rows = await fetchRows();
  const stored = new Set(rows.map((r) => `${r.device_id} ${r.msg_id}`));
  let lost = 0;
  for (const id of ids) if (!stored.has(id)) lost++;
  const latencies: number[] = [];
  const warm: number[] = [];
  let first = Infinity;
  let last = 0;
  for (const r of rows) {
    const at = new Date(r.received_at).getTime();
    first = Math.min(first, at);
    last = Math.max(last, at);
    const published = report.publishedAt!.get(`${r.device_id} ${r.msg_id}`);
    if (published !== undefined) {
      latencies.push(at - published);
      if (published >= report.startedAt + 5000) warm.push(at - published);
    }
  }
  latencies.sort((a, b) => a - b);
  warm.sort((a, b) => a - b);
  const pctOf = (list: number[], p: number) => (list.length ? list[Math.min(list.length - 1, Math.floor(p * list.length))]! : NaN);
  const pct = (p: number) => pctOf(latencies, p);
  const seconds = Math.max(0.001, (last - first) / 1000);
  return {
    readings: ids.size,
    stored: rows.length,
    seconds,
    storedPerS: rows.length / seconds,
    p50ms: pct(0.5),
    p99ms: pct(0.99),
    p99WarmMs: pctOf(warm, 0.99),
    lost,
    duplicateRows: rows.length - stored.size,
    redeliveriesAbsorbed: ingest ? ingest.stats().duplicates - duplicatesBefore : 0,
  };
}

/** The broker's own ceiling: the same clients and message mix, one QoS 1 subscriber that only counts. */
async function brokerOnly(apiUrl: string, url: string, devices: SimDevice[], seconds: number) {
  const sub = mqtt.connect(apiUrl, { clientId: `bench-sub-${process.pid}`, protocolVersion: 4, clean: true });
  await new Promise<void>((resolve, reject) => sub.once('connect', () => resolve()).once('error', reject));
  await sub.subscribeAsync('fleetbook/v1/+/+/#', { qos: 1 });
  let readings = 0;
  let messages = 0;
  let first = 0;
  let last = 0;
  sub.on('message', (topic, payload) => {
    messages++;
    last = Date.now();
    if (!first) first = last;
    if (topic.endsWith('/batch')) readings += (JSON.parse(payload.toString()) as unknown[]).length;
    else if (topic.endsWith('/telemetry')) readings++;
  });
  process.stdout.write('  broker alone: running…');
  const report = await simulateInChild({ url, devices, rate: Infinity, durationS: seconds, gatewayFlushMs: 100 }, () => false);
  for (let i = 0; i < 60 && readings < report.readings; i++) await new Promise((r) => setTimeout(r, 250));
  await sub.endAsync();
  const s = Math.max(0.001, (last - first) / 1000);
  process.stdout.write(` ${readings} of ${report.readings} readings received\n`);
  return { readingsPerS: readings / s, messagesPerS: messages / s };
}

/** The database's own ceiling: the ingest's INSERT statement, 1,000 rows a batch, two connections. */
async function insertOnly(database: DatabaseHandle, seconds: number): Promise<number> {
  await sql`create table bench_insert (like telemetry including all)`.execute(database.db);
  process.stdout.write('  database alone: running…');
  let rows = 0;
  const until = Date.now() + seconds * 1000;
  const started = Date.now();
  const worker = async (w: number) => {
    for (let batch = 0; Date.now() < until; batch++) {
      const now = Date.now() / 1000;
      const values = Array.from({ length: 1000 }, (_, i) => ({
        device_id: `dev_sim-${1 + (i % 8)}-${i % 250}`,
        msg_id: `w${w}-${batch}-${i}`,
        ts: now,
        status: 'ok',
        metrics: { soil_moisture_pct: 31.4, temp_c: 24.1, battery_v: 3.61, rssi_dbm: -97 },
      }));
      await sql`
        insert into bench_insert (device_id, msg_id, ts, status, metrics)
        select device_id, msg_id, to_timestamp(ts), status, metrics
        from jsonb_to_recordset(${JSON.stringify(values)}::jsonb) as x(device_id text, msg_id text, ts double precision, status text, metrics jsonb)
        on conflict (device_id, msg_id) do nothing`.execute(database.db);
      rows += values.length;
    }
  };
  await Promise.all([worker(0), worker(1)]);
  const perS = rows / ((Date.now() - started) / 1000);
  await sql`drop table bench_insert`.execute(database.db);
  process.stdout.write(` ${rows} rows\n`);
  return perS;
}

/** Embedded mode: aedes (enforcing device tokens) + in-memory PGlite, one process. */
async function embeddedRun(o: IngestBenchOptions): Promise<RunFigures> {
  const database = await openDatabase({ kind: 'pglite' });
  try {
    await migrateToLatest(database.db);
    const fleet = await provisionSimFleet(database.db, 'bench', o.devices);
    const security = createBrokerSecurity(database.db, { enforce: true });
    const embedded = await startEmbeddedBroker({ host: '127.0.0.1', port: 0, aedes: security.aedes });
    const url = `mqtt://127.0.0.1:${embedded.port}`;
    const broker = await openBroker({ kind: 'external', url: `mqtt://${security.internal.username}:${security.internal.password}@127.0.0.1:${embedded.port}` }, `bench-embedded-${process.pid}`);
    const ctx = contextFor(database, broker);
    const ingest = await startIngest(ctx, { instance: 'bench-embedded', sharedGroup: null });
    try {
      return await pipelineRun(ctx.db, ingest, url, fleet, o.rate, o.shortSeconds, 'embedded');
    } finally {
      await ingest.stop();
      await broker.close();
      await embedded.close();
    }
  } finally {
    await database.close();
  }
}

// --- processes and databases ------------------------------------------------------------

function mosquittoVersion(): string {
  try {
    const out = require('node:child_process').spawnSync('mosquitto', ['-h'], { encoding: 'utf8' }) as { stdout: string };
    return /version (\S+)/.exec(out.stdout)?.[1] ?? '?';
  } catch {
    return '?';
  }
}

async function startMosquitto(conf: string, port: number): Promise<ChildProcess> {
  const child = spawn('mosquitto', ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (c) => (stderr += c));
  const failed = new Promise<never>((_, reject) => {
    child.once('error', (err) => reject(new Error(`cannot start mosquitto (is it installed? apt-get install mosquitto): ${err.message}`)));
    child.once('exit', (code) => reject(new Error(`mosquitto exited (${code}): ${stderr}`)));
  });
  for (let i = 0; i < 100; i++) {
    const open = await Promise.race([portOpen(port), failed]);
    if (open) return child;
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill();
  throw new Error(`mosquitto did not listen on ${port}: ${stderr}`);
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
  if (child.exitCode === null) child.kill('SIGKILL');
}

const portOpen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function createDatabase(baseUrl: string): Promise<string> {
  const name = `fb_bench_${process.pid}_${randomBytes(3).toString('hex')}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect().catch((err: Error) => {
    throw new Error(`the ingest benchmark needs PostgreSQL at ${baseUrl} (TEST_DATABASE_URL): ${err.message}`);
  });
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function dropDatabase(baseUrl: string, url: string): Promise<void> {
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${new URL(url).pathname.slice(1)} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

/** Flags shared with bench/index.ts: --seconds, --rate, --devices, --short-seconds. */
export const ingestOptionsFromArgs = (): IngestBenchOptions => ({
  seconds: arg('seconds', DEFAULTS.seconds),
  rate: arg('rate', DEFAULTS.rate),
  devices: arg('devices', DEFAULTS.devices),
  shortSeconds: arg('short-seconds', DEFAULTS.shortSeconds),
});

if (require.main === module && process.argv.includes('--sim-worker')) {
  simWorker();
} else if (require.main === module) {
  ingestBenchmark(ingestOptionsFromArgs()).catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
