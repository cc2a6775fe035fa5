// Issue 16 benchmarks (`npm run bench -- --only runs`), each figure beside a baseline measured
// in the same run:
//  tree   — a spec of 20 independent actions (each an HTTP health check of a local endpoint
//           that answers after 200 ms): wall time as a tree (max_parallel 20, and the default 4)
//           vs the same actions as a sequence;
//  live   — a run's end (its finish write-back answered) → its run page answering 200 on the
//           site server (the live route), vs a GET of a static file of the same server;
//           with --runs-static also one background build of the handbook (SiteBuilder: build in
//           a new folder + atomic swap): the time until the static page is served;
//  commit — 1,000 runs (20 a day) written and committed one commit each into a fresh repository:
//           write + commitRun p50 of the first 10 vs the last 10, vs a plain git add + commit;
//  build  — the handbook with 20,000 run pages over 2 years (10 projects, fold age 30 days) vs
//           the same handbook without them.
// Options: --runs-parts tree,live,commit,build (default all) --runs-commits N (1000)
//          --run-pages N (20000) --run-projects N (10) --runs-static
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createToken } from '../data-api/src/kernel/auth/service.ts';
import { commitRun } from '../data-api/src/automation/git.ts';
import { MemoryRunReporter } from '../data-api/src/automation/journal.ts';
import { runAutomation } from '../data-api/src/automation/orchestrate.ts';
import { appendRunIndex, foldRuns, readRunIndex, writeRunIndex } from '../data-api/src/automation/run-index.ts';
import { renderRunPage, runPagePaths, writeRunPage } from '../data-api/src/automation/run-page.ts';
import { runSpec, type RunRecord } from '../data-api/src/automation/runner.ts';
import { executionSpecSchema } from '../data-api/src/contracts/execution-spec.ts';
import { ulidBody } from '../data-api/src/contracts/ids.ts';
import { openDatabase, type DatabaseHandle } from '../data-api/src/kernel/db/index.ts';
import { migrateToLatest } from '../data-api/src/kernel/db/migrator.ts';
import { PROJECT_ROOT } from '../data-api/src/kernel/paths.ts';
import { loadProductCatalog } from '../data-api/src/registry/products.ts';
import { SiteBuilder } from '../data-api/src/site/build.ts';
import { createPgDatabase, dropPgDatabase } from '../tests/helpers/database.ts';
import { client } from '../tests/helpers/registry.ts';
import { benchContext, listenApi } from './lib.ts';
import { makeBenchSite, timeBuildCpu, type BuildTime } from './site-build.ts';

type Part = 'tree' | 'live' | 'commit' | 'build';
export interface RunsBenchOptions {
  parts?: Part[];
  commits?: number;
  runPages?: number;
  projects?: number;
  staticBuild?: boolean;
}

const q = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
};
const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=Bench', '-c', 'user.email=bench@example.com', ...args], {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });

function baseSpec(actions: Array<Record<string, unknown>>, extra: Record<string, unknown> = {}) {
  return executionSpecSchema.parse({
    spec_version: 1,
    project: 'bench-runs',
    deployment_id: 'dep_bench-runs',
    product_code: 'lorawan-gw',
    product_version: '2.1.0',
    actions,
    ...extra,
  });
}

async function slowServer(delayMs: number): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((_req, res) => setTimeout(() => res.end('ok'), delayMs));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

/** 1. Parallel branches vs a sequence. */
async function treeBench() {
  const slow = await slowServer(200);
  try {
    const action = (i: number, tree: boolean) => ({
      id: `check-${i}`,
      type: 'run_health_checks',
      ...(tree ? { depends_on: [] } : {}),
      with: { checks: [{ http: slow.url, expect_status: 200 }] },
    });
    const time = async (tree: boolean, maxParallel?: number) => {
      const spec = baseSpec(
        Array.from({ length: 20 }, (_, i) => action(i, tree)),
        maxParallel ? { max_parallel: maxParallel } : {},
      );
      const t0 = performance.now();
      const run = await runSpec({ spec, reporter: new MemoryRunReporter(), env: {} });
      if (run.state !== 'succeeded') throw new Error(`tree bench run ${run.state}`);
      return (performance.now() - t0) / 1000;
    };
    await time(true, 20); // warm-up (module loads, sockets)
    return { parallel20: await time(true, 20), parallel4: await time(true), sequence: await time(false) };
  } finally {
    await slow.close();
  }
}

