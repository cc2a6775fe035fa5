import path from 'node:path';
import autocannon from 'autocannon';
import { sql } from 'kysely';
import pg from 'pg';
import type { App } from '../data-api/src/app.ts';
import { createToken } from '../data-api/src/kernel/auth/service.ts';
import { openDatabase, type DatabaseHandle } from '../data-api/src/kernel/db/index.ts';
import { migrateToLatest } from '../data-api/src/kernel/db/migrator.ts';
import { loadDemoData } from '../data-api/src/demo/index.ts';
import { PROJECT_ROOT } from '../data-api/src/kernel/paths.ts';
import { loadProductCatalog } from '../data-api/src/registry/products.ts';
import { benchContext, listenApi } from './lib.ts';
import { startApiWorkers } from './api-workers.ts';
import { availableCores } from '../data-api/src/kernel/workers.ts';
import { createPgDatabase, dropPgDatabase } from '../tests/helpers/database.ts';
import { mainThreadCpuMs, perRequest, pgBackendsCpuMs, cpuBetween, processCpuMs } from './cpu.ts';

/**
 * Registry list latency: 100,000 devices over 50 sites in a real PostgreSQL, the API
 * walked by cursor (`GET /api/v1/devices?site_id=…&status=…&limit=50`) under load, and
 * the same page queries sent straight through `pg` as the baseline, on the same data.
 * Also times `--demo` seeding (loadDemoData) into fresh databases.
 *
 * Each is measured at 1 connection (latency without queueing) and at --connections (under load).
 * Options (argv): --registry-devices N (100000), --registry-sites N (50), --registry-duration S (10),
 * --registry-connections N (10), --registry-workers N (cores), --registry-no-demo (skip the seeding times).
 * Beside latency, each run's CPU per request: the API's (the in-process API's main thread; the
 * workers' processes, every thread) or the bare loop's (this process: pg's parsing), and the
 * PostgreSQL backends' of the bench database. On two shared cores this is what load moves least.
 * Database: a fresh one created next to TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test).
 */
export interface RegistryBenchOptions {
  devices: number;
  sites: number;
  durationS: number;
  connections: number;
  /** The API again in this many cluster workers (FLEETBOOK_WORKERS, issue #18); 1: not measured. */
  workers: number;
  /** Time `--demo` seeding too (off with --registry-no-demo). */
  demo: boolean;
  baseUrl: string;
}

export interface LatencyFigures {
  p50: number;
  p99: number;
  rps: number;
  requests: number;
  errors: number;
  /** CPU ms per request of the API process(es), or of the bare loop's client; null when not measurable here. */
  cpuMs: number | null;
  /** CPU ms per request of the PostgreSQL backends serving the run. */
  pgCpuMs: number | null;
}

export interface RegistryBenchResult {
  options: RegistryBenchOptions;
  site: string;
  status: string;
  pages: number;
  devicesWalked: number;
  /** One entry per concurrency level: 1 connection, then `connections`. */
  runs: Array<{
    connections: number;
    api: LatencyFigures;
    /** The same walk against `workers` cluster workers; null when workers is 1. */
    apiWorkers: LatencyFigures | null;
    sql: LatencyFigures;
    ratio: { p50: number; p99: number; rps: number; workersP50: number | null };
  }>;
  seedSeconds: number;
  demo: { pg: { seconds: number; devices: number }; pglite: { seconds: number; devices: number } } | null;
}

function argvNumber(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i > 0 ? Number(process.argv[i + 1]) : NaN;
  return Number.isFinite(v) && v > 0 ? v : fallback;
}

export function registryBenchOptions(): RegistryBenchOptions {
  return {
    devices: argvNumber('registry-devices', 100_000),
    sites: argvNumber('registry-sites', 50),
    durationS: argvNumber('registry-duration', 10),
    connections: argvNumber('registry-connections', 10),
    workers: argvNumber('registry-workers', availableCores()),
    demo: !process.argv.includes('--registry-no-demo'),
    baseUrl: process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test',
  };
}

