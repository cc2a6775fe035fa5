import mqtt from 'mqtt';
import pg from 'pg';
import {
  metric,
  startPublishers,
  storedReadings,
  waitForHealth,
  type FaultRig,
  type FleetbookProcess,
} from '../helpers/fault-rig.ts';

/**
 * One broker restart while devices publish (tests/faults/broker-restart.test.ts and
 * `npm run bench -- --only faults` run the same script): readings go out at QoS 1 before,
 * during and after; the broker is stopped (SIGTERM: it saves its state; SIGKILL: it does
 * not), with or without its saved state, and started again.
 *
 * Every reading the broker acknowledged is then looked up in `telemetry`. A lost one is
 * placed by when it was sent and acknowledged:
 * - before the fault: only a broker that lost its state may lose these (its own queue);
 * - in the re-subscribe window (broker back, ingest not yet subscribed): Mosquitto 2.0 does
 *   not restore `$share` subscriptions from its saved state, and a broker without saved
 *   state has no subscription at all, so what devices publish then has nowhere to go;
 * - sent after the ingest logged `ingest subscribed`: never (the test asserts 0).
 */
export interface BrokerRestart {
  signal: 'SIGTERM' | 'SIGKILL';
  /** The broker starts again with what it saved (SIGKILL: the last autosave, taken 1 s before). */
  savedState: boolean;
  /**
   * Hold the ingest this long behind before the fault (the telemetry table locked, as a slow or
   * locked database would): beyond Mosquitto's in-flight window the broker queues for it, so
   * the fault hits a backlog. The lock is released once the broker is back.
   */
  backlogMs?: number;
}

export interface FaultFigures {
  fault: string;
  /** Readings the devices published / the broker acknowledged / stored of those. */
  sent: number;
  accepted: number;
  /** Of those, acknowledged before the fault. */
  acceptedBeforeFault: number;
  stored: number;
  lost: number;
  /** Where the lost ones fall (see above). */
  lostBeforeFault: number;
  lostInWindow: number;
  lostAfterResubscribe: number;
  /** Rows stored twice (the primary key forbids it: always 0) and redeliveries the ingest absorbed. */
  storedTwice: number;
  redelivered: number;
  /** Fault → the broker process started again (the fault's own length). "Back" below counts from there. */
  downSeconds: number;
  /** Broker back → the ingest logged `ingest subscribed`. */
  resubscribeSeconds: number;
  /** Broker back → /api/v1/health 200 with the ingest subscribed (on every replica): fleetbook's recovery. */
  recoverySeconds: number;
  /** Health answers other than 200 after that, while devices kept publishing (polled every 0.5 s per replica). */
  unhealthyAfterRecovery: number;
  /** Those answers, each with its replica and reason: what a failed check prints. */
  unhealthyAnswers: string[];
  /** Baseline: broker back → a bare MQTT client (same reconnect period) has its SUBACK. */
  baselineSeconds: number;
}

export const brokerRestartName = (r: BrokerRestart) =>
  `broker restart, ${r.signal === 'SIGTERM' ? 'graceful (SIGTERM)' : 'kill -9'}, ${r.savedState ? 'with' : 'without'} saved state` +
  (r.backlogMs ? `, ingest ${r.backlogMs / 1000} s behind` : '');

export interface BrokerRestartRun {
  beforeMs: number;
  downMs: number;
  /** Publishing goes on this long after every replica is healthy again. */
  afterMs: number;
  /** The fleetbook processes (replicas of one share group) under test; default: the rig's latest. */
  replicas?: FleetbookProcess[];
}

