// Automation benchmark (contracts.md "Execution spec v1", "Run pages"), each figure with a
// baseline measured in the same run:
//  1. throughput: N runs (default 200) queued through the API and run by two runner services
//     (claim → actions against the local fakes → run page → write-back through the journal),
//     vs the same N specs run by `fleetbook run` code with no API at all (the runner's own cost);
//  2. page write + commit: each run page (and the regenerated run index) written and committed,
//     one commit per run, vs a plain `git add` + `git commit` of one small file;
//  3. site build: the full handbook with 1,000 run pages under one project vs without them (and
//     vs 1,000 ordinary generated pages, to tell the cost of run pages from the cost of pages).
// Options: --runs N (200), --run-pages N (1000), --runner-concurrency N (4 per runner), --no-build.
// Database: a fresh PostgreSQL database next to TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { App } from '../data-api/src/app.ts';
import { createToken } from '../data-api/src/kernel/auth/service.ts';
import { commitRun } from '../data-api/src/automation/git.ts';
import { runAutomation } from '../data-api/src/automation/orchestrate.ts';
import { renderRunPage, runPagePaths, writeRunIndex, writeRunPage } from '../data-api/src/automation/run-page.ts';
import type { RunRecord } from '../data-api/src/automation/runner.ts';
import { generateId } from '../data-api/src/contracts/ids.ts';
import { openDatabase, type DatabaseHandle } from '../data-api/src/kernel/db/index.ts';
import { migrateToLatest } from '../data-api/src/kernel/db/migrator.ts';
import { PROJECT_ROOT } from '../data-api/src/kernel/paths.ts';
import { loadProductCatalog } from '../data-api/src/registry/products.ts';
import { RunnerService } from '../data-api/src/automation/runner-service/service.ts';
import { client } from '../tests/helpers/registry.ts';
import {
  fastSpec,
  seedDeployment,
  startFakes,
  type Fakes,
  type Seeded,
} from '../tests/integration/automation-runs-fixtures.ts';
import { generatedPage, makeBenchSite, timeBuild } from './site-build.ts';
import { benchContext, listenApi } from './lib.ts';
import { createPgDatabase, dropPgDatabase } from '../tests/helpers/database.ts';

export interface AutomationBenchOptions {
  runs?: number;
  runPages?: number;
  runnerConcurrency?: number;
  skipBuild?: boolean;
  baseUrl?: string;
}

export interface AutomationBenchResult {
  runs: number;
  deployments: number;
  throughput: {
    viaApi: { seconds: number; runsPerS: number; runners: number; concurrency: number };
    noApi: { seconds: number; runsPerS: number; concurrency: number };
  };
  pages: { writeMs: Quantiles; commitMs: Quantiles; plainCommitMs: Quantiles; firstTenMs: number; lastTenMs: number };
  build?: {
    pages: number;
    withRuns: number;
    withGeneric: number;
    without: number;
    ratio: number;
    ratioToGeneric: number;
  };
}

interface Quantiles {
  p50: number;
  p95: number;
  mean: number;
}

const quantiles = (xs: number[]): Quantiles => {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  return { p50: at(0.5), p95: at(0.95), mean: s.reduce((a, b) => a + b, 0) / s.length };
};
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** The bench spec: every action kind against the fakes; no device_up (the no-API baseline cannot ask the registry). */
function benchSpec(fakes: Fakes, d: Pick<Seeded, 'deployment' | 'gateway'>) {
  const spec = fastSpec(fakes, d);
  const checks = spec.actions.find((a: { id: string }) => a.id === 'checks');
  checks.with.checks = checks.with.checks.filter((c: Record<string, unknown>) => !('device_up' in c));
  return spec;
}

/** Runs `jobs` at most `limit` at a time. */
async function pool<T>(items: T[], limit: number, job: (item: T, i: number) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) {
        const i = next++;
        await job(items[i]!, i);
      }
    }),
  );
}

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=Bench', '-c', 'user.email=bench@example.com', ...args], {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });

