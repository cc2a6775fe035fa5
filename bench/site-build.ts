import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..');
const DOCUSAURUS = path.join(ROOT, 'node_modules/@docusaurus/core/bin/docusaurus.mjs');

/**
 * A throwaway copy of the site with `pages` generated MDX pages added, so the benchmark
 * never touches the working tree. node_modules is linked, not copied.
 */
export function makeBenchSite(pages: number, page: (i: number) => string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetbook-bench-site-'));
  for (const entry of [
    'docs',
    'runbooks',
    'src',
    'static',
    'plugins',
    'data-api',
    'docusaurus.config.ts',
    'sidebars.ts',
    'sidebars.runbooks.ts',
    'package.json',
    'tsconfig.json',
  ]) {
    const from = path.join(ROOT, entry);
    if (fs.existsSync(from))
      fs.cpSync(from, path.join(dir, entry), { recursive: true, filter: (f) => !f.includes('node_modules') });
  }
  linkNodeModules(dir);
  const gen = path.join(dir, 'docs', 'generated');
  fs.mkdirSync(gen, { recursive: true });
  for (let i = 0; i < pages; i++) fs.writeFileSync(path.join(gen, `page-${String(i).padStart(4, '0')}.mdx`), page(i));
  return dir;
}

/**
 * The bench site's own node_modules folder, holding a link to each installed package: the
 * build caches (node_modules/.cache) stay in the throwaway site, never in the project's.
 */
export function linkNodeModules(siteDir: string): void {
  const target = path.join(siteDir, 'node_modules');
  fs.mkdirSync(target, { recursive: true });
  for (const entry of fs.readdirSync(path.join(ROOT, 'node_modules'))) {
    if (entry === '.cache') continue;
    fs.symlinkSync(path.join(ROOT, 'node_modules', entry), path.join(target, entry));
  }
}

/** The plain classic-preset baseline: no future flags, no mermaid theme, one docs instance. */
export function writePlainConfig(siteDir: string): string {
  const file = path.join(siteDir, 'docusaurus.plain.config.js');
  fs.writeFileSync(
    file,
    `module.exports = {
  title: 'plain', url: 'http://localhost', baseUrl: '/', onBrokenLinks: 'warn',
  markdown: { hooks: { onBrokenMarkdownLinks: 'warn' } },
  presets: [['classic', { docs: { path: 'docs', routeBasePath: 'docs', sidebarPath: './sidebars.ts' }, blog: false, pages: false, theme: {} }]],
};\n`,
  );
  return file;
}

export interface BuildTime {
  wall: number;
  /** CPU seconds of the build and its workers (GNU time), which a busy machine disturbs far less than wall time; wall when GNU time is missing. */
  cpu: number;
}

/** A cold `docusaurus build` (no .docusaurus, no persistent cache), timed; throws with the tail of the log on failure. */
export function timeBuildCpu(
  siteDir: string,
  config: string | null = null,
  tag = config ? 'plain' : 'ours',
): BuildTime {
  const args = [DOCUSAURUS, 'build', siteDir, '--out-dir', path.join(siteDir, `build-${tag}`)];
  if (config) args.push('--config', config);
  fs.rmSync(path.join(siteDir, '.docusaurus'), { recursive: true, force: true });
  fs.rmSync(path.join(siteDir, 'node_modules/.cache'), { recursive: true, force: true });
  const env = { ...process.env, NODE_ENV: 'production', DOCUSAURUS_NO_PERSISTENT_CACHE: '1' };
  const [command, argv] = fs.existsSync('/usr/bin/time')
    ? ['/usr/bin/time', ['-f', 'FBTIME %e %U %S', process.execPath, ...args]]
    : [process.execPath, args];
  const started = performance.now();
  const res = spawnSync(command, argv, { cwd: siteDir, encoding: 'utf8', env, maxBuffer: 64 << 20 });
  const wall = (performance.now() - started) / 1000;
  if (res.status !== 0) throw new Error(`build failed (${tag}):\n${(res.stdout + res.stderr).slice(-3000)}`);
  const m = /FBTIME ([\d.]+) ([\d.]+) ([\d.]+)/.exec(res.stderr);
  return { wall, cpu: m ? Number(m[2]) + Number(m[3]) : wall };
}

/** Wall seconds of a cold build. */
export function timeBuild(siteDir: string, config?: string): number {
  return timeBuildCpu(siteDir, config).wall;
}

export function generatedPage(i: number): string {
  return `---
title: Generated page ${i}
---

# Generated page ${i}

Device notes for batch ${i}. Each page carries prose, a table and a code block, like a real handbook page.

| metric | unit | typical |
| --- | --- | --- |
| temp_c | °C | ${20 + (i % 10)} |
| battery_v | V | 3.${i % 9} |

\`\`\`bash
mosquitto_sub -h 127.0.0.1 -t 'fleetbook/v1/site_${i}/+/telemetry' -v
\`\`\`
`;
}

export async function siteBuildBenchmark(pages: number) {
  // The plain preset is not the Docusaurus 4 file layout: `_category_.json` and the
  // runbooks instance do not matter to it; the landing page and docs stay identical.
  const dir = makeBenchSite(pages, generatedPage);
  try {
    const plain = timeBuild(dir, writePlainConfig(dir));
    const ours = timeBuild(dir);
    return { pages, ours, plain, ratio: ours / plain };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
