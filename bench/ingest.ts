import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import mqtt from 'mqtt';
import { buildApp, type App } from '../data-api/src/app.ts';
import { createToken } from '../data-api/src/kernel/auth/service.ts';
import { openBroker, type BrokerHandle } from '../data-api/src/telemetry/broker/index.ts';
import type { AppContext } from '../data-api/src/kernel/context.ts';
import { openDatabase, type DatabaseHandle } from '../data-api/src/kernel/db/index.ts';
import { migrateToLatest } from '../data-api/src/kernel/db/migrator.ts';
import { API_MQTT_USER, createBrokerSecurity } from '../data-api/src/telemetry/ingest/credentials.ts';
import { buildMosquittoExport } from '../data-api/src/telemetry/ingest/mosquitto-export.ts';
import { startIngest, type IngestHandle } from '../data-api/src/telemetry/ingest/service.ts';
import { insertTelemetryRows } from '../data-api/src/telemetry/ingest/telemetry-insert.ts';
import { provisionSimFleet } from '../data-api/src/demo/simulate/fleet.ts';
import { Simulation, type SimDevice, type SimulationReport } from '../data-api/src/demo/simulate/simulator.ts';
import { hashDevicePassword } from '../data-api/src/telemetry/ingest/credentials.ts';
import {
  perMessageRuns,
  printPerMessage,
  type PerMessageFigures,
  type PerMessageOptions,
} from './ingest-per-message.ts';
import { createPgDatabase, dropPgDatabase } from '../tests/helpers/database.ts';
import { mosquittoVersion, startPrivateMosquitto } from '../tests/helpers/mosquitto.ts';
import { freePort } from '../tests/helpers/ports.ts';
import { headlessContext } from '../tests/helpers/app.ts';
import { checkpoint } from './checkpoint.ts';
import { databaseServerPids, procCpuMs } from './cpu.ts';

/**
 * The ingest benchmark (issue #5): the simulator's real MQTT clients → a TUNED Mosquitto
 * (the conf `fleetbook mosquitto export` writes, with its password file and ACL) → the
 * ingest → PostgreSQL on 127.0.0.1, with the real API (Fastify) serving the SSE stream to
 * a client in its own process, all on this machine. Every figure is printed beside its
 * baseline measured in the same run: the broker alone (publish → subscribe, no processing)
 * and the database alone (the ingest's own batched write, COPY, into the same table shape). Then
 * the embedded mode (aedes + PGlite) at the same target rate.
 *
 *   npm run bench -- --only ingest
 *   npx tsx bench/ingest.ts --seconds 20 --rate 5000 --devices 2000 --ingest-runs target,flat
 */

type RunName = 'ceilings' | 'per-message' | 'target' | 'flat' | 'embedded';
const RUNS: RunName[] = ['ceilings', 'per-message', 'target', 'flat', 'embedded'];

export interface IngestBenchOptions {
  /** Seconds of the sustained runs: at the target rate (latency) and flat out (throughput). */
  seconds: number;
  rate: number;
  devices: number;
  /** Seconds of the ceiling runs and of the embedded run. */
  shortSeconds: number;
  /** Which parts to run (`--ingest-runs target,flat`): a shorter benchmark. */
  runs: RunName[];
  /** The per-message run (#18): messages, publisher connections, ingest processes of the scaled consumer. */
  perMessage: PerMessageOptions;
}

const DEFAULTS: IngestBenchOptions = {
  seconds: 60,
  rate: 5000,
  devices: 2000,
  shortSeconds: 10,
  runs: RUNS,
  perMessage: { messages: 600_000, connections: 16, workers: os.cpus().length },
};

/** Issue #5's throughput floor, and #18's: flat out ≥ 0.7 of the lower ceiling (the INSERT's, here), SSE p99 < 100 ms over the whole run. */
const GOAL = { storedPerS: 30_000, ofLowerCeiling: 0.7, sseP99Ms: 100 };
/** Latency "after warm-up" leaves out readings published in a run's first seconds (every device comes up at once). */
const WARMUP_MS = 5000;

interface Latency {
  p50: number;
  p99: number;
  /** p99 of readings published after WARMUP_MS. */
  p99Warm: number;
  count: number;
}

