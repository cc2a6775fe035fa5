import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '../..');
export const CLI = path.join(ROOT, 'bin/fleetbook.mjs');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `fleetbook …` as a user would and collects its output. */
export function runCli(args: string[], env: Record<string, string> = {}, timeoutMs = 60_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`fleetbook ${args.join(' ')} did not exit within ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Starts a long-running `fleetbook start` and resolves once its banner says it listens. */
export function spawnCli(
  args: string[],
  env: Record<string, string> = {},
  /** Another checkout of fleetbook (its own bin/ and cwd), e.g. a throwaway copy whose files a test edits. */
  checkout: string = ROOT,
): { child: ChildProcess; output: () => string; ready: Promise<string> } {
  const child = spawn(process.execPath, [path.join(checkout, 'bin/fleetbook.mjs'), ...args], {
    cwd: checkout,
    env: { ...process.env, ...env },
  });
  let out = '';
  const ready = new Promise<string>((resolve, reject) => {
    const onData = (c: Buffer) => {
      out += c;
      const m = out.match(/site\s+(http:\/\/\S+?)\/(\s|$)/);
      if (m) resolve(m[1]!);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (c) => (out += c));
    child.on('exit', (code) => reject(new Error(`fleetbook exited early (${code}):\n${out}`)));
  });
  return { child, output: () => out, ready };
}

/** What an end-to-end test starts: `fleetbook start` on its own ports and data folder. */
export interface SiteOptions {
  port: number;
  mqttPort: number;
  dataDir: string;
  /** `quiet`: the demo fleet without its simulated traffic (`--demo --no-simulate`); `live`: `--demo`. */
  demo?: 'quiet' | 'live';
  env?: Record<string, string>;
  checkout?: string;
}

/**
 * Starts fleetbook as a user does (embedded database and broker) and, in `site`, waits for its
 * built site: the address, and the admin token the first start prints (none on a later one).
 * The process is returned at once, so that an `afterAll` stops it even if the build fails.
 */
export function startSite(o: SiteOptions): ReturnType<typeof spawnCli> & {
  site: Promise<{ base: string; admin: string | undefined }>;
} {
  const demo = o.demo ? ['--demo', ...(o.demo === 'quiet' ? ['--no-simulate'] : [])] : [];
  const proc = spawnCli(
    ['start', '--port', String(o.port), '--mqtt-port', String(o.mqttPort), '--data-dir', o.dataDir, ...demo],
    { HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...o.env },
    o.checkout,
  );
  const site = (async () => {
    const base = await proc.ready;
    await waitForSite(base);
    return { base, admin: /admin token\s+(\S+)/.exec(proc.output())?.[1] };
  })();
  return { ...proc, site };
}

/** A first start's site and the admin token it printed; throws with the output when it printed none. */
export async function firstStart(proc: ReturnType<typeof startSite>): Promise<{ base: string; admin: string }> {
  const { base, admin } = await proc.site;
  if (!admin) throw new Error(`no admin token in the banner:\n${proc.output()}`);
  return { base, admin };
}

/**
 * Waits until a started fleetbook has built its site (it builds in the background;
 * /api/v1/health says when it is ready), or throws with the build's error.
 */
export async function waitForSite(base: string, timeoutMs = 540_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; ;) {
    const health = await (await fetch(`${base}/api/v1/health`)).json();
    if (health.build.status === 'ready') return;
    if (health.build.status === 'failed') throw new Error(`site build failed: ${health.build.error}`);
    if (Date.now() > deadline)
      throw new Error(`site build did not finish in ${timeoutMs / 1000} s (${health.build.status})`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** Stops a spawned `fleetbook start` as Ctrl-C does, and waits until it has exited. */
export async function stopCli(proc: { child: ChildProcess } | undefined): Promise<void> {
  if (!proc || proc.child.exitCode !== null || proc.child.signalCode !== null) return;
  const exited = new Promise((r) => proc.child.once('exit', r));
  proc.child.kill('SIGINT');
  await exited;
}
