import pg from 'pg';
import {
  settleLedger,
  startPublishers,
  waitForHealth,
  waitForStored,
  type FaultRig,
  type HealthBody,
} from '../helpers/fault-rig.ts';

/**
 * PostgreSQL unreachable for this fleetbook while devices publish QoS 1 readings
 * (tests/faults/database-outage.test.ts and `npm run bench -- --only faults`). The rig's TCP
 * proxy between fleetbook and the shared PostgreSQL goes down (open connections cut, new ones
 * refused) and comes back; the server itself is never touched. The ingest acknowledges a
 * reading to the broker only once it is committed, so during the outage the broker keeps what
 * it has not acknowledged; /api/v1/health must say so (503, database down) and be 200 again
 * once the database answers and the backlog is written.
 */
export interface DatabaseOutageFigures {
  fault: string;
  sent: number;
  accepted: number;
  stored: number;
  lost: number;
  storedTwice: number;
  /** Database unreachable → back (the fault's own length). */
  downSeconds: number;
  /** Outage start → the first health answer that is not 200 (null: health never noticed). */
  noticedSeconds: number | null;
  /** Back → /api/v1/health 200 with the database up and the ingest ok. */
  healthySeconds: number;
  /** Back → healthy and every reading acknowledged by the broker until then stored: fleetbook's recovery. */
  recoverySeconds: number;
  /** Health answers other than 200 after recovery while devices kept publishing. */
  unhealthyAfterRecovery: number;
  /** Baseline: back → a bare pg client through the same proxy has run `select 1`. */
  baselineSeconds: number;
}

export const DATABASE_OUTAGE_NAME = 'database outage (PostgreSQL unreachable for this fleetbook)';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runDatabaseOutage(
  rig: FaultRig,
  run = { beforeMs: 2000, downMs: 5000, afterMs: 3000 },
): Promise<DatabaseOutageFigures> {
  const fleetbook = rig.fleetbook;
  const proxy = rig.databaseProxy;
  if (!fleetbook || !proxy)
    throw new Error('the database outage needs the rig started with databaseProxy and fleetbook running');
  const ok = (status: number, body: HealthBody) =>
    status === 200 && body.database.status === 'up' && body.ingest.status === 'ok';
  await waitForHealth(fleetbook.url, ok);

  const publishers = await startPublishers(rig);
  try {
    await sleep(run.beforeMs);
    const tDown = Date.now();
    await proxy.down();
    let tNoticed: number | null = null;
    for (const until = tDown + run.downMs; Date.now() < until; await sleep(250)) {
      const res = await fetch(`${fleetbook.url}/api/v1/health`, { signal: AbortSignal.timeout(3000) }).catch(
        () => null,
      );
      if (res?.status !== 200) tNoticed ??= Date.now();
    }
    const tUp = Date.now();
    await proxy.up();
    const [tHealthy, tBaseline] = await Promise.all([
      waitForHealth(fleetbook.url, ok, 120_000),
      bareClientBack(proxy.url),
    ]);
    const tDrained = await waitForStored(rig, publishers.ledger, tUp, 120_000);
    let unhealthy = 0;
    for (const until = Date.now() + run.afterMs; Date.now() < until; await sleep(500)) {
      if ((await fetch(`${fleetbook.url}/api/v1/health`).catch(() => null))?.status !== 200) unhealthy++;
    }
    await publishers.stop();
    const { accepted, lost, storedTwice } = await settleLedger(rig, publishers.ledger);
    return {
      fault: DATABASE_OUTAGE_NAME,
      sent: publishers.ledger.length,
      accepted: accepted.length,
      stored: accepted.length - lost.length,
      lost: lost.length,
      storedTwice,
      downSeconds: (tUp - tDown) / 1000,
      noticedSeconds: tNoticed === null ? null : (tNoticed - tDown) / 1000,
      healthySeconds: (tHealthy - tUp) / 1000,
      recoverySeconds: (Math.max(tHealthy, tDrained) - tUp) / 1000,
      unhealthyAfterRecovery: unhealthy,
      baselineSeconds: (tBaseline - tUp) / 1000,
    };
  } finally {
    if (!proxy.isUp()) await proxy.up();
    await publishers.stop(0).catch(() => {});
  }
}

/** The fastest a client can be back: a fresh pg connection through the proxy, retried every 50 ms. */
async function bareClientBack(url: string): Promise<number> {
  for (let i = 0; i < 1200; i++) {
    const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
    c.on('error', () => {});
    try {
      await c.connect();
      await c.query('select 1');
      return Date.now();
    } catch {
      await sleep(50);
    } finally {
      await c.end().catch(() => {});
    }
  }
  return Infinity;
}
