import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { PROJECT_ROOT } from '../paths.ts';

export type SiteBuildState = 'ready' | 'building' | 'failed' | 'missing' | 'disabled';
export interface SiteBuildStatus {
  status: SiteBuildState;
  builtAt: string | null;
  error?: string;
}

/** Everything the static site is built from: a newer file here means a rebuild. */
const SITE_SOURCES = ['docs', 'runbooks', 'src', 'plugins', 'static', 'docusaurus.config.ts', 'sidebars.ts', 'sidebars.runbooks.ts', 'data-api/src/contracts'];
const STAMP = '.fleetbook-build.json';

/**
 * Keeps the built Docusaurus site current. `npm start` serves the API at once and
 * builds the site in the background when it is missing or older than its sources;
 * `/api/v1/health` reports the build's progress and the site shows a holding page.
 */
export class SiteBuilder {
  private state: SiteBuildStatus;
  private running: Promise<SiteBuildStatus> | null = null;
  private child: ChildProcess | null = null;

  constructor(
    readonly siteDir: string,
    private readonly log: (msg: string) => void = () => {},
  ) {
    const stamp = readStamp(siteDir);
    this.state = stamp ? { status: 'ready', builtAt: stamp.built_at } : { status: 'missing', builtAt: null };
  }

  status(): SiteBuildStatus {
    return this.state;
  }

  /** True when there is no build, or a source file is newer than it. */
  isStale(): boolean {
    const stamp = readStamp(this.siteDir);
    if (!stamp || !fs.existsSync(path.join(this.siteDir, 'index.html'))) return true;
    const builtMs = Date.parse(stamp.built_at);
    return SITE_SOURCES.some((rel) => newestMtime(path.join(PROJECT_ROOT, rel)) > builtMs);
  }

  /** Runs `docusaurus build` into siteDir; concurrent callers share one build. */
  build(): Promise<SiteBuildStatus> {
    if (this.running) return this.running;
    const previous = this.state;
    this.state = { status: 'building', builtAt: previous.builtAt };
    const startedAt = Date.now();
    this.log('building the site (docusaurus build)…');
    const { child, done } = runDocusaurusBuild(this.siteDir);
    this.child = child;
    this.running = done
      .then(() => {
        const builtAt = new Date().toISOString();
        fs.writeFileSync(path.join(this.siteDir, STAMP), JSON.stringify({ built_at: builtAt }));
        this.state = { status: 'ready', builtAt };
        this.log(`site built in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
        return this.state;
      })
      .catch((err: Error) => {
        this.state = { status: 'failed', builtAt: previous.builtAt, error: err.message };
        this.log(`site build failed: ${err.message}`);
        return this.state;
      })
      .finally(() => {
        this.running = null;
        this.child = null;
      });
    return this.running;
  }

  /** Stops a build in progress (at shutdown); the previous build, if any, stays served. */
  async stop(): Promise<void> {
    this.child?.kill('SIGTERM');
    await this.running;
  }
}

function runDocusaurusBuild(outDir: string): { child: ChildProcess; done: Promise<void> } {
  const require = createRequire(path.join(PROJECT_ROOT, 'package.json'));
  const bin = require.resolve('@docusaurus/core/bin/docusaurus.mjs');
  let child!: ChildProcess;
  const done = new Promise<void>((resolve, reject) => {
    child = spawn(process.execPath, [bin, 'build', '--out-dir', outDir], {
      cwd: PROJECT_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_ENV: 'production' },
    });
    let tail = '';
    const keep = (chunk: Buffer) => {
      tail = (tail + chunk.toString()).slice(-4000);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code === 0) resolve();
      else {
        const lastError = tail.split('\n').filter((l) => /error/i.test(l)).slice(-3).join(' | ');
        reject(new Error(`docusaurus build exited with ${signal ?? code}${lastError ? `: ${lastError}` : ''}`));
      }
    });
  });
  return { child, done };
}

function readStamp(siteDir: string): { built_at: string } | null {
  try {
    return JSON.parse(fs.readFileSync(path.join(siteDir, STAMP), 'utf8'));
  } catch {
    return null;
  }
}

function newestMtime(target: string): number {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(target);
  } catch {
    return 0;
  }
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of fs.readdirSync(target)) {
    if (entry === 'node_modules' || entry.startsWith('.')) continue;
    newest = Math.max(newest, newestMtime(path.join(target, entry)));
  }
  return newest;
}