interface RunFigures {
  label: string;
  /** Target readings/s (Infinity: flat out). */
  rate: number;
  readings: number;
  stored: number;
  storedPerS: number;
  row: Latency;
  sse: Latency;
  /** Row written → SSE client: the live path alone (coalescing window, NOTIFY, fan-out). */
  rowToSse: Latency;
  lost: number;
  duplicateRows: number;
  redeliveriesAbsorbed: number;
  /** CPU ms per 1,000 stored readings, by process (null: not measurable here, e.g. in-process in embedded mode). */
  cpu: { api: number; database: number | null; broker: number | null };
  load: number;
}

interface BrokerFigures {
  readingsPerS: number;
  messagesPerS: number;
  latency: Latency;
  load: number;
}

export async function ingestBenchmark(partial: Partial<IngestBenchOptions> = {}): Promise<void> {
  const o = { ...DEFAULTS, ...partial };
  const want = (r: RunName) => o.runs.includes(r);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetbook-bench-ingest-'));
  const cleanups: Array<() => Promise<unknown> | unknown> = [() => fs.rmSync(tmp, { recursive: true, force: true })];
  try {
    console.log(
      `\ningest: ${o.devices} simulated devices, target ${o.rate} readings/s; sustained runs ${o.seconds} s, ceilings and embedded ${o.shortSeconds} s (cores: ${os.cpus().length}, load ${loadNow()})`,
    );

    // --- PostgreSQL: a fresh database next to TEST_DATABASE_URL's -------------------------
    const base = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
    const dbUrl = await createPgDatabase(base, 'fb_bench').catch((err: Error) => {
      throw new Error(`the ingest benchmark needs PostgreSQL at ${base} (TEST_DATABASE_URL): ${err.message}`);
    });
    cleanups.push(() => dropPgDatabase(base, dbUrl));
    const database = await openDatabase({ kind: 'pg', url: dbUrl, max: 10 });
    cleanups.push(() => database.close());
    await migrateToLatest(database.db);
    const fleet = await provisionSimFleet(database.db, 'bench', o.devices);

    // --- Mosquitto, tuned, with the exported users and ACL --------------------------------
    const [port, apiPort] = [await freePort(), await freePort()];
    const apiPassword = randomBytes(12).toString('hex');
    const exported = await buildMosquittoExport(database.db, {
      apiPassword,
      dir: tmp,
      port,
      apiPort,
      persistenceDir: null,
    });
    // The per-message run's publishers: one user that may write every device's telemetry (16
    // connections for 2,000 devices), on fleetbook's listener where client ids are free.
    const publisherPassword = randomBytes(12).toString('hex');
    const mosquitto = await startPrivateMosquitto({
      dir: tmp,
      port,
      persistence: false,
      conf: exported.conf,
      files: {
        'fleetbook.passwd': `${exported.passwd}${BENCH_PUBLISHER}:${hashDevicePassword(publisherPassword)}\n`,
        'fleetbook.acl': `${exported.acl}\nuser ${BENCH_PUBLISHER}\ntopic write fleetbook/v1/+/+/telemetry\n`,
      },
    });
    cleanups.push(() => mosquitto.stop());
    const url = `mqtt://127.0.0.1:${port}`;
    const apiUrl = `mqtt://${API_MQTT_USER}:${apiPassword}@127.0.0.1:${apiPort}`;
    console.log(
      `  mosquitto ${mosquittoVersion()} on :${port} (set_tcp_nodelay true, max_inflight_messages 1000, max_queued_messages 1000000, ACL on); PostgreSQL ${await serverVersion(database)}`,
    );

    // --- 1. ceilings: the broker alone (flat out, and at the target rate for latency), the database alone
    const brokerFlat = want('ceilings') ? await brokerOnly(apiUrl, url, fleet, Infinity, o.shortSeconds) : null;
    const brokerAtRate = want('ceilings') ? await brokerOnly(apiUrl, url, fleet, o.rate, o.shortSeconds) : null;
    const insertCeiling = want('ceilings') ? await insertOnly(database, o.shortSeconds) : null;

    // --- 1b. one reading per message (#18): bare pipeline vs the ingest in 1 and N processes
    const perMessage: PerMessageFigures[] = want('per-message')
      ? await perMessageRuns(
          {
            dbUrl,
            database,
            publishUrl: `mqtt://${BENCH_PUBLISHER}:${publisherPassword}@127.0.0.1:${apiPort}`,
            consumeUrl: apiUrl,
            devices: fleet.filter((d) => d.role !== 'gateway'),
            brokerPid: mosquitto.pid(),
          },
          o.perMessage,
        )
      : [];

    // --- 2. the pipeline with the API serving SSE: at the target rate, then flat out -------
    const runs: RunFigures[] = [];
    if (want('target') || want('flat')) {
      const broker = await openBroker({ kind: 'external', url: apiUrl }, `bench-api-${process.pid}`);
      cleanups.push(() => broker.close());
      const pipeline = await startPipeline(database, broker, 'fleetbook', mosquitto.pid());
      cleanups.push(() => pipeline.close());
      if (want('target'))
        runs.push(
          await pipelineRun(
            pipeline,
            url,
            fleet,
            o.rate,
            o.seconds,
            `Mosquitto + PostgreSQL, target ${o.rate}/s, ${o.seconds} s`,
          ),
        );
      if (want('flat'))
        runs.push(
          await pipelineRun(
            pipeline,
            url,
            fleet,
            Infinity,
            o.seconds,
            `Mosquitto + PostgreSQL, flat out, ${o.seconds} s`,
          ),
        );
    }

    // --- 3. embedded mode: aedes + PGlite, the same target rate ---------------------------
    if (want('embedded')) runs.push(await embeddedRun(o));

    if (perMessage.length) printPerMessage(perMessage, o.perMessage);
    printTables(o, runs, brokerFlat, brokerAtRate, insertCeiling);
    const failures = [...runs.map((f) => ({ ...f, run: f.label })), ...perMessage].filter(
      (f) => f.lost > 0 || f.duplicateRows > 0,
    );
    if (failures.length) {
      console.log(`FAIL: readings lost or stored twice in: ${failures.map((f) => f.run).join('; ')}`);
      process.exitCode = 1;
    }
  } finally {
    for (const fn of cleanups.reverse())
      await Promise.resolve(fn()).catch((err) => console.error('cleanup:', (err as Error).message));
  }
}

