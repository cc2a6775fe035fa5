// Widgets benchmark (widgets.md, issue #6): against the real `fleetbook start --demo`,
// (1) time from navigation to every widget on a dashboard showing live data, (2) publish →
// pixel latency under a background MQTT load (publish-to-pixel.ts); then (3) the site build
// of N generated MDX pages that embed widgets vs the same pages without them (goal ≤ 1.10).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../tests/helpers/browser.ts';
import { spawnCli, stopCli, waitForSite } from '../tests/helpers/cli.ts';
import { freePort } from '../tests/helpers/ports.ts';
import {
  printPixel,
  publishToPixel,
  type BenchServer,
  type PixelOptions,
  type PixelResult,
} from './publish-to-pixel.ts';
import { generatedPage, makeBenchSite, timeBuildCpu, type BuildTime } from './site-build.ts';

export interface PageBenchmarkOptions {
  /** Generated pages per build (default 1000). */
  pages?: number;
  /** Page loads to time (default 7). */
  loads?: number;
  /** Dashboard to load. */
  path?: string;
  /** Publish → pixel options (samples, background rate). */
  pixel?: PixelOptions;
  /** Parts to run (default all): `nav`, `pixel`, `build`. */
  parts?: ReadonlyArray<'nav' | 'pixel' | 'build'>;
}

export interface PageBenchmarkResult {
  path: string;
  /** ms from navigation to all widgets ready with the live connection online, per load. */
  loadsMs: number[];
  medianMs: number;
  /** First paint of widget data (first widget ready), median ms. */
  firstDataMedianMs: number;
  pixel: PixelResult | null;
  /** Best of two builds each; the ratio is taken on CPU time (wallRatio beside it). */
  build: { pages: number; withWidgets: BuildTime; without: BuildTime; ratio: number; wallRatio: number } | null;
  /** `uptime` before and after: other work on a shared machine moves every figure. */
  load: string[];
}

/**
 * A generated page that embeds widgets the way a dashboard page does: as MDX components,
 * which every page has without an import (src/theme/MDXComponents.tsx).
 */
export function widgetPage(i: number): string {
  const site = ['site_farm-north', 'site_farm-south', 'site_dc-bangna'][i % 3];
  return `${generatedPage(i)}
## Live

<FleetHealth groupBy="site" site="${site}" />

<DeviceTable site="${site}" status="down" pageSize={10} />

<TelemetryChart device="gw_farm-north-1-001" metric="cpu_temp_c" range="24h" />

<Surface name="site-status" site="${site}" />
`;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)]! : NaN;
};

