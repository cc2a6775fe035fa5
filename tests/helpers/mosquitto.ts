import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { TUNED_MOSQUITTO } from '../../data-api/src/telemetry/ingest/mosquitto-export.ts';
import { freePort } from './ports.ts';

/**
 * A private Mosquitto for tests and benchmarks that stop, kill or restart their broker (the
 * machine's shared one on 1883 is never touched): the real binary, its own config, port and
 * persistence folder, started and stopped by pid.
 */
export interface PrivateMosquitto {
  port: number;
  /** `mqtt://127.0.0.1:<port>` (no credentials). */
  url: string;
  /** Its folder: config, persistence (`mosquitto.db`), log. */
  dir: string;
  conf: string;
  /** The running broker's pid, or null while it is stopped. */
  pid(): number | null;
  /** Starts it again with the same config and persistence folder; resolves once it listens. */
  start(): Promise<void>;
  /** SIGTERM: Mosquitto saves its state (with persistence) and exits. SIGKILL: no goodbye, no save. */
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  /** SIGUSR1: Mosquitto writes its in-memory state to disk now (what an autosave does). */
  save(): Promise<void>;
  /** SIGHUP: Mosquitto reads its password file and ACL again. */
  reload(): Promise<void>;
  /** Deletes the saved state: the next start begins with no sessions, subscriptions or queues. */
  forgetState(): void;
  /** Mosquitto's log so far (every start). */
  log(): string;
  /** Stops it (SIGTERM, then SIGKILL) and removes its folder. */
  close(): Promise<void>;
}

export interface PrivateMosquittoOptions {
  /** Keep sessions, subscriptions and queued messages in `<dir>/mosquitto.db` (default true). */
  persistence?: boolean;
  /**
   * Config lines instead of the default listener and `allow_anonymous true` (e.g. the conf
   * `fleetbook mosquitto export` writes). Persistence, the log and `user` are added.
   */
  conf?: string;
  /** Files to write into the broker's folder before it starts (password file, ACL). */
  files?: Record<string, string>;
  /** The folder to use (default: a new temp folder); the port (default: a free one). */
  dir?: string;
  port?: number;
}

const CANDIDATES = [
  '/usr/sbin/mosquitto',
  '/usr/local/sbin/mosquitto',
  '/usr/bin/mosquitto',
  '/opt/homebrew/sbin/mosquitto',
  '/usr/local/opt/mosquitto/sbin/mosquitto',
];

/** The mosquitto binary, or null when it is not installed. */
export function mosquittoBinary(): string | null {
  const found = CANDIDATES.find((p) => fs.existsSync(p));
  if (found) return found;
  const which = spawnSync('sh', ['-c', 'command -v mosquitto'], { encoding: 'utf8' });
  return which.status === 0 && which.stdout.trim() ? which.stdout.trim() : null;
}

export function mosquittoVersion(): string {
  const bin = mosquittoBinary();
  if (!bin) return 'not installed';
  return /version (\S+)/.exec(spawnSync(bin, ['-h'], { encoding: 'utf8' }).stdout ?? '')?.[1] ?? '?';
}

/** The config the fault tests and benchmarks start from: the contract's tuned settings on a loopback listener. */
export function tunedConf(port: number): string {
  return [
    `listener ${port} 127.0.0.1`,
    'allow_anonymous true',
    ...Object.entries(TUNED_MOSQUITTO).map(([k, v]) => `${k} ${v}`),
  ].join('\n');
}

export async function startPrivateMosquitto(options: PrivateMosquittoOptions = {}): Promise<PrivateMosquitto> {
  const bin = mosquittoBinary();
  if (!bin)
    throw new Error(
      'this test starts its own Mosquitto, and the mosquitto binary is not installed (apt-get install mosquitto)',
    );
  const port = options.port ?? (await freePort());
  const dir = options.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'fleetbook-mosquitto-'));
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(options.files ?? {}))
    fs.writeFileSync(path.join(dir, name), text, { mode: 0o640 });
  const persistence = options.persistence ?? true;
  const confText = [
    options.conf ?? tunedConf(port),
    ...(persistence ? ['persistence true', `persistence_location ${dir}/`] : ['persistence false']),
    `log_dest file ${path.join(dir, 'mosquitto.log')}`,
    'log_type error',
    'log_type warning',
    'log_type notice',
    'log_type information',
    // Started as root, Mosquitto would drop to user `mosquitto`, who cannot write this folder.
    ...(process.getuid?.() === 0 ? ['user root'] : []),
    '',
  ].join('\n');
  const conf = path.join(dir, 'mosquitto.conf');
  fs.writeFileSync(conf, confText);

  let child: ChildProcess | null = null;
  let stderr = '';

  async function start(): Promise<void> {
    if (child) throw new Error('mosquitto is already running');
    const proc = spawn(bin!, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    child = proc;
    proc.stderr!.on('data', (c) => (stderr += c));
    proc.once('exit', () => {
      if (child === proc) child = null;
    });
    const failed = new Promise<never>((_, reject) => {
      proc.once('error', (err) => reject(new Error(`cannot start mosquitto: ${err.message}`)));
      proc.once('exit', (code, signal) =>
        reject(new Error(`mosquitto exited (${code ?? signal}) on start: ${stderr}${readLog()}`)),
      );
    });
    failed.catch(() => {});
    for (let i = 0; i < 200; i++) {
      if (await Promise.race([portOpen(port), failed])) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    proc.kill('SIGKILL');
    throw new Error(`mosquitto did not listen on ${port} within 10 s: ${stderr}${readLog()}`);
  }

  async function stop(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
    const proc = child;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill(signal);
    const late = setTimeout(() => proc.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(late);
  }

  const readLog = () => {
    try {
      return fs.readFileSync(path.join(dir, 'mosquitto.log'), 'utf8');
    } catch {
      return '';
    }
  };

  await start();
  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    dir,
    conf,
    pid: () => child?.pid ?? null,
    start,
    stop,
    async save() {
      const before = readLog().split('Saving in-memory database').length;
      child?.kill('SIGUSR1');
      for (let i = 0; i < 100 && readLog().split('Saving in-memory database').length === before; i++)
        await new Promise((r) => setTimeout(r, 50));
    },
    async reload() {
      const before = readLog().split('Reloading config').length;
      child?.kill('SIGHUP');
      for (let i = 0; i < 100 && readLog().split('Reloading config').length === before; i++)
        await new Promise((r) => setTimeout(r, 50));
    },
    forgetState: () => fs.rmSync(path.join(dir, 'mosquitto.db'), { force: true }),
    log: readLog,
    async close() {
      await stop('SIGTERM');
      if (!options.dir) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

const portOpen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
