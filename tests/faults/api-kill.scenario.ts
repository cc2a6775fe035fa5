import {
  metric,
  settleLedger,
  startPublishers,
  waitForHealth,
  waitForStored,
  type FaultRig,
} from '../helpers/fault-rig.ts';

/**
 * kill -9 of the fleetbook process (API and ingest in one) while devices publish QoS 1
 * readings (tests/faults/api-kill.test.ts and `npm run bench -- --only faults` run the same
 * script). Nothing is flushed: readings the ingest had received but not yet written were never
 * acknowledged to the broker, and what devices publish while it is down the broker queues for
 * its persistent session. Started again under the same FLEETBOOK_INSTANCE (same session), it
 * gets both; a redelivered reading it already wrote is absorbed by the (device, msg_id) key.
 */
export interface ApiKillFigures {
  fault: string;
  /** Readings the devices published / the broker acknowledged / of those, stored. */
  sent: number;
  accepted: number;
  stored: number;
  lost: number;
  /** Rows stored twice (the key forbids it) and redeliveries the new process absorbed. */
  storedTwice: number;
  redelivered: number;
  /** Readings the broker acknowledged while no fleetbook ran: its queue for the session. */
  queuedWhileDown: number;
  /** kill → the new process spawned. */
  downSeconds: number;
  /** Spawn → /api/v1/health 200 with the ingest subscribed. */
  healthySeconds: number;
  /** Spawn → healthy and every reading acknowledged until the spawn stored: fleetbook's recovery. */
  recoverySeconds: number;
  /** Health answers other than 200 after recovery while devices kept publishing (polled every 0.5 s). */
  unhealthyAfterRecovery: number;
  /** Baseline: a graceful restart (Ctrl-C, start), nothing queued: spawn → healthy. Null when not measured. */
  baselineSeconds: number | null;
}

export const API_KILL_NAME = 'API kill -9 (fleetbook start), restarted with the same instance';

export interface ApiKillRun {
  beforeMs: number;
  downMs: number;
  afterMs: number;
  /** Also measure the graceful restart baseline (the benchmark does; the test need not). */
  baseline?: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const healthy = (url: string) => waitForHealth(url, (status, body) => status === 200 && body.ingest.subscribed);

export async function runApiKill(
  rig: FaultRig,
  run: ApiKillRun = { beforeMs: 3000, downMs: 1000, afterMs: 3000 },
): Promise<ApiKillFigures> {
  if (!rig.fleetbook) throw new Error('start fleetbook on the rig first');
  const instance = rig.fleetbook.instance;
  await healthy(rig.fleetbook.url);

  let baselineSeconds: number | null = null;
  if (run.baseline) {
    await rig.fleetbook.stop();
    const t0 = Date.now();
    const again = await rig.startFleetbook({ FLEETBOOK_INSTANCE: instance });
    baselineSeconds = ((await healthy(again.url)) - t0) / 1000;
  }

  const publishers = await startPublishers(rig);
  try {
    await sleep(run.beforeMs);
    const tKill = Date.now();
    await rig.fleetbook.kill('SIGKILL');
    await sleep(run.downMs);
    const tSpawn = Date.now();
    const restarted = await rig.startFleetbook({ FLEETBOOK_INSTANCE: instance });
    const tHealthy = await healthy(restarted.url);
    const tDrained = await waitForStored(rig, publishers.ledger, tSpawn);
    let unhealthy = 0;
    for (const until = Date.now() + run.afterMs; Date.now() < until; await sleep(500)) {
      if ((await fetch(`${restarted.url}/api/v1/health`).catch(() => null))?.status !== 200) unhealthy++;
    }
    await publishers.stop();
    const { accepted, lost, storedTwice } = await settleLedger(rig, publishers.ledger);
    return {
      fault: API_KILL_NAME,
      sent: publishers.ledger.length,
      accepted: accepted.length,
      stored: accepted.length - lost.length,
      lost: lost.length,
      storedTwice,
      redelivered: await metric(rig, 'fleetbook_ingest_duplicates_total', restarted.url),
      queuedWhileDown: accepted.filter((e) => e.ackedAt! >= tKill && e.ackedAt! < tSpawn).length,
      downSeconds: (tSpawn - tKill) / 1000,
      healthySeconds: (tHealthy - tSpawn) / 1000,
      recoverySeconds: (Math.max(tHealthy, tDrained) - tSpawn) / 1000,
      unhealthyAfterRecovery: unhealthy,
      baselineSeconds,
    };
  } finally {
    await publishers.stop(0).catch(() => {});
  }
}