/** Customers, sites, one live deployment per site, and `devices` devices spread evenly, in a few statements. */
async function seed(database: DatabaseHandle, devices: number, sites: number): Promise<void> {
  const db = database.db;
  await sql`insert into customers (id, name) select 'cus_bench-' || g, 'Bench customer ' || g from generate_series(0, 4) g`.execute(
    db,
  );
  await sql`insert into sites (id, customer_id, name, timezone, lat, lon)
    select 'site_bench-' || lpad(g::text, 3, '0'), 'cus_bench-' || (g % 5), 'Bench site ' || g, 'Asia/Bangkok', 13 + g / 100.0, 100 + g / 100.0
    from generate_series(0, ${sites - 1}) g`.execute(db);
  await sql`insert into deployments (id, site_id, customer_id, name, product_code, product_version, state, planned_date, started_date)
    select 'dep_bench-' || lpad(g::text, 3, '0'), 'site_bench-' || lpad(g::text, 3, '0'), 'cus_bench-' || (g % 5), 'Soil probes ' || g, 'soil-probe', '1.4.2', 'live', '2026-01-01', '2026-01-05'
    from generate_series(0, ${sites - 1}) g`.execute(db);
  // Per site: 70 % up, 20 % down, 10 % unknown; a realistic observed_state and external_refs per device.
  await sql`insert into devices (id, deployment_id, site_id, customer_id, product_code, product_version, role, serial, name, status, last_seen,
                                 observed_state, external_refs, heartbeat_interval_s)
    select 'dev_bench-' || lpad(g::text, 7, '0'),
           'dep_bench-' || lpad((g % ${sites})::text, 3, '0'),
           'site_bench-' || lpad((g % ${sites})::text, 3, '0'),
           'cus_bench-' || ((g % ${sites}) % 5),
           'soil-probe', '1.4.2', 'sensor', 'SP' || lpad(g::text, 8, '0'), 'Soil probe ' || g,
           case when (g / ${sites}) % 10 < 7 then 'up' when (g / ${sites}) % 10 < 9 then 'down' else 'unknown' end,
           now() - (g % 600) * interval '1 second',
           jsonb_build_object('status', 'up', 'fw', '1.4.2', 'rssi_dbm', -90 - g % 30, 'snr_db', (g % 20) / 2.0,
                              'metrics', jsonb_build_object('temp_c', 20 + (g % 100) / 10.0, 'vwc_pct', 25 + (g % 150) / 10.0, 'battery_v', 3.6)),
           jsonb_build_object('chirpstack', jsonb_build_object('dev_eui', lpad(to_hex(g), 16, '0'), 'device_id', 'cs-' || g)),
           300
    from generate_series(0, ${devices - 1}) g`.execute(db);
  await sql`analyze`.execute(db);
}

function percentile(sortedMs: number[], p: number): number {
  if (sortedMs.length === 0) return NaN;
  return sortedMs[Math.min(sortedMs.length - 1, Math.ceil((p / 100) * sortedMs.length) - 1)]!;
}

/** CPU counters at one instant: the measured side's (ms, or null) and each bench-database backend's. */
interface CpuMark {
  own: number | null;
  pg: Map<number, number>;
}

async function markCpu(own: () => number | null | Promise<number | null>, baseUrl: string, url: string) {
  const pg = await pgBackendsCpuMs(baseUrl, new URL(url).pathname.slice(1));
  return { own: await own(), pg } satisfies CpuMark;
}

function cpuPerRequest(before: CpuMark, after: CpuMark, requests: number) {
  return {
    cpuMs: perRequest(before.own === null || after.own === null ? null : after.own - before.own, requests),
    pgCpuMs: perRequest(cpuBetween(before.pg, after.pg), requests),
  };
}

