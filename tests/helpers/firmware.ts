import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { scaffold, type ScaffoldResult } from '../../firmware/generator/scaffold.ts';
import { ROOT } from './cli.ts';

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a program to its end and collects its output (rejects after timeoutMs). */
export function run(
  cmd: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: options.cwd, env: { ...process.env, ...options.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `${cmd} ${args.join(' ')} did not finish within ${options.timeoutMs ?? 300_000} ms\n${stdout}\n${stderr}`,
        ),
      );
    }, options.timeoutMs ?? 300_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export interface BuiltFirmware {
  dir: string;
  build: string;
  /** The POSIX device binary. */
  binary: string;
  scaffold: ScaffoldResult;
}

/**
 * Scaffolds a product version into a fresh temporary folder (the project only: the handbook
 * pages are the committed ones) and builds it with CMake, warnings as errors.
 */
export async function buildFirmware(
  product: string,
  version?: string,
  options: { siteDir?: string; cmakeArgs?: string[]; tests?: boolean } = {},
): Promise<BuiltFirmware> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `fleetbook-fw-${product}-`));
  const result = scaffold({ product, version, siteDir: options.siteDir ?? ROOT, out: dir, force: true, docs: false });
  const build = path.join(dir, 'build');
  const configure = await run('cmake', [
    '-S',
    dir,
    '-B',
    build,
    '-DFB_WERROR=ON',
    `-DFB_BUILD_TESTS=${options.tests === false ? 'OFF' : 'ON'}`,
    ...(options.cmakeArgs ?? []),
  ]);
  if (configure.code !== 0) throw new Error(`cmake configure failed:\n${configure.stdout}\n${configure.stderr}`);
  const compiled = await run('cmake', ['--build', build, '-j', '2']);
  if (compiled.code !== 0) throw new Error(`cmake build failed:\n${compiled.stdout}\n${compiled.stderr}`);
  return { dir, build, binary: path.join(build, `${result.model.product.code}-device`), scaffold: result };
}

export interface DeviceReading {
  seq: number;
  /** Epoch seconds with milliseconds, as the device logged it. */
  ts: number;
}

export interface RunningDevice {
  child: ChildProcess;
  /** Everything the device logged so far. */
  log(): string;
  /** The readings it took, in order (from its log). */
  readings(): DeviceReading[];
  /** Waits until its log matches `re`. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<void>;
  /** SIGTERM, then waits for the exit; returns the final stats line. */
  stop(): Promise<string>;
}

/** Starts a built device binary against a broker, as a real device would run. */
export function startDevice(
  binary: string,
  o: {
    host?: string;
    port: number;
    site: string;
    device: string;
    token: string;
    stateDir: string;
    interval?: number;
    heartbeat?: number;
  },
): RunningDevice {
  const args = [
    '--host',
    o.host ?? '127.0.0.1',
    '--port',
    String(o.port),
    '--site',
    o.site,
    '--device',
    o.device,
    '--state-dir',
    o.stateDir,
  ];
  if (o.interval) args.push('--interval', String(o.interval));
  if (o.heartbeat) args.push('--heartbeat', String(o.heartbeat));
  const child = spawn(binary, args, {
    env: { ...process.env, FLEETBOOK_DEVICE_TOKEN: o.token },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (c) => (out += c));
  child.stderr!.on('data', (c) => (out += c));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    log: () => out,
    readings: () =>
      [...out.matchAll(/reading seq=(\d+) ts=(\d+\.\d{3})/g)].map((m) => ({ seq: Number(m[1]), ts: Number(m[2]) })),
    async waitFor(re, timeoutMs = 30_000) {
      for (const deadline = Date.now() + timeoutMs; !re.test(out);) {
        if (child.exitCode !== null) throw new Error(`device exited (${child.exitCode}):\n${out}`);
        if (Date.now() > deadline)
          throw new Error(`device log did not match ${re} within ${timeoutMs} ms:\n${out.slice(-3000)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGCONT');
        child.kill('SIGTERM');
      }
      await exited;
      return /stats .*/.exec(out)?.[0] ?? '';
    },
  };
}
