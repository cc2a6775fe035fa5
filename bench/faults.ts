import os from 'node:os';
import { API_KILL_NAME, runApiKill } from '../tests/faults/api-kill.scenario.ts';
import { brokerRestartName, runBrokerRestart, type BrokerRestart } from '../tests/faults/broker-restart.scenario.ts';
import { DATABASE_OUTAGE_NAME, runDatabaseOutage } from '../tests/faults/database-outage.scenario.ts';
import { runRunnerKill, RUNNER_KILL_NAME } from '../tests/faults/runner-kill.scenario.ts';
import { forgetIngestSession } from '../data-api/src/telemetry/ingest/service.ts';
import { startFaultRig, type FaultRig, type FleetbookProcess } from '../tests/helpers/fault-rig.ts';
import { mosquittoVersion } from '../tests/helpers/mosquitto.ts';

/**
 * `npm run bench -- --only faults`: the fault scripts of tests/faults/, timed. Each scenario
 * breaks one thing while devices publish and reports how long fleetbook took to recover,
 * beside a baseline measured in the same run, and what it lost or stored twice.
 *
 * Add a fault by appending to FAULT_SCENARIOS. A scenario may use the shared rig (PostgreSQL,
 * a private Mosquitto with the exported conf, fleetbook in production mode: see
 * tests/helpers/fault-rig.ts), started on first use, or build what it needs itself.
 */
export interface FaultScenario {
  name: string;
  run(rig: () => Promise<FaultRig>): Promise<FaultOutcome>;
}

export interface FaultOutcome {
  /** Readings the broker (or API) acknowledged during the scenario, and of those: lost, stored twice. */
  accepted: number;
  lost: number;
  duplicated: number;
  /** Seconds from the broken part being back to fleetbook healthy and storing again. */
  recoverySeconds: number;
  /** The same span for the simplest thing that could recover (named), measured in the same run. */
  baseline: { name: string; seconds: number };
  /** One line on what else to know (where losses fall, redeliveries absorbed). */
  detail?: string;
}

const RUN = { beforeMs: 3000, downMs: 1000, afterMs: 3000 };

/** A broker restart against the rig's fleetbook, or against `setup`'s replicas (which it stops afterwards). */
const brokerRestart = (
  r: BrokerRestart,
  variant?: {
    name: string;
    setup(rig: FaultRig): Promise<{ replicas: FleetbookProcess[]; teardown(): Promise<void> }>;
  },
): FaultScenario => ({
  name: variant ? `${brokerRestartName(r)}, ${variant.name}` : brokerRestartName(r),
  async run(startRig) {
    const rig = await startRig();
    const setup = variant ? await variant.setup(rig) : null;
    try {
      const f = await runBrokerRestart(rig, r, { ...RUN, replicas: setup?.replicas });
      return {
        accepted: f.accepted,
        lost: f.lost,
        duplicated: f.storedTwice,
        recoverySeconds: f.recoverySeconds,
        baseline: { name: 'bare MQTT client re-subscribed', seconds: f.baselineSeconds },
        detail:
          `broker down ${f.downSeconds.toFixed(2)} s; ingest re-subscribed ${f.resubscribeSeconds.toFixed(2)} s after it was back; ` +
          `lost before the fault ${f.lostBeforeFault}, in the re-subscribe window ${f.lostInWindow}, after ${f.lostAfterResubscribe}; ` +
          `${f.redelivered} redeliveries absorbed; ${f.unhealthyAfterRecovery} non-200 health answers after recovery`,
      };
    } finally {
      await setup?.teardown();
    }
  },
});

/** A second replica in the rig's share group, stopped (and its session ended) afterwards. */
const twoReplicas = {
  name: 'two replicas',
  async setup(rig: FaultRig) {
    const first = rig.fleetbook!;
    const second = await rig.startFleetbook();
    rig.fleetbook = first;
    return {
      replicas: [first, second],
      async teardown() {
        await second.stop();
        await forgetIngestSession(rig.apiMqttUrl, second.instance);
      },
    };
  },
};

/** The rig's fleetbook replaced by one with plain subscriptions, and a shared one started again afterwards. */
const plainSubscription = {
  name: 'plain subscription (FLEETBOOK_MQTT_SHARED=off)',
  async setup(rig: FaultRig) {
    const shared = rig.fleetbook!;
    await shared.stop();
    await forgetIngestSession(rig.apiMqttUrl, shared.instance);
    const plain = await rig.startFleetbook({ FLEETBOOK_MQTT_SHARED: 'off' });
    return {
      replicas: [plain],
      async teardown() {
        await plain.stop();
        await forgetIngestSession(rig.apiMqttUrl, plain.instance);
        await rig.startFleetbook();
      },
    };
  },
};