/** 2. Run end → run page 200 on the site server (live route), and optionally one background build. */
async function liveBench(tmp: string, staticBuild: boolean) {
  const baseUrl = process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
  const url = await createPgDatabase(baseUrl, 'fb_bench_runs');
  let database: DatabaseHandle | null = null;
  const slow = await slowServer(0);
  // A built site as Docusaurus leaves it: the live run route's shell (plugins/live-run-route) and a page.
  const siteDir = path.join(tmp, 'site-build');
  fs.mkdirSync(path.join(siteDir, 'docs/projects/:project/runs'), { recursive: true });
  fs.writeFileSync(
    path.join(siteDir, 'docs/projects/:project/runs/:run.html'),
    '<!doctype html><title>run</title>'.padEnd(40_000, ' '),
  );
  fs.writeFileSync(path.join(siteDir, 'index.html'), '<!doctype html><title>home</title>'.padEnd(40_000, ' '));
  try {
    database = await openDatabase({ kind: 'pg', url, max: 10 });
    await migrateToLatest(database.db);
    await loadProductCatalog(database.db, path.join(PROJECT_ROOT, 'docs', 'products'));
    const { app, base } = await listenApi(
      benchContext(database, { siteDir, siteStatus: () => ({ status: 'ready', builtAt: new Date().toISOString() }) }),
    );
    try {
      const admin = client(app, (await createToken(database.db, { name: 'bench-admin', role: 'admin' })).token);
      const automation = (await createToken(database.db, { name: 'bench-runner', role: 'automation' })).token;
      await admin.post('/customers', { id: 'cus_bench-runs', name: 'Bench' });
      await admin.post('/sites', {
        id: 'site_bench-runs',
        customer_id: 'cus_bench-runs',
        name: 'Bench',
        region: 'AS923_1',
      });
      await admin.post('/deployments', {
        id: 'dep_bench-runs',
        site_id: 'site_bench-runs',
        product_code: 'lorawan-gw',
        product_version: '2.1.0',
        state: 'installing',
      });
      const specFile = path.join(tmp, 'live-spec.json');
      fs.writeFileSync(
        specFile,
        JSON.stringify(
          baseSpec([
            { id: 'a', type: 'run_health_checks', depends_on: [], with: { checks: [{ http: slow.url }] } },
            { id: 'b', type: 'run_health_checks', depends_on: ['a'], with: { checks: [{ http: slow.url }] } },
          ]),
        ),
      );
      const toPage: number[] = [];
      const toStatic: number[] = [];
      for (let i = 0; i < 20; i++) {
        const outcome = await runAutomation({
          specFile,
          api: base,
          token: automation,
          docsDir: path.join(tmp, 'live-docs'),
          journal: path.join(tmp, `journal-${i}.jsonl`),
          out: () => {},
        });
        const ended = performance.now(); // the finish write-back has been answered
        const res = await fetch(`${base}/docs/projects/bench-runs/runs/${outcome.run!.run_id}`);
        await res.arrayBuffer();
        if (res.status !== 200) throw new Error(`run page answered ${res.status}`);
        toPage.push(performance.now() - ended);
        const a = performance.now();
        const home = await fetch(`${base}/index.html`);
        await home.arrayBuffer();
        toStatic.push(performance.now() - a);
      }
      let build: { seconds: number } | undefined;
      if (staticBuild) {
        // One background build of the handbook, as the watcher starts it after a run page lands.
        const site = makeBenchSite(0, () => '');
        try {
          const builder = new SiteBuilder(path.join(site, 'build'), () => {}, { root: site });
          const t0 = performance.now();
          const status = await builder.build();
          if (status.status !== 'ready') throw new Error(`background build ${status.status}: ${status.error}`);
          build = { seconds: (performance.now() - t0) / 1000 };
        } finally {
          fs.rmSync(site, { recursive: true, force: true });
        }
      }
      return {
        toPageMs: { p50: q(toPage, 0.5), p95: q(toPage, 0.95) },
        staticFileMs: { p50: q(toStatic, 0.5), p95: q(toStatic, 0.95) },
        build,
      };
    } finally {
      await app.close();
    }
  } finally {
    await slow.close();
    await database?.close();
    await dropPgDatabase(baseUrl, url).catch(() => {});
  }
}