function printTables(
  o: IngestBenchOptions,
  runs: RunFigures[],
  brokerFlat: BrokerFigures | null,
  brokerAtRate: BrokerFigures | null,
  insertCeiling: { rowsPerS: number; load: number } | null,
): void {
  const lower = brokerFlat && insertCeiling ? Math.min(brokerFlat.readingsPerS, insertCeiling.rowsPerS) : null;
  const ratio = (n: number, d: number | null | undefined) => (d ? +(n / d).toFixed(2) : '–');
  const brokerAt = (f: RunFigures) => (Number.isFinite(f.rate) ? brokerAtRate : brokerFlat);
  if (brokerFlat && brokerAtRate && insertCeiling) {
    console.log('\nceilings (same run, same machine):');
    console.table([
      {
        ceiling: 'broker alone, flat out: publish → QoS 1 subscriber',
        'readings/s': Math.round(brokerFlat.readingsPerS),
        'MQTT msgs/s': Math.round(brokerFlat.messagesPerS),
        'p50 ms': brokerFlat.latency.p50,
        'p99 ms': brokerFlat.latency.p99,
        load: brokerFlat.load,
      },
      {
        ceiling: `broker alone, ${o.rate}/s: publish → QoS 1 subscriber`,
        'readings/s': Math.round(brokerAtRate.readingsPerS),
        'MQTT msgs/s': Math.round(brokerAtRate.messagesPerS),
        'p50 ms': brokerAtRate.latency.p50,
        'p99 ms': brokerAtRate.latency.p99,
        load: brokerAtRate.load,
      },
      {
        ceiling: 'database alone: the ingest’s write (COPY), 1,000 rows a batch, 2 connections',
        'readings/s': Math.round(insertCeiling.rowsPerS),
        'MQTT msgs/s': '',
        'p50 ms': '',
        'p99 ms': '',
        load: insertCeiling.load,
      },
    ]);
  }
  if (!runs.length) return; // only the ceilings, or only the per-message run (printed on its own)
  console.log('throughput (lost / duplicates checked against the table; ratios to the ceilings above):');
  console.table(
    runs.map((f) => ({
      run: f.label,
      'stored/s': Math.round(f.storedPerS),
      '÷ broker': ratio(f.storedPerS, brokerFlat?.readingsPerS),
      '÷ INSERT': ratio(f.storedPerS, insertCeiling?.rowsPerS),
      '÷ lower ceiling': ratio(f.storedPerS, lower),
      readings: f.readings,
      lost: f.lost,
      'duplicate rows': f.duplicateRows,
      'redeliveries absorbed': f.redeliveriesAbsorbed,
      'CPU ms/1k: API': f.cpu.api,
      PG: f.cpu.database ?? '–',
      broker: f.cpu.broker ?? '–',
      load: f.load,
    })),
  );
  console.log(
    `latency, ms (publish → row: the row's received_at = clock_timestamp(); publish → SSE: a client of GET /api/v1/stream?topics=telemetry in its own process;\n  the stream sends the newest sample per device per coalescing window, so SSE percentiles are over the readings the client received):`,
  );
  console.table(
    runs.map((f) => ({
      run: f.label,
      'row p50': f.row.p50,
      'row p99': f.row.p99,
      [`row p99 after ${WARMUP_MS / 1000} s`]: f.row.p99Warm,
      'SSE p50': f.sse.p50,
      'SSE p99': f.sse.p99,
      [`SSE p99 after ${WARMUP_MS / 1000} s`]: f.sse.p99Warm,
      'row → SSE p50': f.rowToSse.p50,
      'row → SSE p99': f.rowToSse.p99,
      // Baseline: the broker alone at the same rate (publish → subscriber, no processing).
      'row p99 ÷ broker p99': ratio(f.row.p99, brokerAt(f)?.latency.p99),
      'SSE p99 ÷ broker p99': ratio(f.sse.p99, brokerAt(f)?.latency.p99),
      'SSE samples': f.sse.count,
      'SSE ÷ stored': ratio(f.sse.count, f.stored),
    })),
  );
  const flat = runs.find((r) => !Number.isFinite(r.rate));
  const target = runs.find((r) => r.rate === o.rate && r.label.startsWith('Mosquitto'));
  const verdicts: string[] = [];
  if (flat)
    verdicts.push(
      `flat out ${Math.round(flat.storedPerS)}/s (goal ≥ ${GOAL.storedPerS}${lower ? `, ≥ ${GOAL.ofLowerCeiling} of the lower ceiling: ${ratio(flat.storedPerS, lower)}` : ''})`,
    );
  if (target)
    verdicts.push(
      `target run stored ${Math.round(target.storedPerS)}/s of ${o.rate}/s asked, SSE p99 ${target.sse.p99} ms, after warm-up ${target.sse.p99Warm} ms (goal < ${GOAL.sseP99Ms})`,
    );
  if (verdicts.length) console.log(`goals: ${verdicts.join('; ')}`);
}

