import { settleLedger, startPublishers, waitForHealth, waitForStored, type FaultRig } from '../helpers/fault-rig.ts';

/**
 * kill -9 of ONE worker of `fleetbook start` (FLEETBOOK_WORKERS=2, issue #18) while devices
 * publish QoS 1 readings (tests/faults/process-faults.test.ts). The other worker keeps serving
 * and ingesting its share of `$share/…`; the primary forks the dead one again under the same
 * instance (`<instance>-w2`), whose persistent session gets back what it had received but not
 * acknowledged (its PUBACKs go out only after the commit). Nothing lost, nothing stored twice.
 */
export interface WorkerKillFigures {
  fault: string;
  sent: number;
  accepted: number;
  stored: number;
  lost: number;
  storedTwice: number;
  /** Readings the broker acknowledged between the kill and the new worker's subscription. */
  acceptedWhileDown: number;
  /** kill → the new worker subscribed (its session resumed). */
  restartSeconds: number;
  /** kill → every reading acknowledged until then is stored. */
  recoverySeconds: number;
  /** Health answers other than 200 during and after the fault (polled every 0.25 s, either worker answers). */
  unhealthy: number;
}

export const WORKER_KILL_NAME = 'one worker kill -9 (FLEETBOOK_WORKERS=2), forked again by the primary';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The worker pids `fleetbook start` printed in its banner. */
export function workerPids(output: string): number[] {
  const m = /workers\s+\d+ processes share the HTTP port \(FLEETBOOK_WORKERS; pids ([\d, ]+)\)/.exec(output);
  return m ? m[1]!.split(',').map((s) => Number(s.trim())) : [];
}

/** Epoch ms of every `ingest subscribed` line of the session whose client id ends with `suffix`. */
const subscribedAt = (output: string, suffix: string) =>
  output
    .split('\n')
    .filter((l) => l.includes('"msg":"ingest subscribed"'))
    .map((l) => JSON.parse(l) as { time: number; clientId: string })
    .filter((l) => l.clientId.endsWith(suffix))
    .map((l) => l.time);

export async function runWorkerKill(
  rig: FaultRig,
  run = { beforeMs: 3000, afterMs: 2000 },
): Promise<WorkerKillFigures> {
  const fb = rig.fleetbook;
  if (!fb) throw new Error('start fleetbook on the rig first');
  const pids = workerPids(fb.output());
  if (pids.length < 2) throw new Error(`fleetbook did not start two workers:\n${fb.output().slice(-2000)}`);
  await waitForHealth(fb.url, (status, body) => status === 200 && body.ingest.subscribed);

  const publishers = await startPublishers(rig);
  let unhealthy = 0;
  let polling = true;
  const poll = (async () => {
    while (polling) {
      if ((await fetch(`${fb.url}/api/v1/health`).catch(() => null))?.status !== 200) unhealthy++;
      await sleep(250);
    }
  })();
  try {
    await sleep(run.beforeMs);
    const tKill = Date.now();
    process.kill(pids[1]!, 'SIGKILL');
    let tBack = 0;
    for (const deadline = Date.now() + 60_000; !tBack && Date.now() < deadline; await sleep(100)) {
      tBack = subscribedAt(fb.output(), `${fb.instance}-w2`).find((t) => t > tKill) ?? 0;
    }
    if (!tBack) throw new Error(`worker 2 did not come back within 60 s:\n${fb.output().slice(-2000)}`);
    const tDrained = await waitForStored(rig, publishers.ledger, tBack);
    await sleep(run.afterMs);
    await publishers.stop();
    polling = false;
    await poll;
    const { accepted, lost, storedTwice } = await settleLedger(rig, publishers.ledger);
    return {
      fault: WORKER_KILL_NAME,
      sent: publishers.ledger.length,
      accepted: accepted.length,
      stored: accepted.length - lost.length,
      lost: lost.length,
      storedTwice,
      acceptedWhileDown: accepted.filter((e) => e.ackedAt! >= tKill && e.ackedAt! < tBack).length,
      restartSeconds: (tBack - tKill) / 1000,
      recoverySeconds: (Math.max(tBack, tDrained) - tKill) / 1000,
      unhealthy,
    };
  } finally {
    polling = false;
    await publishers.stop(0).catch(() => {});
  }
}