/** kill -9 of fleetbook (API and ingest), restarted under the same instance. */
const apiKill: FaultScenario = {
  name: API_KILL_NAME,
  async run(startRig) {
    const f = await runApiKill(await startRig(), { beforeMs: 3000, downMs: 1000, afterMs: 3000, baseline: true });
    return {
      accepted: f.accepted,
      lost: f.lost,
      duplicated: f.storedTwice,
      recoverySeconds: f.recoverySeconds,
      baseline: { name: 'graceful restart (Ctrl-C, start), nothing queued', seconds: f.baselineSeconds! },
      detail:
        `down ${f.downSeconds.toFixed(2)} s; healthy ${f.healthySeconds.toFixed(2)} s after the spawn; ${f.queuedWhileDown} readings queued by the broker ` +
        `while it was down; ${f.redelivered} redeliveries absorbed; ${f.unhealthyAfterRecovery} non-200 health answers after recovery`,
    };
  },
};

/** PostgreSQL unreachable for this fleetbook (the rig's proxy down) for 5 s. */
const databaseOutage: FaultScenario = {
  name: `${DATABASE_OUTAGE_NAME}, 5 s`,
  async run(startRig) {
    const f = await runDatabaseOutage(await startRig(), { beforeMs: 2000, downMs: 5000, afterMs: 3000 });
    return {
      accepted: f.accepted,
      lost: f.lost,
      duplicated: f.storedTwice,
      recoverySeconds: f.recoverySeconds,
      baseline: { name: 'bare pg client reconnected', seconds: f.baselineSeconds },
      detail:
        `health not 200 ${f.noticedSeconds === null ? 'never' : `${f.noticedSeconds.toFixed(2)} s`} after the outage began; 200 again ` +
        `${f.healthySeconds.toFixed(2)} s after it ended; backlog written ${f.recoverySeconds.toFixed(2)} s after; ${f.unhealthyAfterRecovery} non-200 health answers after recovery`,
    };
  },
};

/** kill -9 of `fleetbook runner` mid-run; lost and duplicated count readings, run pages, commits and write-backs. */
const runnerKill: FaultScenario = {
  name: RUNNER_KILL_NAME,
  async run(startRig) {
    const f = await runRunnerKill(await startRig(), { baseline: true });
    return {
      accepted: f.accepted,
      lost: f.lost + (f.runPages === 0 ? 1 : 0) + (f.commits === 0 ? 1 : 0) + f.writebacksPending,
      duplicated:
        f.storedTwice + Math.max(0, f.runPages - 1) + Math.max(0, f.commits - 1) + Math.max(0, f.firstActionRuns - 1),
      recoverySeconds: f.recoverySeconds,
      baseline: { name: 'the same run without a fault (runner start → finished)', seconds: f.baselineSeconds! },
      detail:
        `run ${f.runState} after ${f.resumes} pick-up; ${f.runPages} run page, ${f.commits} commit; the action ended before the kill ran ${f.firstActionRuns}×; ` +
        `${f.writebacksPending} write-backs left undelivered; recovery: restart → run finished with page and commit`,
    };
  },
};

export const FAULT_SCENARIOS: FaultScenario[] = [
  brokerRestart({ signal: 'SIGTERM', savedState: true }),
  brokerRestart({ signal: 'SIGKILL', savedState: true }),
  brokerRestart({ signal: 'SIGTERM', savedState: false }),
  brokerRestart({ signal: 'SIGKILL', savedState: false }),
  // With a backlog queued at the broker (the ingest held 8 s behind): what saved state keeps, and what a lost broker loses.
  brokerRestart({ signal: 'SIGTERM', savedState: true, backlogMs: 8000 }),
  brokerRestart({ signal: 'SIGKILL', savedState: false, backlogMs: 8000 }),
  brokerRestart({ signal: 'SIGTERM', savedState: true }, twoReplicas),
  brokerRestart({ signal: 'SIGTERM', savedState: true }, plainSubscription),
  apiKill,
  databaseOutage,
  runnerKill,
];

export async function faultsBenchmark(scenarios = FAULT_SCENARIOS): Promise<void> {
  console.log(
    `\nfaults: ${scenarios.length} scenarios; Mosquitto ${mosquittoVersion()}, PostgreSQL at TEST_DATABASE_URL (cores: ${os.cpus().length}, load ${os.loadavg()[0]!.toFixed(2)})`,
  );
  let shared = null as Promise<FaultRig> | null;
  const rig = () =>
    (shared ??= startFaultRig({ devices: 10, databaseProxy: true }).then(async (r) => {
      await r.startFleetbook();
      return r;
    }));
  const rows: Array<Record<string, string | number>> = [];
  const details: string[] = [];
  try {
    for (const s of scenarios) {
      const o = await s.run(rig);
      rows.push({
        fault: s.name,
        accepted: o.accepted,
        lost: o.lost,
        'stored twice': o.duplicated,
        'recovery s': +o.recoverySeconds.toFixed(2),
        'baseline s': +o.baseline.seconds.toFixed(2),
        baseline: o.baseline.name,
      });
      if (o.detail) details.push(`${s.name}: ${o.detail}`);
    }
  } finally {
    if (shared) await (await shared).close();
  }
  console.table(rows);
  for (const d of details) console.log(`  ${d}`);
  console.log(
    'recovery: from the broken part being back (broker started, fleetbook or runner spawned, database reachable) to /api/v1/health 200 ' +
      'with the ingest subscribed and every reading accepted until then stored (runner: to the run finished with its page and commit)',
  );
}