/** The bare query the API runs for one page, sent through pg by `connections` concurrent loops. */
async function sqlBaseline(
  url: string,
  site: string,
  status: string,
  cursors: Array<string | null>,
  o: RegistryBenchOptions,
  connections: number,
): Promise<LatencyFigures> {
  const pool = new pg.Pool({ connectionString: url, max: connections });
  pool.on('error', () => {}); // an idle client's error must not end the benchmark
  const page = (after: string | null) =>
    after === null
      ? pool.query('select * from devices where site_id = $1 and status = $2 order by id limit $3', [site, status, 51])
      : pool.query('select * from devices where site_id = $1 and status = $2 and id > $3 order by id limit $4', [
          site,
          status,
          after,
          51,
        ]);
  try {
    // Warm-up: one pass per connection.
    await Promise.all(
      Array.from({ length: connections }, async () => {
        for (const c of cursors) await page(c);
      }),
    );
    const latencies: number[] = [];
    let errors = 0;
    const before = await markCpu(processCpuMs, o.baseUrl, url);
    const started = performance.now();
    const until = started + o.durationS * 1000;
    await Promise.all(
      Array.from({ length: connections }, async (_, k) => {
        for (let i = k; performance.now() < until; i++) {
          const t0 = performance.now();
          try {
            await page(cursors[i % cursors.length]!);
          } catch {
            errors++;
          }
          latencies.push(performance.now() - t0);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const after = await markCpu(processCpuMs, o.baseUrl, url);
    latencies.sort((a, b) => a - b);
    return {
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      rps: latencies.length / seconds,
      requests: latencies.length,
      errors,
      ...cpuPerRequest(before, after, latencies.length),
    };
  } finally {
    await pool.end();
  }
}

async function timeDemo(o: RegistryBenchOptions): Promise<RegistryBenchResult['demo']> {
  const url = await createPgDatabase(o.baseUrl, 'fb_bench_demo');
  let pgFigures: { seconds: number; devices: number };
  try {
    const database = await openDatabase({ kind: 'pg', url });
    try {
      await migrateToLatest(database.db);
      await loadProductCatalog(database.db, path.join(PROJECT_ROOT, 'docs', 'products'));
      const t0 = performance.now();
      const counts = await loadDemoData(database.db);
      pgFigures = { seconds: (performance.now() - t0) / 1000, devices: counts.devices };
    } finally {
      await database.close();
    }
  } finally {
    await dropPgDatabase(o.baseUrl, url);
  }
  const lite = await openDatabase({ kind: 'pglite' });
  try {
    await migrateToLatest(lite.db);
    await loadProductCatalog(lite.db, path.join(PROJECT_ROOT, 'docs', 'products'));
    const t0 = performance.now();
    const counts = await loadDemoData(lite.db);
    return { pg: pgFigures, pglite: { seconds: (performance.now() - t0) / 1000, devices: counts.devices } };
  } finally {
    await lite.close();
  }
}

export async function registryBenchmark(
  o: RegistryBenchOptions = registryBenchOptions(),
): Promise<RegistryBenchResult> {
  const url = await createPgDatabase(o.baseUrl, 'fb_bench_registry');
  let database: DatabaseHandle | null = null;
  let app: App | null = null;
  try {
    database = await openDatabase({ kind: 'pg', url, max: o.connections });
    await migrateToLatest(database.db);
    await loadProductCatalog(database.db, path.join(PROJECT_ROOT, 'docs', 'products'));
    const s0 = performance.now();
    await seed(database, o.devices, o.sites);
    const seedSeconds = (performance.now() - s0) / 1000;

    // The API as production runs it, minus the broker and the background services (they
    // would write to the devices under measurement), listening on loopback.
    const listening = await listenApi(benchContext(database));
    app = listening.app;
    const base = listening.base;
    const token = (await createToken(database.db, { name: 'bench', role: 'viewer' })).token;
    const headers = { authorization: `Bearer ${token}` };

    // One real walk by cursor gives the page sequence every connection then repeats.
    const site = `site_bench-${String(Math.floor(o.sites / 2)).padStart(3, '0')}`;
    const status = 'up';
    const paths: string[] = [];
    let cursor: string | null = null;
    let walked = 0;
    do {
      const p = `/api/v1/devices?site_id=${site}&status=${status}&limit=50${cursor ? `&cursor=${cursor}` : ''}`;
      const res = await fetch(base + p, { headers });
      if (res.status !== 200) throw new Error(`GET ${p}: ${res.status} ${await res.text()}`);
      const body = (await res.json()) as { items: Array<{ id: string }>; next_cursor: string | null };
      paths.push(p);
      walked += body.items.length;
      cursor = body.next_cursor;
    } while (cursor);
    // The SQL baseline walks the same pages: keyset on the last id of the previous page.
    const ids = (
      await database.db
        .selectFrom('devices')
        .select('id')
        .where('site_id', '=', site)
        .where('status', '=', status)
        .orderBy('id')
        .execute()
    ).map((r) => r.id);
    if (ids.length !== walked) throw new Error(`the walk saw ${walked} devices, the database has ${ids.length}`);
    const cursors = paths.map((_, i) => (i === 0 ? null : ids[i * 50 - 1]!));

    // HTTP: autocannon in a worker thread, so the load generator does not share the server's event loop.
    const requests = paths.map((p) => ({ method: 'GET', path: p }));
    await autocannon({ url: base, connections: o.connections, duration: 2, headers, requests }); // warm-up
    const levels = [...new Set([1, o.connections])];
    const api: LatencyFigures[] = [];
    for (const connections of levels) {
      const before = await markCpu(mainThreadCpuMs, o.baseUrl, url);
      const http = await autocannon({ url: base, connections, duration: o.durationS, workers: 1, headers, requests });
      const after = await markCpu(mainThreadCpuMs, o.baseUrl, url);
      api.push({
        p50: http.latency.p50,
        p99: http.latency.p99,
        rps: http.requests.average,
        requests: http.requests.total,
        errors: http.errors + http.non2xx,
        ...cpuPerRequest(before, after, http.requests.total),
      });
    }
    await app.close();
    app = null;

    // The same walk against the API in cluster workers sharing one port (FLEETBOOK_WORKERS).
    const apiWorkers: LatencyFigures[] = [];
    if (o.workers > 1) {
      const cluster = await startApiWorkers(url, o.workers);
      try {
        await autocannon({ url: cluster.base, connections: o.connections, duration: 2, headers, requests }); // warm-up
        for (const connections of levels) {
          const before = await markCpu(() => cluster.cpuMs(), o.baseUrl, url);
          const http = await autocannon({
            url: cluster.base,
            connections,
            duration: o.durationS,
            workers: 1,
            headers,
            requests,
          });
          const after = await markCpu(() => cluster.cpuMs(), o.baseUrl, url);
          apiWorkers.push({
            p50: http.latency.p50,
            p99: http.latency.p99,
            rps: http.requests.average,
            requests: http.requests.total,
            errors: http.errors + http.non2xx,
            ...cpuPerRequest(before, after, http.requests.total),
          });
        }
      } finally {
        await cluster.close();
      }
    }

    const runs: RegistryBenchResult['runs'] = [];
    for (const [i, connections] of levels.entries()) {
      const bare = await sqlBaseline(url, site, status, cursors, o, connections);
      const a = api[i]!;
      const w = apiWorkers[i] ?? null;
      runs.push({
        connections,
        api: a,
        apiWorkers: w,
        sql: bare,
        ratio: {
          p50: a.p50 / bare.p50,
          p99: a.p99 / bare.p99,
          rps: bare.rps / a.rps,
          workersP50: w ? w.p50 / bare.p50 : null,
        },
      });
    }
    const demo = o.demo ? await timeDemo(o) : null;
    return {
      options: o,
      site,
      status,
      pages: paths.length,
      devicesWalked: walked,
      runs,
      seedSeconds,
      demo,
    };
  } finally {
    await app?.close();
    await database?.close();
    await dropPgDatabase(o.baseUrl, url);
  }
}

export function printRegistryBenchmark(r: RegistryBenchResult): void {
  const o = r.options;
  console.log(
    `registry: ${o.devices.toLocaleString('en')} devices over ${o.sites} sites (seeded in ${r.seedSeconds.toFixed(1)} s); ` +
      `walking ${r.site} status=${r.status} by cursor (${r.pages} pages of 50, ${r.devicesWalked} devices), ${o.durationS} s per run`,
  );
  const row = (name: string, c: number, f: LatencyFigures) => ({
    path: name,
    connections: c,
    'p50 ms': +f.p50.toFixed(2),
    'p99 ms': +f.p99.toFixed(2),
    'req/s': Math.round(f.rps),
    requests: f.requests,
    errors: f.errors,
    'CPU ms/req': f.cpuMs === null ? '-' : +f.cpuMs.toFixed(3),
    'PG CPU ms/req': f.pgCpuMs === null ? '-' : +f.pgCpuMs.toFixed(3),
  });
  console.table(
    r.runs.flatMap((run) => [
      row('API GET /api/v1/devices (HTTP, autocannon), 1 process', run.connections, run.api),
      ...(run.apiWorkers
        ? [row(`API GET /api/v1/devices, ${o.workers} workers (FLEETBOOK_WORKERS)`, run.connections, run.apiWorkers)]
        : []),
      row('bare SQL via pg (baseline)', run.connections, run.sql),
    ]),
  );
  for (const run of r.runs) {
    const workers =
      run.ratio.workersP50 === null ? '' : `; ${o.workers} workers / SQL p50 ${run.ratio.workersP50.toFixed(2)}`;
    console.log(
      `${run.connections} connection(s): ratio API / SQL p50 ${run.ratio.p50.toFixed(2)}, p99 ${run.ratio.p99.toFixed(2)}, throughput SQL / API ${run.ratio.rps.toFixed(2)}${workers}`,
    );
  }
  console.log(
    'goal: API p99 < 10 ms, ratio ≤ 2 (autocannon reports whole milliseconds); #18: p50 at 10 connections ≤ 2 × bare SQL with the workers',
  );
  console.log(
    'CPU ms/req: the API (1 process: its main thread; workers: their processes, every thread) or the bare loop (this process, pg client); PG: the bench database backends',
  );
  for (const run of r.runs) {
    const w = run.apiWorkers?.cpuMs ?? null;
    const bare = run.sql.cpuMs;
    if (bare === null) continue;
    const api = run.api.cpuMs === null ? '' : `API 1 process ${(run.api.cpuMs / bare).toFixed(2)}×`;
    const workers = w === null ? '' : `${api ? ', ' : ''}${o.workers} workers ${(w / bare).toFixed(2)}×`;
    console.log(`${run.connections} connection(s): CPU per request vs the bare loop's: ${api}${workers}`);
  }
  if (r.demo)
    console.log(
      `--demo seeding (loadDemoData, fresh database): PostgreSQL ${r.demo.pg.seconds.toFixed(2)} s, PGlite ${r.demo.pglite.seconds.toFixed(2)} s (${r.demo.pg.devices} devices)`,
    );
}