/** One real run record to clone (so pages have real timelines, logs and the tree). */
async function sampleRun(): Promise<RunRecord> {
  const slow = await slowServer(0);
  try {
    const spec = baseSpec([
      { id: 'a', type: 'run_health_checks', depends_on: [], with: { checks: [{ http: slow.url }] } },
      { id: 'b', type: 'run_health_checks', depends_on: ['a'], with: { checks: [{ http: slow.url }] } },
      {
        id: 'c',
        type: 'run_health_checks',
        depends_on: ['a'],
        when: { in: ['EU868', { var: 'site.region' }] },
        with: { checks: [{ http: slow.url }] },
      },
      { id: 'd', type: 'run_health_checks', depends_on: ['b', 'c'], with: { checks: [{ http: slow.url }] } },
      { id: 'ticket', type: 'open_ticket_on_failure' },
    ]);
    return await runSpec({ spec, reporter: new MemoryRunReporter(), env: {} });
  } finally {
    await slow.close();
  }
}

function cloneRun(src: RunRecord, project: string, startedMs: number): RunRecord {
  const started = new Date(startedMs).toISOString();
  return {
    ...src,
    run_id: `arun_${ulidBody(startedMs)}`,
    project,
    spec: { ...src.spec, project },
    started_at: started,
    finished_at: started,
    artifacts: [],
    warnings: [],
  };
}

/**
 * 3. write + commit per run: flat from the first runs to the 1,000th. The first 10 and the last
 * 10 are timed in alternation (one run into a fresh repository, one into the repository that
 * already holds n − 10 runs, one plain commit), so both see the same machine load.
 */
async function commitBench(tmp: string, n: number) {
  const sample = await sampleRun();
  const day0 = Date.parse('2025-01-01T08:00:00.000Z');
  const makeRepo = (name: string) => {
    const repo = path.join(tmp, name);
    fs.mkdirSync(path.join(repo, 'docs'), { recursive: true });
    git(repo, 'init', '-q', '-b', 'main');
    fs.writeFileSync(path.join(repo, 'docs/index.mdx'), '# handbook\n');
    git(repo, 'add', '.');
    git(repo, 'commit', '-q', '-m', 'seed');
    return repo;
  };
  const commitOne = async (repo: string, i: number) => {
    const run = cloneRun(sample, 'bench-runs', day0 + Math.floor(i / 20) * 86_400_000 + (i % 20) * 60_000);
    const a = performance.now();
    const written = writeRunPage(run, { docsRoot: path.join(repo, 'docs'), foldDays: 30 });
    const b = performance.now();
    await commitRun({
      cwd: written.paths.dayDir,
      files: written.files,
      project: run.project,
      runId: run.run_id,
      state: run.state,
      author: 'Bench <bench@example.com>',
    });
    writes.push(b - a);
    return performance.now() - a;
  };
  const writes: number[] = [];
  const early = makeRepo('early');
  const late = makeRepo('late');
  const plainRepo = makeRepo('plain');
  const all: number[] = [];
  for (let i = 0; i < n - 10; i++) all.push(await commitOne(late, i));
  writes.length = 0;
  const first: number[] = [];
  const last: number[] = [];
  const plain: number[] = [];
  for (let i = 0; i < 10; i++) {
    first.push(await commitOne(early, i));
    last.push(await commitOne(late, n - 10 + i));
    const a = performance.now();
    fs.writeFileSync(path.join(plainRepo, 'docs', `plain-${i}.txt`), `plain ${i}\n`);
    git(plainRepo, 'add', '--', `docs/plain-${i}.txt`);
    git(plainRepo, 'commit', '-q', '-m', `plain ${i}`);
    plain.push(performance.now() - a);
  }
  all.push(...last);
  const writeFirst = q(
    writes.filter((_, i) => i % 2 === 0),
    0.5,
  );
  const writeLast = q(
    writes.filter((_, i) => i % 2 === 1),
    0.5,
  );
  const entries = readRunIndex(path.join(late, 'docs/projects/bench-runs/runs'));
  const folded = foldRuns(entries, 30);
  return {
    n,
    firstTenP50: q(first, 0.5),
    lastTenP50: q(last, 0.5),
    p50: q(all, 0.5),
    p95: q(all, 0.95),
    plainP50: q(plain, 0.5),
    writeFirst,
    writeLast,
    recent: folded.recent.length,
    months: folded.months.size,
  };
}

