import { randomBytes } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { AppContext } from '../../kernel/context.ts';
import { topicFor, type BatchItemV1 } from '../../contracts/mqtt.ts';
import { applyIncident, castIncidents, isQuiet, type IncidentPlan } from '../incidents.ts';
import { desiredStateFor } from '../index.ts';
import { demoReporters, isBrokenForGood, isDrifting, type DemoReporter } from '../reporters.ts';
import { readingFor, unitHash } from '../signals.ts';
import { issueDeviceTokens } from '../../telemetry/ingest/credentials.ts';

export interface DemoSimulationStats {
  /** Devices the simulation makes report (the rest of the reporters stay silent for good). */
  reporting: number;
  silentForGood: number;
  gateways: number;
  /** Readings handed to the broker and acknowledged. */
  readings: number;
  incidents: IncidentPlan[];
}

export interface DemoSimulation {
  stats(): DemoSimulationStats;
  stop(): Promise<void>;
}

interface Sim {
  device: DemoReporter;
  /** Gateways and devices that speak MQTT themselves; LoRaWAN sensors go through a gateway. */
  client: MqttClient | null;
  gateway: Sim | null;
  nextAt: number;
  buffer: BatchItemV1[];
  incident: IncidentPlan | null;
  seq: number;
}

/**
 * The demo fleet, alive (`fleetbook start --demo`): every device that has reported before
 * reports again on its own heartbeat with readings from the demo's signals (the same curves as
 * the seeded week), through real MQTT clients with their own device tokens — soil probes
 * through their site's gateways (batches), gateways, pump controllers and RFID stations
 * directly. About 3 % stay silent for good, and three scripted incidents play on a loop
 * (demo/incidents.ts). `speed` runs the scripted clock faster (tests); heartbeats come from
 * the registry, which the demo loader scaled by the same speed.
 */
export async function startDemoSimulation(
  ctx: AppContext,
  options: { logger?: Logger; speed?: number } = {},
): Promise<DemoSimulation> {
  const broker = ctx.broker;
  if (!broker) throw new Error('no broker');
  const speed = options.speed ?? 1;
  const reporters = await demoReporters(ctx.db);
  if (!reporters.length)
    throw new Error('no devices that have reported in live deployments: load the demo fleet (--demo) first');
  const incidents = castIncidents(reporters.filter((r) => !isBrokenForGood(r.id)));
  const started = Date.now();
  const { sims, silentForGood } = castSims(reporters, incidents, started);
  const speakers = [...sims.values()].filter((s) => !s.gateway);
  const tokens = await issueDeviceTokens(
    ctx.db,
    'system:demo',
    speakers.map((s) => s.device.id),
  );
  const runId = randomBytes(3).toString('hex');
  let readings = 0;
  let stopping = false;
  const timers: NodeJS.Timeout[] = [];
  const quiet = (s: Sim) => s.incident !== null && isQuiet(s.incident, Date.now() - started, speed);

  const connect = (s: Sim) => connectSim(s, broker.url, runId, tokens.get(s.device.id), options.logger);
  for (let i = 0; i < speakers.length; i += 50) await Promise.all(speakers.slice(i, i + 50).map(connect));
  reportDesiredStates(speakers);

  const publish = (s: Sim, kind: 'telemetry' | 'heartbeat' | 'batch', payload: unknown, count: number) => {
    if (!s.client?.connected) return false;
    s.client.publish(topicFor(s.device.site_id, s.device.id, kind), JSON.stringify(payload), { qos: 1 }, (err) => {
      if (!err) readings += count;
    });
    return true;
  };

  const flush = (gw: Sim) => {
    if (!gw.buffer.length || quiet(gw)) return;
    while (gw.buffer.length) {
      const items = gw.buffer.splice(0, 500);
      if (!publish(gw, 'batch', items, items.length)) {
        gw.buffer.unshift(...items); // not connected: keep them for the next flush
        return;
      }
    }
  };

  const report = (s: Sim, now: number) => {
    let reading = readingFor(s.device.product_code, s.device.id, now);
    if (s.incident) reading = applyIncident(s.incident, reading, now - started, speed);
    const msgId = `demo-${runId}-${(++s.seq).toString(36)}`;
    if (s.gateway) {
      s.gateway.buffer.push({
        schema_version: 1,
        device_id: s.device.id,
        msg_id: msgId,
        ts: now / 1000,
        status: reading.status,
        metrics: reading.metrics,
      });
      return;
    }
    if (quiet(s)) {
      // Off the air: a quiet gateway's own readings are lost; its buffer holds its sensors'.
      if (s.client?.connected) s.client.end(true);
      return;
    }
    if (!s.client?.connected && s.client && !s.client.reconnecting && s.client.disconnected) s.client.reconnect();
    publish(
      s,
      'telemetry',
      { schema_version: 1, msg_id: msgId, ts: now / 1000, status: reading.status, metrics: reading.metrics },
      1,
    );
  };

  const tickMs = Math.max(50, Math.min(1_000, Math.round(1_000 / speed)));
  timers.push(
    setInterval(() => {
      if (stopping) return;
      const now = Date.now();
      for (const s of sims.values()) {
        if (s.nextAt > now) continue;
        s.nextAt = now + s.device.heartbeat_interval_s * 1000 * (0.95 + 0.05 * unitHash(`${s.device.id}${s.seq}`));
        report(s, now);
      }
    }, tickMs),
  );
  // Gateways send what their sensors said every few seconds (LoRaWAN uplinks are frequent).
  timers.push(
    setInterval(
      () => !stopping && [...sims.values()].forEach((s) => s.device.role === 'gateway' && flush(s)),
      Math.max(200, 5_000 / speed),
    ),
  );
  options.logger?.info(
    {
      reporting: sims.size,
      silent_for_good: silentForGood,
      mqtt_clients: speakers.length,
      incidents: incidents.map((i) => `${i.kind} ${i.device}`),
    },
    'demo simulation running',
  );

  return {
    stats: () => ({
      reporting: sims.size,
      silentForGood,
      gateways: [...sims.values()].filter((s) => s.device.role === 'gateway').length,
      readings,
      incidents,
    }),
    async stop() {
      if (stopping) return;
      stopping = true;
      for (const t of timers) clearInterval(t);
      await Promise.all(speakers.map((s) => s.client?.endAsync().catch(() => {})));
    },
  };
}