export async function automationBenchmark(o: AutomationBenchOptions = {}): Promise<AutomationBenchResult> {
  const runs = o.runs ?? 200;
  const perRunner = o.runnerConcurrency ?? 4;
  const runners = 2;
  const baseUrl = o.baseUrl ?? (process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetbook-bench-automation-'));
  const url = await createPgDatabase(baseUrl, 'fb_bench_automation');
  let database: DatabaseHandle | null = null;
  let app: App | null = null;
  let fakes: Fakes | null = null;
  try {
    database = await openDatabase({ kind: 'pg', url, max: 10 });
    await migrateToLatest(database.db);
    await loadProductCatalog(database.db, path.join(PROJECT_ROOT, 'docs', 'products'));
    const api = await listenApi(benchContext(database));
    app = api.app;
    const base = api.base;
    const admin = client(app, (await createToken(database.db, { name: 'bench-admin', role: 'admin' })).token);
    const operator = client(app, (await createToken(database.db, { name: 'bench-operator', role: 'operator' })).token);
    const automation = (await createToken(database.db, { name: 'bench-runner', role: 'automation' })).token;
    fakes = await startFakes(tmp);

    // Enough deployments that "one running run per deployment" never starves the runners.
    const deployments: Seeded[] = [];
    const nDeps = Math.max(runners * perRunner * 2, 16);
    for (let i = 0; i < nDeps; i++)
      deployments.push(await seedDeployment(database.db, admin, `bench-${String(i).padStart(3, '0')}`));
    const specs = Array.from({ length: runs }, (_, i) => benchSpec(fakes!, deployments[i % nDeps]!));

    // 1a. Baseline: the same specs, no API (run pages into a scratch docs folder).
    const records: RunRecord[] = [];
    const noApiConcurrency = runners * perRunner;
    let t0 = performance.now();
    await pool(specs, noApiConcurrency, async (spec, i) => {
      const file = path.join(tmp, `spec-${i}.json`);
      fs.writeFileSync(file, JSON.stringify(spec));
      const outcome = await runAutomation({
        specFile: file,
        docsDir: path.join(tmp, 'scratch-docs'),
        env: fakes!.env,
        out: () => {},
      });
      if (outcome.run?.state !== 'succeeded')
        throw new Error(
          `baseline run ${i} ${outcome.run?.state}: ${outcome.run?.actions
            .map((a) => a.error)
            .filter(Boolean)
            .join('; ')}`,
        );
      records.push(outcome.run);
    });
    const noApiSeconds = (performance.now() - t0) / 1000;

    // 1b. Through the API: queue, then two runner services claim and run them all.
    for (const [i, spec] of specs.entries()) {
      const res = await operator.post(`/deployments/${deployments[i % nDeps]!.deployment}/automation-runs`, { spec });
      if (res.statusCode !== 201) throw new Error(`queue: ${res.statusCode} ${res.body}`);
    }
    t0 = performance.now();
    const services = Array.from(
      { length: runners },
      (_, k) =>
        new RunnerService({
          api: base,
          token: automation,
          name: `bench-runner-${k}`,
          docsDir: path.join(tmp, `runner-${k}`, 'docs'),
          root: PROJECT_ROOT,
          journalDir: path.join(tmp, `runner-${k}`, 'journal'),
          concurrency: perRunner,
          pollMs: 50,
          drain: true,
          env: fakes!.env,
        }),
    );
    await Promise.all(services.map((s) => s.start()));
    const apiSeconds = (performance.now() - t0) / 1000;
    const done = await database.db
      .selectFrom('automation_runs')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('state', '=', 'succeeded')
      .executeTakeFirstOrThrow();
    if (Number(done.n) !== runs) throw new Error(`${done.n} of ${runs} runs succeeded through the API`);

    // 2. Page write + commit, one commit per run, into a fresh repository; plain commits as the baseline.
    const repo = path.join(tmp, 'repo');
    fs.mkdirSync(path.join(repo, 'docs'), { recursive: true });
    git(repo, 'init', '-q', '-b', 'main');
    fs.writeFileSync(path.join(repo, 'docs/index.mdx'), '# handbook\n');
    git(repo, 'add', '.');
    git(repo, 'commit', '-q', '-m', 'seed');
    const writeMs: number[] = [];
    const commitMs: number[] = [];
    for (const run of records) {
      const a = performance.now();
      const written = writeRunPage(run, { docsRoot: path.join(repo, 'docs') });
      const b = performance.now();
      await commitRun({
        cwd: written.paths.dayDir,
        files: written.files,
        project: run.project,
        runId: run.run_id,
        state: run.state,
        author: 'Bench <bench@example.com>',
      });
      commitMs.push(performance.now() - b);
      writeMs.push(b - a);
    }
    const plainCommitMs: number[] = [];
    for (let i = 0; i < Math.min(50, records.length); i++) {
      const a = performance.now();
      fs.writeFileSync(path.join(repo, 'docs', `plain-${i}.txt`), `plain ${i}\n`);
      git(repo, 'add', '--', `docs/plain-${i}.txt`);
      git(repo, 'commit', '-q', '-m', `plain ${i}`);
      plainCommitMs.push(performance.now() - a);
    }
    const total = writeMs.map((w, i) => w + commitMs[i]!);
    const result: AutomationBenchResult = {
      runs,
      deployments: nDeps,
      throughput: {
        viaApi: { seconds: apiSeconds, runsPerS: runs / apiSeconds, runners, concurrency: perRunner },
        noApi: { seconds: noApiSeconds, runsPerS: runs / noApiSeconds, concurrency: noApiConcurrency },
      },
      pages: {
        writeMs: quantiles(writeMs),
        commitMs: quantiles(commitMs),
        plainCommitMs: quantiles(plainCommitMs),
        firstTenMs: mean(total.slice(0, 10)),
        lastTenMs: mean(total.slice(-10)),
      },
    };
    await app.close();
    app = null;

    // 3. The full handbook built with and without `runPages` run pages under one project.
    if (!o.skipBuild) {
      const pages = o.runPages ?? 1000;
      const site = makeBenchSite(0, generatedPage);
      try {
        const without = timeBuild(site);
        const docs = path.join(site, 'docs');
        const day0 = Date.parse('2025-01-01T08:00:00.000Z');
        for (let i = 0; i < pages; i++) {
          const src = records[i % records.length]!;
          const started = new Date(day0 + Math.floor(i / 20) * 86_400_000 + (i % 20) * 60_000).toISOString();
          const run: RunRecord = {
            ...src,
            run_id: generateId('automationRun'),
            project: 'farm-north-lorawan',
            started_at: started,
            finished_at: started,
            artifacts: [],
          };
          const paths = runPagePaths(docs, run.project, run.run_id, started);
          fs.mkdirSync(paths.dayDir, { recursive: true });
          fs.writeFileSync(paths.page, renderRunPage(run, { pageDir: paths.dayDir }).mdx);
        }
        writeRunIndex(docs, 'farm-north-lorawan');
        const withRuns = timeBuild(site);
        // The same number of ordinary handbook pages (prose, a table, a code block), for scale.
        const generic = makeBenchSite(pages, generatedPage);
        let withGeneric: number;
        try {
          withGeneric = timeBuild(generic);
        } finally {
          fs.rmSync(generic, { recursive: true, force: true });
        }
        result.build = {
          pages,
          withRuns,
          withGeneric,
          without,
          ratio: withRuns / without,
          ratioToGeneric: withRuns / withGeneric,
        };
      } finally {
        fs.rmSync(site, { recursive: true, force: true });
      }
    }
    return result;
  } finally {
    await app?.close();
    await fakes?.close();
    await database?.close();
    await dropPgDatabase(baseUrl, url).catch(() => {});
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

export function printAutomationBenchmark(r: AutomationBenchResult): void {
  const t = r.throughput;
  console.log(
    `automation: ${r.runs} runs (provision_vm on a fake Proxmox, compose over a stand-in ssh, gateway config, tcp check; ${r.deployments} deployments)`,
  );
  console.table([
    {
      path: `queued via the API, ${t.viaApi.runners} runner services × ${t.viaApi.concurrency} (claim, write-back, run page)`,
      seconds: +t.viaApi.seconds.toFixed(1),
      'runs/s': +t.viaApi.runsPerS.toFixed(1),
    },
    {
      path: `fleetbook run code, no API, ${t.noApi.concurrency} at a time (baseline)`,
      seconds: +t.noApi.seconds.toFixed(1),
      'runs/s': +t.noApi.runsPerS.toFixed(1),
    },
  ]);
  console.log(`ratio API / no API (runs/s): ${(t.viaApi.runsPerS / t.noApi.runsPerS).toFixed(2)}`);
  const p = r.pages;
  console.log(`run page write + commit (one commit per run, ${r.runs} runs into one project)`);
  console.table([
    { step: 'write page + regenerate run index', p50_ms: +p.writeMs.p50.toFixed(1), p95_ms: +p.writeMs.p95.toFixed(1) },
    {
      step: 'commitRun (status check, add, commit)',
      p50_ms: +p.commitMs.p50.toFixed(1),
      p95_ms: +p.commitMs.p95.toFixed(1),
    },
    {
      step: 'plain git add + commit of one file (baseline)',
      p50_ms: +p.plainCommitMs.p50.toFixed(1),
      p95_ms: +p.plainCommitMs.p95.toFixed(1),
    },
  ]);
  console.log(
    `write + commit, first 10 runs: ${p.firstTenMs.toFixed(0)} ms each; last 10: ${p.lastTenMs.toFixed(0)} ms each (the index is rebuilt from every page)`,
  );
  if (r.build) {
    console.log(
      `site build: the handbook with ${r.build.pages} run pages under one project vs without (and vs ${r.build.pages} ordinary pages)`,
    );
    console.table([
      { build: `with ${r.build.pages} run pages`, seconds: +r.build.withRuns.toFixed(1) },
      { build: `with ${r.build.pages} ordinary generated pages`, seconds: +r.build.withGeneric.toFixed(1) },
      { build: 'without (baseline)', seconds: +r.build.without.toFixed(1) },
    ]);
    console.log(
      `ratio with run pages / without: ${r.build.ratio.toFixed(2)}; with run pages / with ordinary pages: ${r.build.ratioToGeneric.toFixed(2)}`,
    );
  }
}