// --- the pipeline: ingest + the API serving SSE -------------------------------------------

interface Pipeline {
  ctx: AppContext;
  ingest: IngestHandle;
  /** Processes outside this one doing the pipeline's work (PostgreSQL backends, Mosquitto), for the CPU figures. */
  outside: { database(): Promise<number[]>; broker: number | null };
  /** GET /api/v1/stream with a viewer token. */
  streamUrl: string;
  token: string;
  close(): Promise<void>;
}

/** The ingest and the real app (listening on loopback) on one context, as `fleetbook start` runs them. */
async function startPipeline(
  database: DatabaseHandle,
  broker: BrokerHandle,
  sharedGroup: string | null,
  brokerPid: number | null,
): Promise<Pipeline> {
  const ctx = headlessContext(database, { version: 'bench', broker });
  const ingest = await startIngest(ctx, {
    instance: `bench-${process.pid}-${randomBytes(2).toString('hex')}`,
    sharedGroup,
  });
  let app: App | null = null;
  try {
    app = await buildApp(ctx);
    await app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = app.server.address() as net.AddressInfo;
    const { token } = await createToken(database.db, { name: 'bench-sse', role: 'viewer' });
    const running = app;
    return {
      ctx,
      ingest,
      outside: { database: () => databaseServerPids(database), broker: brokerPid },
      streamUrl: `http://127.0.0.1:${port}/api/v1/stream?topics=telemetry`,
      token,
      async close() {
        await ingest.stop();
        await running.close();
      },
    };
  } catch (err) {
    await ingest.stop();
    await app?.close();
    throw err;
  }
}

