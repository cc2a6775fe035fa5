import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { sql } from 'kysely';
import mqtt from 'mqtt';
import pino from 'pino';
import { openDatabase, type DatabaseHandle } from '../data-api/src/kernel/db/index.ts';
import { forgetIngestSession, startIngest } from '../data-api/src/telemetry/ingest/service.ts';
import { telemetryInsert, type TelemetryRow } from '../data-api/src/telemetry/ingest/telemetry-insert.ts';
import { headlessContext } from '../tests/helpers/app.ts';
import { checkpoint } from './checkpoint.ts';
import { cpuSince, databaseServerPids } from './cpu.ts';
import { RawPublisher } from './raw-publisher.ts';

/**
 * One reading per MQTT message (issue #18): the way directly connected devices (the pump
 * controller) publish. `connections` publisher connections in their own process send
 * `messages` QoS 1 telemetry messages flat out, spread over the fleet's devices, to the tuned
 * Mosquitto; each consumer takes them from the same broker into the same database:
 *
 * - bare: one mqtt.js subscriber (persistent session; it PUBACKs on receipt) → JSON.parse → batched
 *   jsonb_to_recordset INSERT, one at a time: #18's definition (the statement is telemetryInsert,
 *   the ingest's own INSERT; the ingest itself writes large batches by COPY). No validation, no
 *   registry, no health, no live stream, no dead letters: the single-thread baseline. Twice:
 *   with 1,000-row INSERTs, as #18 defines it (the ratios are to this one), and with INSERTs
 *   that take everything that waited (the fewest round trips a single thread can make).
 * - fleetbook's ingest (startIngest, PUBACK after commit) in 1 process, as `fleetbook start` runs it by default;
 * - fleetbook's ingest in N processes sharing `$share/<group>/…`, as N workers of
 *   `fleetbook start` (FLEETBOOK_INGEST_WORKERS) run it.
 *
 * Every consumer runs in its own process (this one only coordinates), so each figure is the
 * consumers' and not the coordinator's. Stored/s is rows ÷ (last − first received_at) of the
 * run's rows in the table; lost = messages the broker acknowledged that are not in it.
 */

export interface PerMessageOptions {
  messages: number;
  connections: number;
  /** Ingest processes of the scaled run (default: cores). */
  workers: number;
}

export interface PerMessageFigures {
  run: string;
  processes: number;
  messages: number;
  stored: number;
  storedPerS: number;
  publishedPerS: number;
  lost: number;
  duplicateRows: number;
  /** Consumer CPU (all its processes) per 1,000 stored messages: independent of the machine's load. */
  cpuMsPer1k: number;
  /** Stored messages ÷ database transactions of the consumer. */
  messagesPerBatch: number;
  /** The publishers' CPU per 1,000 acknowledged messages (the load generator's share of the cores). */
  publisherCpuMsPer1k: number;
  /** The broker's and the database's CPU (its backends and background processes) per 1,000 stored messages. */
  brokerCpuMsPer1k: number | null;
  databaseCpuMsPer1k: number;
  load: number;
}

export interface PerMessageEnv {
  dbUrl: string;
  database: DatabaseHandle;
  /** Where the publishers connect (a bench user allowed to write every device topic). */
  publishUrl: string;
  /** Where the consumers connect (fleetbook's own listener, the API user). */
  consumeUrl: string;
  devices: Array<{ id: string; site_id: string }>;
  /** The broker's process (its CPU is measured), when it runs on this machine. */
  brokerPid: number | null;
}

type Role = 'publish' | 'bare' | 'ingest';
type ToChild =
  | {
      type: 'start';
      role: 'publish';
      url: string;
      devices: Array<{ id: string; site_id: string }>;
      messages: number;
      connections: number;
      runId: string;
    }
  | { type: 'start'; role: 'bare'; url: string; dbUrl: string; clientId: string; maxRows: number | null }
  | { type: 'start'; role: 'ingest'; url: string; dbUrl: string; instance: string; group: string }
  | { type: 'stop' }
  | { type: 'pause'; value: boolean };
