import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { ulidBody } from '../contracts/ids.ts';
import { PROJECT_ROOT } from '../kernel/paths.ts';

export type SiteBuildState = 'ready' | 'building' | 'failed' | 'missing' | 'disabled';
export interface SiteBuildStatus {
  status: SiteBuildState;
  builtAt: string | null;
  /** The id of the served build (pages carry it as customFields.buildId). */
  buildId?: string | null;
  error?: string;
}

/** Everything the static site is built from: a newer file here means a rebuild. */
export const SITE_SOURCES = [
  'docs',
  'runbooks',
  'src',
  'plugins',
  'static',
  'docusaurus.config.ts',
  'sidebars.ts',
  'sidebars.runbooks.ts',
  'data-api/src/contracts',
];
const STAMP = '.fleetbook-build.json';
/** Generations kept besides the served one: the previous (requests in flight may still read it). */
const KEEP_PREVIOUS = 1;

export interface SiteBuilderOptions {
  /** The repository the site is built from (default: this checkout). */
  root?: string;
  /** Told when a new build is served (after the swap). */
  onBuilt?: (status: SiteBuildStatus) => void;
  /** FLEETBOOK_PUBLIC_URL: the sitemap, canonical links and social cards name it; a change means a rebuild. */
  publicUrl?: string | null;
}

/**
 * Keeps the built Docusaurus site current. `npm start` serves the API at once and builds the
 * site in the background when it is missing or older than its sources; `/api/v1/health`
 * reports the build's progress and the site shows a holding page until the first one.
 *
 * Every build goes into a new folder beside siteDir (`<siteDir>.gen/<id>`); when it is
 * complete, siteDir — a symbolic link — is pointed at it with one rename (atomic on POSIX),
 * so the previous build is served, whole, until the new one is. A build asked for while one
 * runs is queued (one at most): the newest sources are always built last.
 */
export class SiteBuilder {
  private state: SiteBuildStatus;
  private running: Promise<SiteBuildStatus> | null = null;
  private again = false;
  private child: ChildProcess | null = null;
  private stopped = false;
  /** A source changed while the last build ran: build the next one without the bundler's cache. */
  private coldNext = false;
  readonly root: string;

  constructor(
    readonly siteDir: string,
    private readonly log: (msg: string) => void = () => {},
    private readonly options: SiteBuilderOptions = {},
  ) {
    this.root = options.root ?? PROJECT_ROOT;
    const stamp = readStamp(siteDir);
    this.state = stamp
      ? { status: 'ready', builtAt: stamp.built_at, buildId: stamp.build_id ?? null }
      : { status: 'missing', builtAt: null };
  }

  status(): SiteBuildStatus {
    return this.state;
  }

  /** True when there is no build, or a source file is newer than it. */
  isStale(): boolean {
    const stamp = readStamp(this.siteDir);
    if (!stamp || !fs.existsSync(path.join(this.siteDir, 'index.html'))) return true;
    if ((stamp.public_url ?? null) !== (this.options.publicUrl ?? null)) return true;
    const builtMs = Date.parse(stamp.started_at ?? stamp.built_at);
    return SITE_SOURCES.some((rel) => newestMtime(path.join(this.root, rel)) > builtMs);
  }

  /** Builds (or, while a build runs, queues one more); resolves when the newest sources are served. */
  build(): Promise<SiteBuildStatus> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.buildLoop().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async buildLoop(): Promise<SiteBuildStatus> {
    let result = await this.buildOnce();
    while (this.again && !this.stopped) {
      this.again = false;
      result = await this.buildOnce();
    }
    return result;
  }