/** Runs the simulator (in its own process) through the pipeline, with an SSE client (in another), and measures what reached the table and the client. */
async function pipelineRun(
  p: Pipeline,
  url: string,
  devices: SimDevice[],
  rate: number,
  seconds: number,
  label: string,
): Promise<RunFigures> {
  await checkpoint(p.ctx.db);
  const before = p.ingest.stats();
  process.stdout.write(`  ${label}: running…`);
  const sse = await startSseClient(p.streamUrl, p.token);
  const cpu = await CpuMeter.start(p);
  // Flat out, the broker takes readings far faster than any consumer: keep the ingest's
  // backlog (acknowledged by the broker, not yet stored) under 50,000 readings so the run
  // measures the ingest, not the broker's queue.
  const stored = () =>
    p.ingest.stats().rowsInserted + p.ingest.stats().duplicates - before.rowsInserted - before.duplicates;
  const report = await simulateInChild(
    { url, devices, rate, durationS: seconds, gatewayFlushMs: 100 },
    (acknowledged) => acknowledged - stored() > 50_000,
  );
  await waitStored(p.ctx, p.ingest, report);
  const cpuMs = await cpu.stop();
  const rows = await storedRows(p.ctx, report);
  // Samples of the tail are flushed within the coalescing window after the last batch.
  await new Promise((r) => setTimeout(r, 1000));
  const arrivals = await sse.stop();
  const figures = measure(label, rate, rows, report, arrivals, p.ingest.stats().duplicates - before.duplicates, cpuMs);
  process.stdout.write(
    ` ${report.readings} readings, ${Math.round(figures.storedPerS)} stored/s, ${figures.sse.count} SSE samples (load ${figures.load})\n`,
  );
  return figures;
}

/** Embedded mode: aedes (enforcing device tokens) + in-memory PGlite, one process, the same app and SSE client. */
async function embeddedRun(o: IngestBenchOptions): Promise<RunFigures> {
  const database = await openDatabase({ kind: 'pglite' });
  try {
    await migrateToLatest(database.db);
    const fleet = await provisionSimFleet(database.db, 'bench', o.devices);
    const security = createBrokerSecurity(database.db, { enforce: true });
    const broker = await openBroker(
      { kind: 'aedes', host: '127.0.0.1', port: 0, aedes: security.aedes, credentials: security.internal },
      `bench-embedded-${process.pid}`,
    );
    try {
      const pipeline = await startPipeline(database, broker, null, null);
      try {
        return await pipelineRun(
          pipeline,
          broker.url,
          fleet,
          o.rate,
          o.shortSeconds,
          `embedded aedes + PGlite, target ${o.rate}/s, ${o.shortSeconds} s`,
        );
      } finally {
        await pipeline.close();
      }
    } finally {
      await broker.close();
    }
  } finally {
    await database.close();
  }
}

// --- measuring --------------------------------------------------------------------------

interface StoredRow {
  device_id: string;
  msg_id: string;
  /** epoch ms */
  ts: number;
  received_at: number;
}

/** Waits until the run's readings are in the table (or nothing more arrived for 120 s). */
async function waitStored(ctx: AppContext, ingest: IngestHandle, report: SimulationReport): Promise<void> {
  const count = async () =>
    Number(
      (
        await sql<{ n: string }>`select count(*) as n from telemetry where msg_id like ${runLike(report)}`.execute(
          ctx.db,
        )
      ).rows[0]!.n,
    );
  let last = -1;
  let quietSince = Date.now();
  for (let n = await count(); n < report.ids!.size && Date.now() - quietSince < 120_000; n = await count()) {
    if (n !== last) ((last = n), (quietSince = Date.now()));
    await new Promise((r) => setTimeout(r, 500));
  }
  await ingest.drain();
}

async function storedRows(ctx: AppContext, report: SimulationReport): Promise<StoredRow[]> {
  const like = runLike(report);
  return (
    await sql<StoredRow>`
      select device_id, msg_id, (extract(epoch from ts) * 1000)::float8 as ts, (extract(epoch from received_at) * 1000)::float8 as received_at
      from telemetry where msg_id like ${like}`.execute(ctx.db)
  ).rows;
}

/** Every reading's msg_id is `<run id>-<n>`: the run's rows are found by that prefix. */
const runLike = (report: SimulationReport) =>
  `${report.ids!.values().next().value?.split(' ')[1]?.split('-')[0] ?? ''}-%`;

/** A live sample is matched to its reading by device and reading time (ms). */
const sampleKey = (deviceId: string, tsMs: number) => `${deviceId} ${Math.round(tsMs)}`;