type FromChild =
  | { type: 'ready' }
  | { type: 'progress'; n: number }
  | { type: 'published'; acknowledged: number; seconds: number; cpuMs: number }
  | { type: 'stopped'; cpuMs: number; batches: number }
  | { type: 'error'; message: string };

/** #18's baseline: the ratios are to this run. */
const BARE_LABEL = 'bare: mqtt.js → JSON.parse → 1,000-row INSERTs, one at a time (1 thread; #18)';
const per1k = (ms: number, n: number) => Math.round((ms / Math.max(1, n)) * 1000 * 10) / 10;
const loadNow = () => Math.round(os.loadavg()[0]! * 100) / 100;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function perMessageRuns(env: PerMessageEnv, o: PerMessageOptions): Promise<PerMessageFigures[]> {
  const out: PerMessageFigures[] = [];
  if (!process.env.BENCH_PER_MESSAGE_SKIP_BARE) {
    out.push(await run(env, o, BARE_LABEL, { role: 'bare', maxRows: 1000 }, 1));
    out.push(
      await run(env, o, 'bare: the same, each INSERT takes all that waited', { role: 'bare', maxRows: null }, 1),
    );
  }
  out.push(
    await run(env, o, 'fleetbook ingest, 1 process (FLEETBOOK_INGEST_WORKERS=1, the default)', { role: 'ingest' }, 1),
  );
  if (o.workers > 1)
    out.push(
      await run(
        env,
        o,
        `fleetbook ingest, ${o.workers} processes ($share, FLEETBOOK_INGEST_WORKERS=${o.workers})`,
        { role: 'ingest' },
        o.workers,
      ),
    );
  return out;
}

export function printPerMessage(figures: PerMessageFigures[], o: PerMessageOptions): void {
  const bare = figures.find((f) => f.run === BARE_LABEL);
  console.log(
    `\none reading per MQTT message, QoS 1, ${o.messages} messages, ${o.connections} publisher connections (same broker, database and publishers for every row):`,
  );
  console.table(
    figures.map((f) => ({
      run: f.run,
      'stored msgs/s': Math.round(f.storedPerS),
      '÷ bare (1,000 rows)': bare ? +(f.storedPerS / bare.storedPerS).toFixed(2) : '–',
      'published/s': Math.round(f.publishedPerS),
      stored: f.stored,
      lost: f.lost,
      'duplicate rows': f.duplicateRows,
      'msgs/batch': f.messagesPerBatch,
      'CPU ms/1k: consumer': f.cpuMsPer1k,
      'CPU ms/1k: publishers': f.publisherCpuMsPer1k,
      broker: f.brokerCpuMsPer1k ?? '–',
      database: f.databaseCpuMsPer1k,
      load: f.load,
    })),
  );
  const best = figures.filter((f) => !f.run.startsWith('bare')).sort((a, b) => b.storedPerS - a.storedPerS)[0];
  if (best && bare) {
    console.log(
      `goal (#18): ≥ 40,000 msgs/s and ≥ 1.2 × bare, 0 lost, 0 duplicated: best ${Math.round(best.storedPerS)} msgs/s, ${(best.storedPerS / bare.storedPerS).toFixed(2)} × bare, lost ${best.lost}, duplicates ${best.duplicateRows}`,
    );
  }
  for (const f of figures) {
    // What the rest of the machine costs per message bounds every consumer: with all the cores
    // given to the publishers, the broker and the database, and none to the consumer itself.
    if (f.brokerCpuMsPer1k === null) continue;
    const others = f.publisherCpuMsPer1k + f.brokerCpuMsPer1k + f.databaseCpuMsPer1k;
    const cores = os.cpus().length;
    console.log(
      `  ${f.run}: publishers + broker + database ${others.toFixed(1)} CPU ms per 1k messages → no consumer exceeds ${Math.round((cores * 1e6) / others)} msgs/s on ${cores} cores; with this consumer's ${f.cpuMsPer1k}: ${Math.round((cores * 1e6) / (others + f.cpuMsPer1k))}`,
    );
  }
}