/** 4. The handbook with `pages` run pages over 2 years under `projects` projects, vs without. */
async function buildBench(pages: number, projects: number) {
  const sample = await sampleRun();
  const site = makeBenchSite(0, () => '');
  try {
    const without: BuildTime = timeBuildCpu(site, null, 'without');
    const docs = path.join(site, 'docs');
    const end = Date.parse('2026-11-30T18:00:00.000Z');
    const span = 730 * 86_400_000;
    const byProject = new Map<string, string[]>();
    for (let i = 0; i < pages; i++) {
      const project = `bench-project-${String(i % projects).padStart(2, '0')}`;
      const run = cloneRun(sample, project, end - span + Math.floor((i * span) / pages));
      const paths = runPagePaths(docs, project, run.run_id, run.started_at);
      fs.mkdirSync(paths.dayDir, { recursive: true });
      fs.writeFileSync(paths.page, renderRunPage(run, { pageDir: paths.dayDir }).mdx);
      appendRunIndex(paths.runsDir, {
        run_id: run.run_id,
        state: run.state,
        started: run.started_at,
        duration_s: 1.2,
        deployment_id: run.deployment_id,
        product: 'lorawan-gw 2.1.0',
        file: `${path.basename(paths.dayDir)}/${run.run_id}.mdx`,
      });
      byProject.set(project, [...(byProject.get(project) ?? []), run.run_id]);
    }
    let recent = 0;
    let months = 0;
    for (const project of byProject.keys()) {
      writeRunIndex(docs, project, { foldDays: 30 });
      const f = foldRuns(readRunIndex(path.join(docs, 'projects', project, 'runs')), 30);
      recent += f.recent.length;
      months += f.months.size;
    }
    const withRuns = timeBuildCpu(site, null, 'with-runs');
    return {
      pages,
      projects,
      recent,
      months,
      without,
      withRuns,
      ratio: withRuns.wall / without.wall,
      cpuRatio: withRuns.cpu / without.cpu,
    };
  } finally {
    fs.rmSync(site, { recursive: true, force: true });
  }
}