function measure(
  label: string,
  rate: number,
  rows: StoredRow[],
  report: SimulationReport,
  arrivals: Array<[string, number]>,
  redeliveriesAbsorbed: number,
  cpuMs: CpuMs,
): RunFigures {
  const ids = report.ids!;
  const published = report.publishedAt!;
  const warmFrom = report.startedAt + WARMUP_MS;
  const stored = new Set<string>();
  const row = new LatencyList(warmFrom);
  const byKey = new Map<string, { publishedAt: number; storedAt: number }>();
  let first = Infinity;
  let last = 0;
  for (const r of rows) {
    const id = `${r.device_id} ${r.msg_id}`;
    stored.add(id);
    first = Math.min(first, r.received_at);
    last = Math.max(last, r.received_at);
    const at = published.get(id);
    if (at === undefined) continue;
    row.add(at, r.received_at);
    const key = sampleKey(r.device_id, r.ts);
    const seen = byKey.get(key);
    if (!seen || at < seen.publishedAt) byKey.set(key, { publishedAt: at, storedAt: r.received_at });
  }
  const sse = new LatencyList(warmFrom);
  const rowToSse = new LatencyList(warmFrom);
  for (const [key, arrivedAt] of arrivals) {
    const reading = byKey.get(key);
    if (!reading) continue;
    sse.add(reading.publishedAt, arrivedAt);
    rowToSse.add(reading.storedAt, arrivedAt);
  }
  let lost = 0;
  for (const id of ids) if (!stored.has(id)) lost++;
  return {
    label,
    rate,
    readings: ids.size,
    stored: rows.length,
    storedPerS: rows.length / Math.max(0.001, (last - first) / 1000),
    row: row.summary(),
    sse: sse.summary(),
    rowToSse: rowToSse.summary(),
    lost,
    duplicateRows: rows.length - stored.size,
    redeliveriesAbsorbed,
    cpu: {
      api: per1000(cpuMs.api, rows.length)!,
      database: per1000(cpuMs.database, rows.length),
      broker: per1000(cpuMs.broker, rows.length),
    },
    load: loadNow(),
  };
}

const per1000 = (ms: number | null, n: number) => (ms === null || !n ? null : Math.round((ms / n) * 1000 * 10) / 10);

type CpuMs = { api: number; database: number | null; broker: number | null };

/**
 * CPU time of the run, by process: load-independent, so runs on a busy machine can be
 * compared. This process (the API: ingest + SSE), the database's backends serving it and the
 * broker, read from /proc (Linux, local server only). Backends that close during the run are
 * missed (the pool keeps its busy ones).
 */
class CpuMeter {
  private constructor(
    private readonly p: Pipeline,
    private readonly api: NodeJS.CpuUsage,
    private readonly database: Map<number, number>,
    private readonly broker: number | null,
  ) {}

  static async start(p: Pipeline): Promise<CpuMeter> {
    return new CpuMeter(
      p,
      process.cpuUsage(),
      procCpuMs(await p.outside.database()),
      p.outside.broker && (procCpuMs([p.outside.broker]).get(p.outside.broker) ?? null),
    );
  }

  async stop(): Promise<CpuMs> {
    const api = process.cpuUsage(this.api);
    const pids = await this.p.outside.database();
    const now = procCpuMs(pids);
    let database: number | null = pids.length && now.size ? 0 : null;
    for (const [pid, ms] of now) database! += ms - (this.database.get(pid) ?? 0);
    const brokerNow = this.p.outside.broker ? procCpuMs([this.p.outside.broker]).get(this.p.outside.broker) : undefined;
    return {
      api: (api.user + api.system) / 1000,
      database,
      broker: brokerNow !== undefined && this.broker !== null ? brokerNow - this.broker : null,
    };
  }
}

class LatencyList {
  private readonly all: number[] = [];
  private readonly warm: number[] = [];
  constructor(private readonly warmFrom: number) {}

  add(publishedAt: number, arrivedAt: number): void {
    this.all.push(arrivedAt - publishedAt);
    if (publishedAt >= this.warmFrom) this.warm.push(arrivedAt - publishedAt);
  }

  summary(): Latency {
    return {
      p50: percentile(this.all, 0.5),
      p99: percentile(this.all, 0.99),
      p99Warm: percentile(this.warm, 0.99),
      count: this.all.length,
    };
  }
}

function percentile(list: number[], p: number): number {
  if (!list.length) return NaN;
  const sorted = Float64Array.from(list).sort();
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]! * 10) / 10;
}