async function run(
  env: PerMessageEnv,
  o: PerMessageOptions,
  label: string,
  consumer: { role: 'bare'; maxRows: number | null } | { role: 'ingest' },
  processes: number,
): Promise<PerMessageFigures> {
  const runId = randomBytes(3).toString('hex');
  const group = `bench${runId}`;
  const instances = Array.from({ length: processes }, (_, i) => `bench-pm-${runId}-w${i + 1}`);
  await checkpoint(env.database.db);
  process.stdout.write(`  per message, ${label}: running…`);
  // Flat out, the broker takes messages far faster than any consumer here: the publishers
  // pause while more than 50,000 acknowledged messages are not yet stored, so the run measures
  // the consumer and not the broker's queue (as the pipeline runs of bench/ingest.ts do).
  const storedBy = new Array<number>(instances.length).fill(0);
  let acknowledged = 0;
  let paused = false;
  let publisherChild: ChildProcess | null = null;
  const steer = () => {
    const backlog = acknowledged - storedBy.reduce((a, b) => a + b, 0);
    const pause = backlog > 50_000;
    if (pause !== paused && publisherChild?.connected)
      publisherChild.send({ type: 'pause', value: (paused = pause) } satisfies ToChild);
  };
  const consumers = await Promise.all(
    instances.map((instance, i) =>
      startChild(
        consumer.role === 'bare'
          ? { type: 'start', url: env.consumeUrl, dbUrl: env.dbUrl, clientId: `bench-bare-${runId}`, ...consumer }
          : { type: 'start', role: 'ingest', url: env.consumeUrl, dbUrl: env.dbUrl, instance, group },
        (n) => ((storedBy[i] = n), steer()),
      ),
    ),
  );
  try {
    const brokerCpu = await cpuSince(async () => (env.brokerPid ? [env.brokerPid] : []));
    const databaseCpu = await cpuSince(() => databaseServerPids(env.database));
    const publisher = await startChild(
      {
        type: 'start',
        role: 'publish',
        url: env.publishUrl,
        devices: env.devices,
        messages: o.messages,
        connections: o.connections,
        runId,
      },
      (n) => ((acknowledged = n), steer()),
    );
    publisherChild = publisher.child;
    const published = (await publisher.next()) as Extract<FromChild, { type: 'published' }>;
    publisher.child.disconnect();
    const stored = async () =>
      Number(
        (
          await sql<{ n: string }>`select count(*) as n from telemetry where msg_id like ${`${runId}-%`}`.execute(
            env.database.db,
          )
        ).rows[0]!.n,
      );
    let last = -1;
    let quietSince = Date.now();
    for (let n = await stored(); n < published.acknowledged && Date.now() - quietSince < 120_000; n = await stored()) {
      if (n !== last) {
        last = n;
        quietSince = Date.now();
      }
      await sleep(250);
    }
    const [brokerMs, databaseMs] = [await brokerCpu(), await databaseCpu()];
    let cpuMs = 0;
    let batches = 0;
    for (const c of consumers) {
      c.child.send({ type: 'stop' } satisfies ToChild);
      const stopped = (await c.next()) as Extract<FromChild, { type: 'stopped' }>;
      cpuMs += stopped.cpuMs;
      batches += stopped.batches;
      c.child.disconnect();
    }
    const figures = (
      await sql<{ rows: string; distinct_rows: string; seconds: number }>`
        select count(*) as rows, count(distinct (device_id, msg_id)) as distinct_rows,
               extract(epoch from max(received_at) - min(received_at))::float8 as seconds
        from telemetry where msg_id like ${`${runId}-%`}`.execute(env.database.db)
    ).rows[0]!;
    const rows = Number(figures.rows);
    const distinct = Number(figures.distinct_rows);
    const f: PerMessageFigures = {
      run: label,
      processes,
      messages: published.acknowledged,
      stored: distinct,
      storedPerS: distinct / Math.max(0.001, figures.seconds ?? 0),
      publishedPerS: published.acknowledged / published.seconds,
      lost: published.acknowledged - distinct,
      duplicateRows: rows - distinct,
      cpuMsPer1k: per1k(cpuMs, distinct),
      messagesPerBatch: Math.round(distinct / Math.max(1, batches)),
      publisherCpuMsPer1k: per1k(published.cpuMs, published.acknowledged),
      brokerCpuMsPer1k: env.brokerPid ? per1k(brokerMs, published.acknowledged) : null,
      databaseCpuMsPer1k: per1k(databaseMs, distinct),
      load: loadNow(),
    };
    process.stdout.write(` ${Math.round(f.storedPerS)} stored msgs/s, ${f.lost} lost (load ${f.load})\n`);
    return f;
  } finally {
    // Let them exit on their own (a CPU profile is written at exit), then make sure.
    await Promise.all(
      consumers.map((c) =>
        c.child.exitCode === null ? Promise.race([new Promise((r) => c.child.once('exit', r)), sleep(5000)]) : null,
      ),
    );
    for (const c of consumers) if (c.child.exitCode === null) c.child.kill('SIGKILL');
    if (consumer.role === 'ingest')
      for (const instance of instances) await forgetIngestSession(env.consumeUrl, instance).catch(() => {});
    else await forgetSession(env.consumeUrl, `bench-bare-${runId}`).catch(() => {});
  }
}