/** `fleetbook start --demo` on fresh ports and a fresh data directory, its site built. */
async function withBenchServer<T>(fn: (server: BenchServer, browser: Browser) => Promise<T>): Promise<T> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetbook-bench-page-'));
  const [port, mqttPort] = [await freePort(), await freePort()];
  const proc = spawnCli(
    ['start', '--port', String(port), '--mqtt-port', String(mqttPort), '--data-dir', dataDir, '--demo'],
    { HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
  );
  const browser = await launchChromium();
  try {
    const base = await proc.ready;
    const adminToken = /admin token (\S+)/.exec(proc.output())?.[1];
    if (!adminToken) throw new Error(`fleetbook start printed no admin token:\n${proc.output()}`);
    await waitForSite(base, 600_000);
    return await fn({ base, adminToken }, browser);
  } finally {
    await browser.close();
    await stopCli(proc);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

async function navigationToLive(
  base: string,
  browser: Browser,
  dashboard: string,
  loads: number,
): Promise<{ loadsMs: number[]; firstData: number[] }> {
  const loadsMs: number[] = [];
  const firstData: number[] = [];
  for (let i = 0; i <= loads; i++) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const started = Date.now();
    await page.goto(`${base}${dashboard}`, { waitUntil: 'commit' });
    await page.waitForFunction(
      () =>
        Array.from(document.querySelectorAll('[data-widget]')).some((e) =>
          ['ready', 'empty', 'stale'].includes(e.getAttribute('data-state') ?? ''),
        ),
      undefined,
      { polling: 10, timeout: 60_000 },
    );
    const first = Date.now() - started;
    await page.waitForFunction(
      () => {
        const ws = Array.from(document.querySelectorAll('[data-widget]'));
        return (
          ws.length > 0 &&
          ws.every(
            (e) =>
              !['loading', 'placeholder'].includes(e.getAttribute('data-state') ?? '') &&
              e.getAttribute('data-live') === 'online',
          )
        );
      },
      undefined,
      { polling: 10, timeout: 60_000 },
    );
    const all = Date.now() - started;
    if (i > 0) {
      // The first load warms the server's caches and Chromium's: not counted.
      loadsMs.push(all);
      firstData.push(first);
    }
    await context.close();
  }
  return { loadsMs, firstData };
}

/**
 * Both builds twice, in A B B A order, and the faster of each: a build takes minutes, and a
 * shared machine's load drifts in that time; interleaving and taking the minimum keeps the
 * drift out of the ratio.
 */
function buildComparison(pages: number) {
  const withDir = makeBenchSite(pages, widgetPage);
  const withoutDir = makeBenchSite(pages, generatedPage);
  try {
    const a1 = timeBuildCpu(withoutDir);
    const b1 = timeBuildCpu(withDir);
    const b2 = timeBuildCpu(withDir);
    const a2 = timeBuildCpu(withoutDir);
    const best = (x: BuildTime, y: BuildTime): BuildTime => ({
      wall: Math.min(x.wall, y.wall),
      cpu: Math.min(x.cpu, y.cpu),
    });
    const without = best(a1, a2);
    const withWidgets = best(b1, b2);
    return {
      pages,
      withWidgets,
      without,
      ratio: withWidgets.cpu / without.cpu,
      wallRatio: withWidgets.wall / without.wall,
    };
  } finally {
    fs.rmSync(withDir, { recursive: true, force: true });
    fs.rmSync(withoutDir, { recursive: true, force: true });
  }
}

const uptime = () =>
  os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(', ');

export async function pageBenchmark(options: PageBenchmarkOptions = {}): Promise<PageBenchmarkResult> {
  const dashboard = options.path ?? '/docs/dashboards/fleet-overview';
  const parts = new Set(options.parts ?? ['nav', 'pixel', 'build']);
  const load = [`start: load average ${uptime()}`];
  const live =
    parts.has('nav') || parts.has('pixel')
      ? await withBenchServer(async (server, browser) => ({
          nav: parts.has('nav')
            ? await navigationToLive(server.base, browser, dashboard, options.loads ?? 7)
            : { loadsMs: [], firstData: [] },
          pixel: parts.has('pixel') ? await publishToPixel(browser, server, options.pixel) : null,
        }))
      : { nav: { loadsMs: [], firstData: [] }, pixel: null };
  load.push(`after the live measures: load average ${uptime()}`);
  const build = parts.has('build') ? buildComparison(options.pages ?? 1000) : null;
  if (build) load.push(`after the builds: load average ${uptime()}`);
  return {
    path: dashboard,
    loadsMs: live.nav.loadsMs,
    medianMs: median(live.nav.loadsMs),
    firstDataMedianMs: median(live.nav.firstData),
    pixel: live.pixel,
    build,
    load,
  };
}

export function printPageBenchmark(r: PageBenchmarkResult): void {
  if (r.loadsMs.length) {
    console.log(`widgets: navigation → live data on ${r.path} (${r.loadsMs.length} loads, after one warm-up)`);
    console.table([
      { measure: 'first widget shows data (median ms)', value: r.firstDataMedianMs },
      { measure: 'every widget live, SSE online (median ms)', value: r.medianMs },
      { measure: 'every widget live, slowest load (ms)', value: Math.max(...r.loadsMs) },
    ]);
  }
  if (r.pixel) printPixel(r.pixel);
  if (r.build) {
    console.log(
      `site build: ${r.build.pages} generated MDX pages with widgets vs the same pages without (best of 2 each, A B B A)`,
    );
    console.table([
      {
        build: 'pages with widgets',
        wall_s: +r.build.withWidgets.wall.toFixed(1),
        cpu_s: +r.build.withWidgets.cpu.toFixed(1),
      },
      {
        build: 'same pages without widgets (baseline)',
        wall_s: +r.build.without.wall.toFixed(1),
        cpu_s: +r.build.without.cpu.toFixed(1),
      },
    ]);
    console.log(
      `ratio with / without: ${r.build.ratio.toFixed(2)} CPU (goal ≤ 1.10: ${r.build.ratio <= 1.1 ? 'met' : 'MISSED'}), ${r.build.wallRatio.toFixed(2)} wall`,
    );
  }
  console.log(`machine (2 cores, shared): ${r.load.join('; ')}`);
}