const BENCH_PUBLISHER = 'bench_publisher';

const loadNow = () => Math.round(os.loadavg()[0]! * 100) / 100;

// --- ceilings -----------------------------------------------------------------------------

/** The broker's own ceiling: the same clients and message mix, one QoS 1 subscriber that only counts (and times). */
async function brokerOnly(
  apiUrl: string,
  url: string,
  devices: SimDevice[],
  rate: number,
  seconds: number,
): Promise<BrokerFigures> {
  const sub = mqtt.connect(apiUrl, { clientId: `bench-sub-${process.pid}`, protocolVersion: 4, clean: true });
  await new Promise<void>((resolve, reject) => sub.once('connect', () => resolve()).once('error', reject));
  await sub.subscribeAsync('fleetbook/v1/+/+/#', { qos: 1 });
  let readings = 0;
  let messages = 0;
  let first = 0;
  let last = 0;
  const arrivals: Array<[string, number]> = [];
  sub.on('message', (topic, payload) => {
    messages++;
    last = Date.now();
    if (!first) first = last;
    const [, , , device] = topic.split('/');
    if (topic.endsWith('/batch')) {
      const items = JSON.parse(payload.toString()) as Array<{ device_id: string; msg_id: string }>;
      readings += items.length;
      for (const i of items) arrivals.push([`${i.device_id} ${i.msg_id}`, last]);
    } else if (topic.endsWith('/telemetry')) {
      readings++;
      arrivals.push([`${device} ${(JSON.parse(payload.toString()) as { msg_id: string }).msg_id}`, last]);
    }
  });
  const label = `broker alone, ${Number.isFinite(rate) ? `${rate}/s` : 'flat out'}`;
  process.stdout.write(`  ${label}: running…`);
  const report = await simulateInChild({ url, devices, rate, durationS: seconds, gatewayFlushMs: 100 }, () => false);
  for (let i = 0; i < 60 && readings < report.readings; i++) await new Promise((r) => setTimeout(r, 250));
  await sub.endAsync();
  const latency = new LatencyList(report.startedAt + WARMUP_MS);
  for (const [id, at] of arrivals) {
    const publishedAt = report.publishedAt!.get(id);
    if (publishedAt !== undefined) latency.add(publishedAt, at);
  }
  const s = Math.max(0.001, (last - first) / 1000);
  const load = loadNow();
  process.stdout.write(` ${readings} of ${report.readings} readings received (load ${load})\n`);
  return { readingsPerS: readings / s, messagesPerS: messages / s, latency: latency.summary(), load };
}

/** The database's own ceiling: the ingest's write (the same function: COPY), 1,000 rows a batch, two connections. */
async function insertOnly(database: DatabaseHandle, seconds: number): Promise<{ rowsPerS: number; load: number }> {
  await sql`create table bench_insert (like telemetry including all)`.execute(database.db);
  await checkpoint(database.db);
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
      await insertTelemetryRows(database.db, values, 'bench_insert');
      rows += values.length;
    }
  };
  await Promise.all([worker(0), worker(1)]);
  const rowsPerS = rows / ((Date.now() - started) / 1000);
  await sql`drop table bench_insert`.execute(database.db);
  const load = loadNow();
  process.stdout.write(` ${rows} rows (load ${load})\n`);
  return { rowsPerS, load };
}

// --- worker processes: the simulator and the SSE client ---------------------------------

type ChildSimOptions = { url: string; devices: SimDevice[]; rate: number; durationS: number; gatewayFlushMs: number };
type SimMessage = { type: 'progress'; readings: number } | { type: 'done'; report: SimulationReport };
type SseMessage =
  { type: 'ready' } | { type: 'error'; message: string } | { type: 'arrivals'; arrivals: Array<[string, number]> };