/** Ends a persistent session (connects with its id and a clean session). */
async function forgetSession(url: string, clientId: string): Promise<void> {
  const client = mqtt.connect(url, {
    clientId,
    clean: true,
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: 5000,
  });
  await new Promise<void>((resolve, reject) => client.once('connect', () => resolve()).once('error', reject));
  await client.endAsync();
}

/**
 * This file in another process; resolves once it is ready (subscribed, or connected for the
 * publisher). `progress` messages (readings acknowledged or stored so far) go to `onProgress`.
 */
async function startChild(
  start: Extract<ToChild, { type: 'start' }>,
  onProgress: (n: number) => void = () => {},
): Promise<{ child: ChildProcess; next(): Promise<FromChild> }> {
  // BENCH_CPU_PROF=<dir>: consumers write a V8 CPU profile there (where their time goes).
  const prof =
    process.env.BENCH_CPU_PROF && start.role !== 'publish'
      ? [`--cpu-prof`, `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`]
      : [];
  const child = fork(__filename, ['--per-message-worker'], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv: [...process.execArgv, ...prof],
  });
  const inbox: FromChild[] = [];
  const waiting: Array<{ resolve(m: FromChild): void; reject(err: Error): void }> = [];
  let exited: Error | null = null;
  child.on('message', (m: FromChild) => {
    if (m.type === 'progress') return onProgress(m.n);
    const w = waiting.shift();
    if (!w) inbox.push(m);
    else if (m.type === 'error') w.reject(new Error(`${start.role}: ${m.message}`));
    else w.resolve(m);
  });
  child.once('exit', (code) => {
    exited = new Error(`${start.role} process exited with ${code}`);
    for (const w of waiting.splice(0)) w.reject(exited);
  });
  const next = () =>
    new Promise<FromChild>((resolve, reject) => {
      const m = inbox.shift();
      if (m) return m.type === 'error' ? reject(new Error(`${start.role}: ${m.message}`)) : resolve(m);
      if (exited) return reject(exited);
      waiting.push({ resolve, reject });
    });
  child.send(start);
  const first = await next();
  if (first.type !== 'ready') throw new Error(`${start.role}: expected ready, got ${first.type}`);
  return { child, next };
}

