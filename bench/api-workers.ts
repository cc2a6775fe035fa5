import cluster from 'node:cluster';
import net from 'node:net';
import { buildApp } from '../data-api/src/app.ts';
import { openDatabase } from '../data-api/src/kernel/db/index.ts';
import { headlessContext } from '../tests/helpers/app.ts';
import { processCpuMs } from './cpu.ts';

/**
 * The API in `count` cluster workers sharing one port, as `fleetbook start` runs it with
 * FLEETBOOK_WORKERS (issue #18): each worker its own app and database pool on the same
 * database, the primary (this benchmark) only distributing connections. Minus the broker and
 * the background services, like benchContext.
 */
export async function startApiWorkers(
  dbUrl: string,
  count: number,
): Promise<{ base: string; cpuMs(): Promise<number>; close(): Promise<void> }> {
  const port = await new Promise<number>((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
  cluster.setupPrimary({ exec: __filename, args: ['--api-worker', dbUrl, String(port)] });
  const workers = Array.from({ length: count }, () => cluster.fork());
  await Promise.all(
    workers.map(
      (w) =>
        new Promise<void>((resolve, reject) => {
          w.once('message', (m: { type?: string }) =>
            m.type === 'listening' ? resolve() : reject(new Error(`API worker: ${JSON.stringify(m)}`)),
          );
          w.once('exit', (code) => reject(new Error(`API worker exited with ${code}`)));
        }),
    ),
  );
  return {
    base: `http://127.0.0.1:${port}`,
    /** The CPU ms every worker process has used so far (all its threads), summed. */
    async cpuMs() {
      const each = await Promise.all(
        workers.map(
          (w) =>
            new Promise<number>((resolve) => {
              const onMessage = (m: { type?: string; ms?: number }) => {
                if (m.type !== 'cpu') return;
                w.off('message', onMessage);
                resolve(m.ms!);
              };
              w.on('message', onMessage);
              w.send({ type: 'cpu?' });
            }),
        ),
      );
      return each.reduce((a, b) => a + b, 0);
    },
    async close() {
      await Promise.all(
        workers.map(
          (w) =>
            new Promise<void>((resolve) =>
              w.isDead() ? resolve() : (w.once('exit', () => resolve()), w.process.kill('SIGTERM')),
            ),
        ),
      );
    },
  };
}

async function workerMain(dbUrl: string, port: number): Promise<void> {
  const database = await openDatabase({ kind: 'pg', url: dbUrl, max: 10 });
  const app = await buildApp(headlessContext(database));
  await app.listen({ host: '127.0.0.1', port });
  process.on(
    'SIGTERM',
    () =>
      void app
        .close()
        .then(() => database.close())
        .then(() => process.exit(0)),
  );
  process.on('message', (m: { type?: string }) => {
    if (m.type === 'cpu?') process.send!({ type: 'cpu', ms: processCpuMs() });
  });
  process.send!({ type: 'listening' });
}

if (cluster.isWorker && process.argv.includes('--api-worker')) {
  const i = process.argv.indexOf('--api-worker');
  workerMain(process.argv[i + 1]!, Number(process.argv[i + 2])).catch((err: Error) => {
    process.send!({ type: 'error', message: err.message });
    process.exit(1);
  });
}
