import cluster, { type Worker } from 'node:cluster';
import os from 'node:os';
import type { FleetbookConfig } from './config/index.ts';

/**
 * `fleetbook start` on every core (issue #18): FLEETBOOK_WORKERS processes (default: the
 * cores) serve the one HTTP port through node:cluster. Each worker is a full replica of the
 * API on the same PostgreSQL and broker, so it is exactly as correct as two replicas already
 * are: the ingest of each ingesting worker (the first FLEETBOOK_INGEST_WORKERS, default 1) is
 * its own persistent MQTT session in the `$share/…` group (the broker splits the stream; each
 * session keeps its PUBACK-after-commit order), the SSE
 * hub of each worker LISTENs to the change and live channels (every worker's clients see
 * every change, whichever worker wrote it), the monitor and retention jobs run under the
 * database lease (one leader). What must happen once per start runs in worker 1 only: the
 * demo fleet and its simulation, the site build and its git watch. The primary only forks,
 * restarts and stops.
 *
 * Worker 1 keeps FLEETBOOK_INSTANCE as its name (so a single-process deployment upgrades
 * without a new MQTT session); worker k is `<instance>-w<k>`. A worker that dies is forked
 * again under the same name: its session, and what the broker kept for it, resume.
 */

export const WORKER_INDEX_ENV = 'FLEETBOOK_WORKER_INDEX';
export const WORKER_TOTAL_ENV = 'FLEETBOOK_WORKER_TOTAL';

export interface WorkerPlan {
  count: number;
  /** Why fewer workers run than were asked for (printed once), or null. */
  note: string | null;
}

/** How many processes `fleetbook start` runs: several only on PostgreSQL with an external broker. */
export function planWorkers(
  config: Pick<FleetbookConfig, 'workers' | 'database' | 'broker'>,
  cores = availableCores(),
): WorkerPlan {
  const asked = config.workers ?? cores;
  if (asked <= 1) return { count: 1, note: null };
  if (config.database.kind !== 'pg' || config.broker.kind !== 'external') {
    // The embedded database (PGlite) and broker (aedes) belong to one process.
    const note =
      config.workers !== null
        ? `FLEETBOOK_WORKERS=${asked} needs PostgreSQL (DATABASE_URL) and an external broker (MQTT_URL); the embedded ones run in one process`
        : null;
    return { count: 1, note };
  }
  return { count: asked, note: null };
}

export const availableCores = (): number =>
  typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;

/** This process as worker `index` (from 1) of `total`, or null for a primary or a single process. */
export function workerRole(env: NodeJS.ProcessEnv = process.env): { index: number; total: number } | null {
  if (!cluster.isWorker) return null;
  const index = Number(env[WORKER_INDEX_ENV]);
  const total = Number(env[WORKER_TOTAL_ENV]);
  return Number.isInteger(index) && index >= 1 && Number.isInteger(total) ? { index, total } : null;
}

/** Worker 1 is the instance itself; the others are `<instance>-w<k>` (their own MQTT session and lease holder name). */
export function workerInstance(instance: string, index: number): string {
  if (index === 1) return instance;
  const suffix = `-w${index}`;
  // Instance names are at most 64 characters: the base gives way, the suffix stays distinct.
  return `${instance.slice(0, 64 - suffix.length)}${suffix}`;
}

/** What a worker tells the primary once it listens: the start banner (worker 1's is printed). */
export interface ReadyMessage {
  type: 'fleetbook:ready';
  banner: string[];
}

const isReady = (m: unknown): m is ReadyMessage => (m as { type?: unknown })?.type === 'fleetbook:ready';

export interface PrimaryIo {
  out(text: string): void;
  err(text: string): void;
  exit(code: number): never;
}

const processIo: PrimaryIo = {
  out: (t) => void process.stdout.write(t),
  err: (t) => void process.stderr.write(t),
  exit: (code) => process.exit(code),
};

/**
 * The primary: forks the workers and waits until each listens; prints worker 1's banner with
 * a line for the workers. A worker that exits unasked is forked again (same index, same instance) after a
 * pause that grows while it keeps dying young. SIGINT / SIGTERM stop every worker gracefully
 * (each writes and acknowledges what its ingest holds); a second signal kills them.
 */
export async function runPrimary(count: number, io: PrimaryIo = processIo): Promise<void> {
  const workers = new Map<number, Worker>();
  let stopping = false;
  let started = false;

  const fork = (index: number): Promise<void> =>
    new Promise((resolve, reject) => {
      const worker = cluster.fork({ [WORKER_INDEX_ENV]: String(index), [WORKER_TOTAL_ENV]: String(count) });
      const bornAt = Date.now();
      workers.set(index, worker);
      let ready = false;
      worker.on('message', (m: unknown) => {
        if (!isReady(m) || ready) return;
        ready = true;
        banners.set(index, m.banner);
        resolve();
      });
      worker.once('exit', (code, signal) => {
        if (workers.get(index) === worker) workers.delete(index);
        if (stopping) return;
        if (!ready) {
          reject(
            Object.assign(new Error(`worker ${index} exited before it was ready (${signal ?? `code ${code}`})`), {
              exitCode: code || 1,
            }),
          );
          return;
        }
        const youngMs = Date.now() - bornAt;
        const delay =
          (restarts.get(index) ?? 0) > 0 && youngMs < 10_000
            ? Math.min(10_000, 500 * 2 ** (restarts.get(index) ?? 0))
            : 500;
        restarts.set(index, youngMs < 10_000 ? (restarts.get(index) ?? 0) + 1 : 0);
        io.err(
          `fleetbook: worker ${index} (pid ${worker.process.pid}) exited (${signal ?? `code ${code}`}); starting it again in ${delay} ms under the same instance\n`,
        );
        setTimeout(() => {
          if (!stopping)
            fork(index).catch((err: Error) =>
              io.err(`fleetbook: worker ${index} did not start again: ${err.message}\n`),
            );
        }, delay).unref();
      });
    });

  const banners = new Map<number, string[]>();
  const restarts = new Map<number, number>();

  const stop = async (signal: string) => {
    if (stopping) {
      io.err('fleetbook: forced exit\n');
      for (const w of workers.values()) w.process.kill('SIGKILL');
      io.exit(130);
    }
    stopping = true;
    if (started)
      io.out(`\n${signal}: stopping ${workers.size} workers (finishing requests, writing what the ingest holds)…\n`);
    await Promise.all(
      [...workers.values()].map(
        (w) =>
          new Promise<void>((resolve) => {
            if (w.isDead()) return resolve();
            w.once('exit', () => resolve());
            w.process.kill('SIGTERM');
          }),
      ),
    );
    if (started) io.out('fleetbook stopped.\n');
    io.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  try {
    // All at once, as replicas start: migrations take the migrator's lock (one runs them), and
    // what only one start may do (demo fleet, simulation, site build) happens in worker 1.
    await Promise.all(Array.from({ length: count }, (_, i) => fork(i + 1)));
  } catch (err) {
    stopping = true;
    for (const w of workers.values()) w.process.kill('SIGTERM');
    io.exit((err as { exitCode?: number }).exitCode ?? 1);
  }
  started = true;
  const banner = [...(banners.get(1) ?? [])];
  const line = `  workers     ${count} processes share the HTTP port (FLEETBOOK_WORKERS; pids ${[...workers.values()].map((w) => w.process.pid).join(', ')})`;
  const at = banner.findIndex((l) => l.startsWith('Press Ctrl-C'));
  banner.splice(at < 0 ? banner.length : at, 0, line);
  io.out(banner.join('\n') + '\n');
}
