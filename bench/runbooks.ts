// Runbooks benchmark (runbooks.md):
// (1) `fleetbook lint` over N generated runbooks, as a user runs it (goal: 1,000 in < 5 s);
// (2) the site build with those pages, with and without the remark plugins (lint + checklist +
//     runner injection) on them (goal: ratio ≤ 1.10);
// (3) a tick's round trip over loopback HTTP, and the time until another client sees it on the
//     SSE stream (goal: p95 < 50 ms), on embedded PGlite and, when reachable, PostgreSQL.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createToken } from '../data-api/src/kernel/auth/service.ts';
import type { Execution } from '../data-api/src/contracts/executions.ts';
import { openDatabase, type DatabaseHandle } from '../data-api/src/kernel/db/index.ts';
import { migrateToLatest } from '../data-api/src/kernel/db/migrator.ts';
import { PROJECT_ROOT } from '../data-api/src/kernel/paths.ts';
import { loadProductCatalog } from '../data-api/src/registry/products.ts';
import { createPgDatabase, dropPgDatabase } from '../tests/helpers/database.ts';
import { makeBenchSite, timeBuildCpu, type BuildTime } from './site-build.ts';
import { benchContext, listenApi } from './lib.ts';

const CLI = path.join(PROJECT_ROOT, 'bin/fleetbook.mjs');

export interface RunbooksBenchOptions {
  /** Generated runbooks for lint and the builds (default 1000). */
  runbooks?: number;
  /** Tick round trips per database (default 500). */
  ticks?: number;
  /** Skip the site builds (minutes each). */
  skipBuild?: boolean;
  /** Builds per variant, alternating the order (default 2); the best of each is kept. */
  rounds?: number;
}

interface Latency {
  p50: number;
  p95: number;
  p99: number;
  max: number;
}
export interface RunbooksBenchResult {
  lint: { runbooks: number; seconds: number; errors: number };
  /** Best of `rounds` builds each (wall and CPU seconds); the ratio is taken on CPU time, which a busy machine disturbs far less than wall time. */
  build: {
    runbooks: number;
    rounds: number;
    withPlugins: BuildTime;
    without: BuildTime;
    ratio: number;
    wallRatio: number;
  } | null;
  ticks: Array<{ database: string; n: number; roundTrip: Latency; seenOnStream: Latency }>;
}