// --- the child processes -----------------------------------------------------------------

function childMain(): void {
  const send = (m: FromChild) => process.send!(m);
  process.once('message', (m: ToChild) => {
    if (m.type !== 'start') return;
    const roles: Record<Role, () => Promise<void>> = {
      publish: () => publishRole(m as Extract<ToChild, { role: 'publish' }>, send),
      bare: () => bareRole(m as Extract<ToChild, { role: 'bare' }>, send),
      ingest: () => ingestRole(m as Extract<ToChild, { role: 'ingest' }>, send),
    };
    roles[m.role]().catch((err: Error) => {
      send({ type: 'error', message: err.stack ?? err.message });
      process.exitCode = 1;
    });
  });
}

const stopSignal = () =>
  new Promise<void>((resolve) => process.on('message', (m: ToChild) => m.type === 'stop' && resolve()));
const cpuMsSince = (start: NodeJS.CpuUsage) => {
  const u = process.cpuUsage(start);
  return (u.user + u.system) / 1000;
};

/**
 * `connections` clients publishing one telemetry reading per message, flat out, at most 500
 * unacknowledged each. They write QoS 1 frames themselves (raw-publisher.ts): the load
 * generator should cost the shared cores as little as it can.
 */
async function publishRole(m: Extract<ToChild, { role: 'publish' }>, send: (m: FromChild) => void): Promise<void> {
  let paused = false;
  let next = 0;
  let acknowledged = 0;
  const resumers: Array<() => void> = [];
  const pumps: Array<() => void> = [];
  const clients = await Promise.all(
    Array.from({ length: m.connections }, (_, i) =>
      RawPublisher.connect(m.url, `bench-pub-${m.runId}-${i}`, () => {
        acknowledged++;
        pumps[i]!();
      }),
    ),
  );
  process.on('message', (msg: ToChild) => {
    if (msg.type !== 'pause') return;
    paused = msg.value;
    if (!paused) for (const r of resumers.splice(0)) r();
  });
  send({ type: 'ready' });
  const started = Date.now();
  const cpu = process.cpuUsage();
  const progress = setInterval(() => send({ type: 'progress', n: acknowledged }), 100);
  await Promise.all(
    clients.map(
      (client, i) =>
        new Promise<void>((resolve) => {
          let waiting = false;
          const pump = (pumps[i] = () => {
            if (next >= m.messages) {
              if (client.inFlight === 0) resolve();
              return;
            }
            if (paused) {
              // Resume when the consumer caught up, or on the last PUBACK of this connection.
              if (!waiting && client.inFlight === 0) {
                waiting = true;
                resumers.push(() => ((waiting = false), pump()));
              }
              return;
            }
            // Top up in steps of 50: one write per step, not one per PUBACK.
            if (client.inFlight > 450) return;
            while (client.inFlight < 500 && next < m.messages) {
              const n = next++;
              const d = m.devices[n % m.devices.length]!;
              const payload = `{"schema_version":1,"msg_id":"${m.runId}-${n.toString(36)}","ts":${Date.now() / 1000},"status":"running","metrics":{"flow_lpm":${200 + (n % 80)},"pressure_bar":3.1,"motor_temp_c":51.5}}`;
              client.publish(`fleetbook/v1/${d.site_id}/${d.id}/telemetry`, payload);
            }
          });
          pump();
        }),
    ),
  );
  const seconds = (Date.now() - started) / 1000;
  clearInterval(progress);
  await Promise.all(clients.map((c) => c.end()));
  send({ type: 'published', acknowledged, seconds, cpuMs: cpuMsSince(cpu) });
}

/**
 * The bare pipeline: mqtt.js acknowledges on receipt; a batch goes at 1,000 rows or 50 ms, one
 * INSERT at a time, of at most `maxRows` rows (null: everything that arrived while the previous
 * one ran; under load, batches of several thousand rows).
 */