export async function runBrokerRestart(
  rig: FaultRig,
  r: BrokerRestart,
  run: BrokerRestartRun = { beforeMs: 3000, downMs: 1000, afterMs: 3000 },
): Promise<FaultFigures> {
  const replicas = run.replicas ?? (rig.fleetbook ? [rig.fleetbook] : []);
  if (!replicas.length) throw new Error('start fleetbook on the rig first');
  const healthy = (url: string) => waitForHealth(url, (status, body) => status === 200 && body.ingest.subscribed);
  await Promise.all(replicas.map((p) => healthy(p.url)));
  const redeliveries = async () =>
    (await Promise.all(replicas.map((p) => metric(rig, 'fleetbook_ingest_duplicates_total', p.url)))).reduce(
      (a, b) => a + b,
      0,
    );
  const redeliveredBefore = await redeliveries();
  const baseline = bareSubscriber(rig.apiMqttUrl);
  await baseline.ready;
  const publishers = await startPublishers(rig);
  let tUp = 0;
  let tFault = 0;
  const lock = r.backlogMs ? new pg.Client({ connectionString: rig.database.url! }) : null;
  try {
    await sleep(run.beforeMs);
    if (lock) {
      await lock.connect();
      await lock.query('begin; lock table telemetry in share row exclusive mode');
      await sleep(r.backlogMs!);
    }
    if (r.signal === 'SIGKILL' && r.savedState) {
      await rig.mosquitto.save(); // the autosave before the crash
      await sleep(1000);
    }
    tFault = Date.now();
    await rig.mosquitto.stop(r.signal);
    if (!r.savedState) rig.mosquitto.forgetState();
    await sleep(run.downMs);
    // Clients may be back before start() has seen the port open: count from the broker's spawn.
    tUp = Date.now();
    await rig.mosquitto.start();
    await lock?.query('commit');
    const tHealthy = Math.max(...(await Promise.all(replicas.map((p) => healthy(p.url)))));
    const tBaseline = await baseline.subscribedAfter(tUp);
    const unhealthy: string[] = [];
    for (const until = Date.now() + run.afterMs; Date.now() < until; await sleep(500)) {
      for (const p of replicas) {
        const res = await fetch(`${p.url}/api/v1/health`).catch((err: Error) => err);
        if (res instanceof Response && res.status === 200) continue;
        const why =
          res instanceof Response ? `${res.status} ${JSON.stringify((await res.json()).ingest)}` : res.message;
        unhealthy.push(`${p.instance} ${((Date.now() - tUp) / 1000).toFixed(1)} s after the broker was back: ${why}`);
      }
    }
    await publishers.stop();

    const accepted = publishers.ledger.filter((e) => e.ackedAt !== null);
    // The ingest writes within milliseconds; give a loaded machine time before counting
    // (until all are there, or nothing new arrived for 5 s).
    let stored = await storedReadings(rig);
    for (let quiet = 0; quiet < 25 && accepted.some((e) => !stored.ids.has(e.msgId));) {
      await sleep(200);
      const before = stored.rows;
      stored = await storedReadings(rig);
      quiet = stored.rows === before ? quiet + 1 : 0;
    }
    // Once one replica of the group has subscribed again, the broker has somewhere to send.
    const tSub = Math.min(...replicas.map((p) => p.subscribedAt().find((t) => t >= tUp) ?? Infinity));
    const lost = accepted.filter((e) => !stored.ids.has(e.msgId));
    return {
      fault: brokerRestartName(r),
      sent: publishers.ledger.length,
      accepted: accepted.length,
      acceptedBeforeFault: accepted.filter((e) => e.ackedAt! < tFault).length,
      stored: accepted.length - lost.length,
      lost: lost.length,
      lostBeforeFault: lost.filter((e) => e.ackedAt! < tFault).length,
      lostInWindow: lost.filter((e) => e.ackedAt! >= tFault && e.sentAt < tSub).length,
      lostAfterResubscribe: lost.filter((e) => e.sentAt >= tSub).length,
      storedTwice: stored.rows - stored.ids.size,
      redelivered: (await redeliveries()) - redeliveredBefore,
      downSeconds: (tUp - tFault) / 1000,
      resubscribeSeconds: (tSub - tUp) / 1000,
      recoverySeconds: (tHealthy - tUp) / 1000,
      unhealthyAfterRecovery: unhealthy.length,
      unhealthyAnswers: unhealthy,
      baselineSeconds: (tBaseline - tUp) / 1000,
    };
  } finally {
    await lock?.end().catch(() => {});
    await publishers.stop(0).catch(() => {});
    await baseline.close();
  }
}

/** A bare mqtt.js subscriber with the ingest's reconnect period: the fastest a client can be back. */
function bareSubscriber(url: string) {
  const client = mqtt.connect(url, {
    clientId: `baseline-${process.pid}-${Date.now()}`,
    clean: true,
    reconnectPeriod: 250,
    connectTimeout: 5000,
  });
  client.on('error', () => {});
  const subacks: number[] = [];
  client.on(
    'connect',
    () =>
      void client.subscribeAsync('fleetbook/v1/baseline/+/telemetry', { qos: 1 }).then(
        () => subacks.push(Date.now()),
        () => {},
      ),
  );
  return {
    ready: new Promise<void>((resolve) => client.once('connect', () => resolve())),
    async subscribedAfter(t: number): Promise<number> {
      for (let i = 0; i < 600; i++) {
        const at = subacks.find((s) => s >= t);
        if (at) return at;
        await sleep(50);
      }
      return Infinity;
    },
    close: () => client.endAsync(true).catch(() => {}),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