/** This file in another process (structured clone over IPC: the report's Set and Map travel as they are). */
const forkWorker = (kind: 'sim' | 'sse') =>
  fork(__filename, ['--worker', kind], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' });

/**
 * The simulator runs in a child process, so its JSON and socket work does not share an
 * event loop with the ingest it measures: in production the devices are not in the API's
 * process either.
 */
function simulateInChild(
  options: ChildSimOptions,
  pauseWhen: (acknowledged: number) => boolean,
): Promise<SimulationReport> {
  return new Promise((resolve, reject) => {
    const child = forkWorker('sim');
    let paused = false;
    child.on('message', (m: SimMessage) => {
      if (m.type === 'progress') {
        const pause = pauseWhen(m.readings);
        if (pause !== paused) child.send({ type: 'pause', value: (paused = pause) });
      } else {
        resolve(m.report);
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
    process.send!({ type: 'done', report: await sim.done });
  });
}

/** An SSE client in its own process: resolves once the stream said `ready`; stop() returns [sample key, arrival ms] for every telemetry event. */
async function startSseClient(url: string, token: string): Promise<{ stop(): Promise<Array<[string, number]>> }> {
  const child = forkWorker('sse');
  const next = () =>
    new Promise<SseMessage>(
      (resolve, reject) => (
        child.once('message', resolve),
        child.once('exit', (code) => reject(new Error(`SSE client exited with ${code}`)))
      ),
    );
  child.send({ type: 'start', url, token });
  const first = await next();
  if (first.type !== 'ready') throw new Error(`SSE client: ${first.type === 'error' ? first.message : first.type}`);
  return {
    async stop() {
      child.send({ type: 'stop' });
      const m = await next();
      child.disconnect();
      if (m.type !== 'arrivals') throw new Error(`SSE client: ${m.type === 'error' ? m.message : m.type}`);
      return m.arrivals;
    },
  };
}

function sseWorker(): void {
  const arrivals: Array<[string, number]> = [];
  const controller = new AbortController();
  process.on('message', async (m: { type: 'start'; url: string; token: string } | { type: 'stop' }) => {
    if (m.type === 'stop') {
      controller.abort();
      process.send!({ type: 'arrivals', arrivals });
      return;
    }
    try {
      const res = await fetch(m.url, {
        headers: { accept: 'text/event-stream', authorization: `Bearer ${m.token}` },
        signal: controller.signal,
      });
      if (res.status !== 200 || !res.body) throw new Error(`GET ${m.url}: ${res.status}`);
      const decoder = new TextDecoder();
      let buffer = '';
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        const arrivedAt = Date.now(); // before parsing: the client's own work is not the stream's latency
        buffer += decoder.decode(chunk, { stream: true });
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          if (block.startsWith('event: ready')) process.send!({ type: 'ready' });
          if (!block.startsWith('event: telemetry\ndata: ')) continue;
          const sample = JSON.parse(block.slice('event: telemetry\ndata: '.length)) as {
            device_id: string;
            ts: number;
          };
          arrivals.push([sampleKey(sample.device_id, sample.ts * 1000), arrivedAt]);
        }
      }
    } catch (err) {
      if (!controller.signal.aborted) process.send!({ type: 'error', message: (err as Error).message });
    }
  });
}

// --- processes and databases ------------------------------------------------------------

async function serverVersion(database: DatabaseHandle): Promise<string> {
  return (
    await sql<{ v: string }>`select current_setting('server_version') as v`.execute(database.db)
  ).rows[0]!.v.split(' ')[0]!;
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}
const numberArg = (name: string, fallback: number) => (arg(name) === undefined ? fallback : Number(arg(name)));

/** Flags shared with bench/index.ts: --seconds, --rate, --devices, --short-seconds, --ingest-runs ceilings,target,flat,embedded. */
export const ingestOptionsFromArgs = (): IngestBenchOptions => {
  const runs = (arg('ingest-runs')?.split(',') ?? DEFAULTS.runs) as RunName[];
  const unknown = runs.filter((r) => !RUNS.includes(r));
  if (unknown.length)
    throw new Error(`--ingest-runs: unknown ${unknown.join(', ')} (expected some of ${RUNS.join(', ')})`);
  return {
    seconds: numberArg('seconds', DEFAULTS.seconds),
    rate: numberArg('rate', DEFAULTS.rate),
    devices: numberArg('devices', DEFAULTS.devices),
    shortSeconds: numberArg('short-seconds', DEFAULTS.shortSeconds),
    runs,
    perMessage: {
      messages: numberArg('messages', DEFAULTS.perMessage.messages),
      connections: numberArg('publishers', DEFAULTS.perMessage.connections),
      workers: numberArg('ingest-workers', DEFAULTS.perMessage.workers),
    },
  };
};

const worker = arg('worker');
if (require.main === module && worker === 'sim') simWorker();
else if (require.main === module && worker === 'sse') sseWorker();
else if (require.main === module) {
  ingestBenchmark(ingestOptionsFromArgs()).catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