export async function runsBenchmark(o: RunsBenchOptions = {}) {
  const parts = new Set<Part>(o.parts ?? ['tree', 'live', 'commit', 'build']);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetbook-bench-runs-'));
  try {
    if (parts.has('tree')) {
      const t = await treeBench();
      console.log('step tree: 20 independent actions (HTTP checks answering after 200 ms each)');
      console.table([
        { spec: 'tree, max_parallel 20', seconds: +t.parallel20.toFixed(2) },
        { spec: 'tree, max_parallel 4 (default)', seconds: +t.parallel4.toFixed(2) },
        { spec: 'the same actions as a sequence (baseline)', seconds: +t.sequence.toFixed(2) },
      ]);
      console.log(
        `speed-up: ${(t.sequence / t.parallel20).toFixed(1)}× (max_parallel 20), ${(t.sequence / t.parallel4).toFixed(1)}× (4)`,
      );
    }
    if (parts.has('live')) {
      const l = await liveBench(tmp, o.staticBuild ?? false);
      console.log('run end (finish write-back answered) → its run page answering 200 (20 runs through the API)');
      console.table([
        {
          request: 'GET /docs/projects/<p>/runs/<run_id> right after the run ends',
          p50_ms: +l.toPageMs.p50.toFixed(1),
          p95_ms: +l.toPageMs.p95.toFixed(1),
        },
        {
          request: 'GET /index.html, a static file of the same server (baseline)',
          p50_ms: +l.staticFileMs.p50.toFixed(1),
          p95_ms: +l.staticFileMs.p95.toFixed(1),
        },
      ]);
      if (l.build)
        console.log(
          `one background build of the handbook (new folder + atomic swap): ${l.build.seconds.toFixed(1)} s → the static page is served after the debounce (2 s) + this`,
        );
    }
    if (parts.has('commit')) {
      const c = await commitBench(tmp, o.commits ?? 1000);
      console.log(
        `run page write + index append + commitRun, ${c.n} runs (20 a day) into one project (fold 30 days: ${c.recent} recent pages, ${c.months} month pages at the end)`,
      );
      console.table([
        { runs: 'first 10 (a fresh repository)', p50_ms: +c.firstTenP50.toFixed(1) },
        {
          runs: `last 10 (after ${c.n - 10}), timed in alternation with the first 10`,
          p50_ms: +c.lastTenP50.toFixed(1),
        },
        { runs: `all ${c.n}`, p50_ms: +c.p50.toFixed(1), p95_ms: +c.p95.toFixed(1) },
        { runs: 'plain git add + commit of one file (baseline)', p50_ms: +c.plainP50.toFixed(1) },
      ]);
      console.log(
        `of which writing the page and the index files (p50): first 10 ${c.writeFirst.toFixed(1)} ms, last 10 ${c.writeLast.toFixed(1)} ms`,
      );
      console.log(`last 10 / first 10 (p50): ${(c.lastTenP50 / c.firstTenP50).toFixed(2)} (goal: within 20 %)`);
    }
    if (parts.has('build')) {
      const b = await buildBench(o.runPages ?? 20_000, o.projects ?? 10);
      console.log(
        `site build: the handbook with ${b.pages} run pages over 2 years in ${b.projects} projects (fold 30 days: ${b.recent} recent run pages and ${b.months} months, drawn by plugins/run-pages: ${b.projects} runs pages + 2 shells built) vs without`,
      );
      console.table([
        { build: `with ${b.pages} run pages`, wall_s: +b.withRuns.wall.toFixed(1), cpu_s: +b.withRuns.cpu.toFixed(1) },
        { build: 'without (baseline)', wall_s: +b.without.wall.toFixed(1), cpu_s: +b.without.cpu.toFixed(1) },
      ]);
      console.log(`ratio with / without: ${b.ratio.toFixed(2)} wall, ${b.cpuRatio.toFixed(2)} CPU (goal ≤ 1.2)`);
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

export function runsOptionsFromArgs(argv = process.argv): RunsBenchOptions {
  const val = (name: string) => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1] : undefined);
  const num = (name: string) => (val(name) !== undefined ? Number(val(name)) : undefined);
  return {
    parts: val('runs-parts')?.split(',') as Part[] | undefined,
    commits: num('runs-commits'),
    runPages: num('run-pages'),
    projects: num('run-projects'),
    staticBuild: argv.includes('--runs-static'),
  };
}