/** Who reports in the demo: every reporter but those broken for good (unless an incident casts them), sensors on a gateway of their site. */
function castSims(
  reporters: Awaited<ReturnType<typeof demoReporters>>,
  incidents: ReturnType<typeof castIncidents>,
  started: number,
): { sims: Map<string, Sim>; silentForGood: number } {
  const sims = new Map<string, Sim>();
  let silentForGood = 0;
  for (const d of reporters) {
    if (isBrokenForGood(d.id) && !incidents.some((i) => i.device === d.id)) {
      silentForGood++;
      continue;
    }
    const phase = unitHash(d.id) * d.heartbeat_interval_s * 1000;
    sims.set(d.id, {
      device: d,
      client: null,
      gateway: null,
      nextAt: started + Math.min(phase, 5_000),
      buffer: [],
      incident: incidents.find((i) => i.device === d.id) ?? null,
      seq: 0,
    });
  }
  // LoRaWAN sensors: carried by their site's gateways, spread evenly.
  const gatewaysBySite = new Map<string, Sim[]>();
  for (const s of sims.values())
    if (s.device.role === 'gateway')
      gatewaysBySite.set(s.device.site_id, [...(gatewaysBySite.get(s.device.site_id) ?? []), s]);
  let spread = 0;
  for (const s of [...sims.values()]) {
    if (s.device.product_code !== 'soil-probe') continue;
    const gws = gatewaysBySite.get(s.device.site_id);
    if (gws?.length) s.gateway = gws[spread++ % gws.length]!;
    else {
      sims.delete(s.device.id); // no gateway at its site: it cannot report
      silentForGood++;
    }
  }
  return { sims, silentForGood };
}

/** A device's own MQTT connection (its token as password); resolves once connected, or after 10 s (it keeps trying). */
function connectSim(
  s: Sim,
  url: string,
  runId: string,
  token: string | undefined,
  logger: Logger | undefined,
): Promise<void> {
  return new Promise<void>((resolve) => {
    const client = mqtt.connect(url, {
      clientId: `demo-${runId}-${s.device.id}`,
      username: s.device.id,
      password: token,
      reconnectPeriod: 2_000,
      connectTimeout: 10_000,
    });
    s.client = client;
    client.on('error', (err) => logger?.debug({ device: s.device.id, err: err.message }, 'demo device: MQTT error'));
    const timer = setTimeout(resolve, 10_000);
    client.once('connect', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Devices with a desired state report theirs (retained, as after boot): in step, or drifting. */
function reportDesiredStates(speakers: Sim[]): void {
  for (const s of speakers) {
    const desired = desiredStateFor(s.device.product_code);
    if (!Object.keys(desired).length || !s.client?.connected) continue;
    const reported = isDrifting(s.device.id) ? { ...desired, setpoint_bar: 3.0 } : desired;
    const state = {
      schema_version: 1,
      ts: Date.now() / 1000,
      ...(s.device.product_version ? { fw: s.device.product_version } : {}),
      reported,
    };
    s.client.publish(topicFor(s.device.site_id, s.device.id, 'state'), JSON.stringify(state), { qos: 1, retain: true });
  }
}