/** A realistic runbook: 4 gates, 12 items (values with ranges, photos, a sign-off), a task-list body. */
export function generatedRunbook(i: number): string {
  const id = `rb-gen-${String(i).padStart(4, '0')}`;
  const requires = i % 10 === 9 ? `[rb-gen-${String(i - 1).padStart(4, '0')}]` : '[]';
  const gates = [
    {
      id: 'g1-power',
      title: 'Power and enclosure',
      sign_off: 'lead',
      items: [
        ['mount', 'Enclosure mounted and grounded', 'photo'],
        ['psu', 'PSU output voltage', 'value', '{ min: 11.5, max: 12.5, unit: V }'],
        ['earth', 'Earth resistance at the rod', 'value', '{ min: 0, max: 10, unit: ohm }'],
      ],
    },
    {
      id: 'g2-network',
      title: 'Backhaul',
      items: [
        ['link', 'Backhaul link up and its type noted', 'note'],
        ['rtt', 'Round trip time to the server', 'value', '{ min: 1, max: 300, unit: ms }'],
        ['udp', 'Forwarder reaches the server on UDP 1700', 'none'],
      ],
    },
    {
      id: 'g3-config',
      title: 'Configuration',
      items: [
        ['conf', 'Configuration exported', 'file'],
        ['region', 'Region plan AS923_1 checked', 'none'],
        ['cs', 'Gateway page in ChirpStack', 'link'],
      ],
    },
    {
      id: 'g4-verify',
      title: 'Verify',
      items: [
        ['join', 'Test device joined', 'none'],
        ['rssi', 'RSSI at the farthest point', 'value', '{ min: -120, max: -30, unit: dBm }'],
        ['up', 'Gateway up in fleetbook', 'none'],
      ],
    },
  ];
  const fm = gates
    .map(
      (g) =>
        `  - id: ${g.id}\n    title: ${g.title}\n${g.sign_off ? `    sign_off: ${g.sign_off}\n` : ''}    checklist:\n` +
        g.items
          .map(
            ([iid, text, ev, expect]) =>
              `      - id: ${iid}\n        text: ${text}\n        evidence: ${ev}\n${expect ? `        expect: ${expect}\n` : ''}`,
          )
          .join(''),
    )
    .join('');
  const body = gates
    .map(
      (g) =>
        `## ${g.title}\n\nDo the ${g.title.toLowerCase()} steps in order; the notes below say why.\n\n${g.items.map(([iid, text]) => `- [ ] ${text} \\{#${iid}\\}`).join('\n')}\n`,
    )
    .join('\n');
  return `---
id: ${id}
title: Generated runbook ${i}
kind: runbook
version: ${1 + (i % 3)}
owner: ops
product_code: lorawan-gw
product_versions: ">=2.0 <3"
estimated_minutes: ${30 + (i % 90)}
requires: ${requires}
gates:
${fm}---

# Generated runbook ${i}

A generated runbook with the shape of a real one: prose, a table, and the checklist.

| measurement | good | marginal |
| --- | --- | --- |
| PSU | 11.8–12.2 V | 11.5–12.5 V |
| RTT | < 80 ms | < 300 ms |

${body}`;
}

function percentiles(xs: number[]): Latency {
  const s = [...xs].sort((a, b) => a - b);
  const at = (p: number) => s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
  return { p50: at(50), p95: at(95), p99: at(99), max: s[s.length - 1]! };
}

function timeLint(siteDir: string): { seconds: number; errors: number; out: string } {
  const t0 = performance.now();
  const res = spawnSync(process.execPath, [CLI, 'lint', '--format', 'json'], {
    cwd: siteDir,
    encoding: 'utf8',
    maxBuffer: 256 << 20,
  });
  const seconds = (performance.now() - t0) / 1000;
  let errors = -1;
  try {
    errors = JSON.parse(res.stdout).errorCount;
  } catch {
    throw new Error(
      `fleetbook lint gave no JSON (exit ${res.status}):\n${res.stdout.slice(-2000)}\n${res.stderr.slice(-2000)}`,
    );
  }
  return { seconds, errors, out: res.stdout };
}

/** Our config with the runbook remark plugins taken off both docs instances (the baseline). */
function writeNoRemarkConfig(siteDir: string): string {
  const file = path.join(siteDir, 'docusaurus.noremark.config.ts');
  fs.writeFileSync(
    file,
    `import config from './docusaurus.config';
const strip = (o: any) => ({ ...o, beforeDefaultRemarkPlugins: [] });
export default {
  ...config,
  presets: (config.presets ?? []).map((p: any) => [p[0], { ...p[1], docs: strip(p[1].docs) }]),
  plugins: (config.plugins ?? []).map((p: any) => (Array.isArray(p) && p[0] === '@docusaurus/plugin-content-docs' ? [p[0], strip(p[1])] : p)),
};
`,
  );
  return file;
}

async function tickLatency(database: DatabaseHandle, label: string, n: number) {
  await migrateToLatest(database.db);
  await loadProductCatalog(database.db, path.join(PROJECT_ROOT, 'docs', 'products'));
  const { app, base: origin } = await listenApi(
    benchContext(database, { blobDir: fs.mkdtempSync(path.join(os.tmpdir(), 'fb-bench-blobs-')) }),
  );
  const base = `${origin}/api/v1`;
  const controller = new AbortController();
  try {
    const admin = (await createToken(database.db, { name: 'bench-admin', role: 'admin' })).token;
    const op = (await createToken(database.db, { name: 'bench-operator', role: 'operator' })).token;
    const call = async (token: string, method: string, p: string, body?: unknown) => {
      const res = await fetch(base + p, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${await res.text()}`);
      return res.json();
    };
    await call(admin, 'POST', '/customers', { id: 'cus_bench', name: 'Bench' });
    await call(admin, 'POST', '/sites', { id: 'site_bench', customer_id: 'cus_bench', name: 'Bench' });
    await call(admin, 'POST', '/deployments', {
      id: 'dep_bench',
      site_id: 'site_bench',
      product_code: 'lorawan-gw',
      product_version: '2.1.0',
      state: 'installing',
    });
    const e = (await call(op, 'POST', '/runbook-executions', {
      runbook_id: 'rb-practice-first-execution',
      deployment_id: 'dep_bench',
    })) as Execution;

    // A second person's stream: when does the tick reach them?
    const seen = new Map<number, number>();
    const res = await fetch(`${base}/stream?topics=execution:${e.id}`, {
      headers: { authorization: `Bearer ${op}` },
      signal: controller.signal,
    });
    const reader = res.body!.getReader();
    let ready!: () => void;
    const isReady = new Promise<void>((r) => (ready = r));
    void (async () => {
      const decoder = new TextDecoder();
      let buf = '';
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return;
          buf += decoder.decode(value, { stream: true });
          let cut: number;
          while ((cut = buf.indexOf('\n\n')) >= 0) {
            const block = buf.slice(0, cut);
            buf = buf.slice(cut + 2);
            if (block.includes('event: ready')) ready();
            const data = /^data: (.*)$/m.exec(block)?.[1];
            if (block.includes('event: change') && data) {
              const v = (JSON.parse(data).payload as { item?: { version: number } }).item?.version;
              if (v !== undefined) seen.set(v, performance.now());
            }
          }
        }
      } catch {
        // aborted
      }
    })();
    await isReady;

    const warmup = 20;
    const rt: number[] = [];
    const stream: number[] = [];
    for (let i = 0; i < n + warmup; i++) {
      const verb = i % 2 === 0 ? 'tick' : 'untick';
      const t0 = performance.now();
      const r = (await call(op, 'POST', `/runbook-executions/${e.id}/items/ppe/${verb}`, { if_version: i })) as {
        item: { version: number };
      };
      const t1 = performance.now();
      for (let w = 0; !seen.has(r.item.version) && w < 2000; w++) await new Promise((res) => setTimeout(res, 0.5));
      if (i >= warmup) {
        rt.push(t1 - t0);
        stream.push((seen.get(r.item.version) ?? Infinity) - t0);
      }
    }
    return { database: label, n, roundTrip: percentiles(rt), seenOnStream: percentiles(stream) };
  } finally {
    controller.abort();
    await app.close();
  }
}

export async function runbooksBenchmark(o: RunbooksBenchOptions = {}): Promise<RunbooksBenchResult> {
  const runbooks = o.runbooks ?? 1000;
  const ticks = o.ticks ?? 500;
  const dir = makeBenchSite(runbooks, generatedRunbook);
  let lint: RunbooksBenchResult['lint'];
  let build: RunbooksBenchResult['build'] = null;
  try {
    timeLint(dir); // warm the file cache and tsx's transform cache, like a second run in an editor
    const l = timeLint(dir);
    lint = { runbooks, seconds: l.seconds, errors: l.errors };
    if (l.errors !== 0) throw new Error(`the generated runbooks should lint clean, got ${l.errors} errors`);
    if (!o.skipBuild) {
      const rounds = o.rounds ?? 2;
      const noRemark = writeNoRemarkConfig(dir);
      const best = { with: { wall: Infinity, cpu: Infinity }, without: { wall: Infinity, cpu: Infinity } };
      const keep = (k: 'with' | 'without', t: BuildTime) =>
        (best[k] = { wall: Math.min(best[k].wall, t.wall), cpu: Math.min(best[k].cpu, t.cpu) });
      for (let r = 0; r < rounds; r++) {
        // Alternate the order: whichever runs first pays for cold file caches.
        const order: Array<'with' | 'without'> = r % 2 === 0 ? ['without', 'with'] : ['with', 'without'];
        for (const k of order) keep(k, timeBuildCpu(dir, k === 'with' ? null : noRemark, k));
      }
      if (
        !fs
          .readFileSync(path.join(dir, 'build-with/docs/generated/rb-gen-0000.html'), 'utf8')
          .includes('runbook-runner')
      )
        throw new Error('the build with plugins has no runner on the generated pages');
      if (
        fs
          .readFileSync(path.join(dir, 'build-without/docs/generated/rb-gen-0000.html'), 'utf8')
          .includes('runbook-runner')
      )
        throw new Error('the baseline build has the runner: the plugins were not taken off');
      build = {
        runbooks,
        rounds,
        withPlugins: best.with,
        without: best.without,
        ratio: best.with.cpu / best.without.cpu,
        wallRatio: best.with.wall / best.without.wall,
      };
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }

  const results: RunbooksBenchResult['ticks'] = [];
  const lite = await openDatabase({ kind: 'pglite' });
  try {
    results.push(await tickLatency(lite, 'embedded PGlite', ticks));
  } finally {
    await lite.close();
  }
  const pgBase = process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
  let url: string | null = null;
  try {
    url = await createPgDatabase(pgBase);
  } catch (err) {
    console.warn(`PostgreSQL at ${pgBase} not reachable (${(err as Error).message}): tick latency on PGlite only`);
  }
  if (url) {
    const pg = await openDatabase({ kind: 'pg', url, max: 5 });
    try {
      results.push(await tickLatency(pg, 'PostgreSQL', ticks));
    } finally {
      await pg.close();
      await dropPgDatabase(pgBase, url);
    }
  }
  return { lint, build, ticks: results };
}

export function printRunbooksBenchmark(r: RunbooksBenchResult): void {
  console.log(`\nrunbooks: fleetbook lint over ${r.lint.runbooks} generated runbooks (goal < 5 s)`);
  console.table([
    {
      runbooks: r.lint.runbooks,
      seconds: +r.lint.seconds.toFixed(2),
      errors: r.lint.errors,
      goal: r.lint.seconds < 5 ? 'met' : 'MISSED',
    },
  ]);
  if (r.build) {
    console.log(
      `runbooks: site build with those pages, remark plugins (lint + printable checklist + runner) on vs off, best of ${r.build.rounds} (goal ratio ≤ 1.10)`,
    );
    console.table([
      {
        build: 'with the runbook remark plugins',
        wall_s: +r.build.withPlugins.wall.toFixed(1),
        cpu_s: +r.build.withPlugins.cpu.toFixed(1),
      },
      {
        build: 'without them (baseline)',
        wall_s: +r.build.without.wall.toFixed(1),
        cpu_s: +r.build.without.cpu.toFixed(1),
      },
    ]);
    console.log(
      `ratio with / without: ${r.build.ratio.toFixed(2)} CPU (${r.build.ratio <= 1.1 ? 'met' : 'MISSED'}), ${r.build.wallRatio.toFixed(2)} wall`,
    );
  }
  console.log(
    `runbooks: tick round trip over loopback HTTP, and until a second client sees it on SSE (goal p95 < 50 ms)`,
  );
  console.table(
    r.ticks.flatMap((t) => [
      {
        database: t.database,
        measure: 'tick round trip',
        n: t.n,
        p50_ms: +t.roundTrip.p50.toFixed(1),
        p95_ms: +t.roundTrip.p95.toFixed(1),
        p99_ms: +t.roundTrip.p99.toFixed(1),
        goal: t.roundTrip.p95 < 50 ? 'met' : 'MISSED',
      },
      {
        database: t.database,
        measure: 'seen on the stream',
        n: t.n,
        p50_ms: +t.seenOnStream.p50.toFixed(1),
        p95_ms: +t.seenOnStream.p95.toFixed(1),
        p99_ms: +t.seenOnStream.p99.toFixed(1),
        goal: '',
      },
    ]),
  );
}