  private async buildOnce(): Promise<SiteBuildStatus> {
    const previous = this.state;
    this.state = { ...previous, status: 'building' };
    const startedAt = new Date();
    const buildId = ulidBody();
    const gens = `${this.siteDir}.gen`;
    const outDir = path.join(gens, buildId);
    fs.mkdirSync(gens, { recursive: true });
    this.log(`building the site (docusaurus build ${buildId})…`);
    const cold = this.coldNext;
    this.coldNext = false;
    const { child, done } = runDocusaurusBuild(this.root, outDir, buildId, cold, this.options.publicUrl ?? null);
    this.child = child;
    try {
      await done;
      // rspack's persistent cache can keep what it read of a file edited mid-build under the
      // file's new time; the build that follows such an edit reads everything afresh.
      if (SITE_SOURCES.some((rel) => newestMtime(path.join(this.root, rel)) > startedAt.getTime()))
        this.coldNext = true;
      const builtAt = new Date().toISOString();
      fs.writeFileSync(
        path.join(outDir, STAMP),
        JSON.stringify({
          built_at: builtAt,
          started_at: startedAt.toISOString(),
          build_id: buildId,
          public_url: this.options.publicUrl ?? null,
        }),
      );
      swapInto(this.siteDir, outDir);
      pruneGenerations(gens, outDir);
      this.state = { status: 'ready', builtAt, buildId };
      this.log(`site built in ${((Date.now() - startedAt.getTime()) / 1000).toFixed(1)} s; serving ${buildId}`);
      this.options.onBuilt?.(this.state);
    } catch (err) {
      fs.rmSync(outDir, { recursive: true, force: true });
      this.state = {
        status: 'failed',
        builtAt: previous.builtAt,
        buildId: previous.buildId ?? null,
        error: (err as Error).message,
      };
      this.log(`site build failed (still serving the previous build): ${(err as Error).message}`);
    } finally {
      this.child = null;
    }
    return this.state;
  }

  /** Stops a build in progress (at shutdown); the previous build, if any, stays served. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.again = false;
    this.child?.kill('SIGTERM');
    await this.running;
  }
}

/**
 * Points siteDir at `target` in one rename. A siteDir that is still a plain folder (a build
 * from before generations, or the empty folder the server made) is moved aside first; that
 * one-time move is the only moment the path does not exist.
 */
export function swapInto(siteDir: string, target: string): void {
  const link = `${siteDir}.swap-${process.pid}`;
  fs.rmSync(link, { force: true });
  fs.symlinkSync(target, link, 'dir');
  let st: fs.Stats | null;
  try {
    st = fs.lstatSync(siteDir);
  } catch {
    st = null;
  }
  if (st && !st.isSymbolicLink()) fs.renameSync(siteDir, path.join(`${siteDir}.gen`, `plain-${Date.now()}`));
  fs.renameSync(link, siteDir);
}

function pruneGenerations(gens: string, current: string): void {
  const entries = fs
    .readdirSync(gens, { withFileTypes: true })
    .filter((e) => e.isDirectory() && path.join(gens, e.name) !== current)
    .map((e) => ({ dir: path.join(gens, e.name), mtime: fs.statSync(path.join(gens, e.name)).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime);
  for (const old of entries.slice(KEEP_PREVIOUS)) fs.rmSync(old.dir, { recursive: true, force: true });
}

function runDocusaurusBuild(
  root: string,
  outDir: string,
  buildId: string,
  cold: boolean,
  publicUrl: string | null,
): { child: ChildProcess; done: Promise<void> } {
  const require = createRequire(path.join(root, 'package.json'));
  const bin = require.resolve('@docusaurus/core/bin/docusaurus.mjs');
  let child!: ChildProcess;
  const done = new Promise<void>((resolve, reject) => {
    child = spawn(process.execPath, [bin, 'build', '--out-dir', outDir], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        NODE_ENV: 'production',
        FLEETBOOK_BUILD_ID: buildId,
        ...(cold ? { DOCUSAURUS_NO_PERSISTENT_CACHE: '1' } : {}),
        ...(publicUrl ? { FLEETBOOK_PUBLIC_URL: publicUrl } : {}),
      },
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
        const lastError = tail
          .split('\n')
          .filter((l) => /error/i.test(l))
          .slice(-3)
          .join(' | ');
        reject(new Error(`docusaurus build exited with ${signal ?? code}${lastError ? `: ${lastError}` : ''}`));
      }
    });
  });
  return { child, done };
}

function readStamp(
  siteDir: string,
): { built_at: string; started_at?: string; build_id?: string; public_url?: string | null } | null {
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