async function bareRole(m: Extract<ToChild, { role: 'bare' }>, send: (m: FromChild) => void): Promise<void> {
  const database = await openDatabase({ kind: 'pg', url: m.dbUrl, max: 2 });
  const cpu = process.cpuUsage();
  // A persistent session, like the ingest's: a connection lost under load (it happens on a
  // saturated machine) is resumed with what the broker kept for it, instead of counted lost.
  const client = mqtt.connect(m.url, { clientId: m.clientId, protocolVersion: 4, clean: false });
  await new Promise<void>((resolve, reject) => client.once('connect', () => resolve()).once('error', reject));
  let ending = false;
  client.on('error', (err) => process.stderr.write(`bare subscriber: ${err.message}\n`));
  client.on('close', () => ending || process.stderr.write('bare subscriber: connection closed (reconnecting)\n'));
  let rows: TelemetryRow[] = [];
  let stored = 0;
  let batches = 0;
  const progress = setInterval(() => send({ type: 'progress', n: stored }), 100);
  let writing: Promise<void> | null = null;
  let timer: NodeJS.Timeout | null = null;
  const flush = (): void => {
    if (timer) clearTimeout(timer);
    timer = null;
    if (writing || !rows.length) return;
    const take = m.maxRows === null ? rows : rows.slice(0, m.maxRows);
    rows = m.maxRows === null ? [] : rows.slice(take.length);
    writing = telemetryInsert(take)
      .execute(database.db)
      .then(() => void ((stored += take.length), batches++))
      .finally(() => {
        writing = null;
        if (rows.length >= 1000) flush();
        else if (rows.length) timer ??= setTimeout(flush, 50);
      });
  };
  client.on('message', (topic, payload) => {
    const t = JSON.parse(payload.toString()) as {
      msg_id: string;
      ts: number;
      status: string;
      metrics: Record<string, number>;
    };
    rows.push({ device_id: topic.split('/')[3]!, msg_id: t.msg_id, ts: t.ts, status: t.status, metrics: t.metrics });
    if (rows.length >= 1000) flush();
    else timer ??= setTimeout(flush, 50);
  });
  await client.subscribeAsync('fleetbook/v1/+/+/telemetry', { qos: 1 });
  send({ type: 'ready' });
  await stopSignal();
  while (writing || rows.length) {
    flush();
    await (writing ?? sleep(10));
  }
  const cpuMs = cpuMsSince(cpu);
  clearInterval(progress);
  ending = true;
  await client.endAsync();
  await database.close();
  send({ type: 'stopped', cpuMs, batches });
}

/** fleetbook's ingest as a worker of `fleetbook start` runs it: its own session in the shared group. */
async function ingestRole(m: Extract<ToChild, { role: 'ingest' }>, send: (m: FromChild) => void): Promise<void> {
  const database = await openDatabase({ kind: 'pg', url: m.dbUrl, max: 10 });
  const cpu = process.cpuUsage();
  const ctx = headlessContext(database, { version: 'bench' });
  // Warnings (a lost connection, a failed write) go to stderr: a run that stalls says why.
  const logger = pino({ level: 'warn' }, pino.destination(2));
  const ingest = await startIngest(ctx, {
    instance: m.instance,
    sharedGroup: m.group,
    url: m.url,
    starvedAfterPublishes: 0,
    logger,
  });
  const progress = setInterval(
    () => send({ type: 'progress', n: ingest.stats().rowsInserted + ingest.stats().duplicates }),
    100,
  );
  send({ type: 'ready' });
  await stopSignal();
  clearInterval(progress);
  await ingest.stop({ drainMs: 200 });
  const cpuMs = cpuMsSince(cpu);
  await database.close();
  send({ type: 'stopped', cpuMs, batches: ingest.stats().batches });
}

if (require.main === module && process.argv.includes('--per-message-worker')) childMain();
