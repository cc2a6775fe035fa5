import { randomBytes } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import { MAX_BATCH_ITEMS, topicFor, type BatchItemV1, type TelemetryV1 } from '../../contracts/mqtt.ts';
import type { SimDevice } from '../../contracts/simulator.ts';

/**
 * A fleet simulator made of real MQTT clients: gateways batch the readings of their
 * sensors, controllers publish their own telemetry, everyone with a connection sends
 * heartbeats. With faults: devices go silent and come back, gateways go offline and
 * backfill their buffer with the original timestamps, some batches are sent twice, and
 * a few messages are malformed.
 */

/** A simulated device; sensors name the gateway that carries their readings (gateway_id). */
export type { SimDevice } from '../../contracts/simulator.ts';

export interface SimulationOptions {
  url: string;
  devices: SimDevice[];
  /** Readings per second, fleet-wide. Infinity: as fast as the broker takes them. */
  rate: number;
  /** 0: until stop(). */
  durationS: number;
  faults?: boolean;
  /** A gateway publishes its sensors' readings this often (default 1000 ms), at most 500 per message. */
  gatewayFlushMs?: number;
  heartbeatEveryMs?: number;
  /** Keep the ids of every reading the broker acknowledged (benchmarks: lost / duplicates). */
  record?: boolean;
  onProgress?: (p: SimulationProgress) => void;
  progressEveryMs?: number;
  /** Stop producing when this many readings are waiting for an acknowledgement (default 20,000). */
  maxInFlight?: number;
  /** Pause producing while this returns true (given the readings acknowledged so far): a benchmark keeps the consumer's backlog bounded. */
  throttle?: (acknowledged: number) => boolean;
}

export interface SimulationProgress {
  elapsedS: number;
  /** Valid readings acknowledged by the broker. */
  readings: number;
  readingsPerS: number;
  /** MQTT messages acknowledged (batches count once). */
  messages: number;
  malformed: number;
  backfilled: number;
  duplicatesSent: number;
  inFlight: number;
  connected: number;
}

export interface SimulationReport extends SimulationProgress {
  /** `device_id msg_id` of every acknowledged valid reading (with record: true). */
  ids: Set<string> | null;
  /** When each reading was handed to MQTT (epoch ms), by id (with record: true): publish → row latency. */
  publishedAt: Map<string, number> | null;
  startedAt: number;
  errors: string[];
}

interface Conn {
  device: SimDevice;
  client: MqttClient | null;
  online: boolean;
  buffer: BatchItemV1[];
  sensors: SimDevice[];
}

const metricsFor = (role: SimDevice['role'], i: number, t: number): Record<string, number> => {
  const wave = Math.sin(t / 60_000 + i);
  if (role === 'controller')
    return {
      flow_lpm: Math.round(200 + 80 * wave),
      pressure_bar: Math.round((3 + 0.5 * wave) * 100) / 100,
      motor_temp_c: Math.round((50 + 8 * wave) * 10) / 10,
    };
  if (role === 'gateway') return { cpu_pct: Math.round(20 + 10 * wave), temp_c: Math.round((40 + 5 * wave) * 10) / 10 };
  return {
    soil_moisture_pct: Math.round((30 + 6 * wave) * 10) / 10,
    temp_c: Math.round((26 + 3 * wave) * 10) / 10,
    battery_v: Math.round((3.5 + 0.1 * wave) * 100) / 100,
    rssi_dbm: -90 - (i % 25),
  };
};

export class Simulation {
  private readonly conns = new Map<string, Conn>();
  private readonly producers: SimDevice[];
  private readonly runId = randomBytes(3).toString('hex');
  private readonly seq = new Map<string, number>();
  private readonly silentUntil = new Map<string, number>();
  private readonly started = Date.now();
  private readonly ids: Set<string> | null;
  private readonly publishedAt: Map<string, number> | null;
  private readonly errors: string[] = [];
  private timers: NodeJS.Timeout[] = [];
  private stopping = false;
  private credit = 0;
  private lastTick = 0;
  private cursor = 0;
  private readings = 0;
  private messages = 0;
  private malformed = 0;
  private backfilled = 0;
  private duplicatesSent = 0;
  private inFlight = 0;
  private lastProgress = { at: Date.now(), readings: 0 };
  private resolveDone!: (r: SimulationReport) => void;
  /** Resolves with the report when the run ends (duration reached, or stop()). */
  readonly done: Promise<SimulationReport>;

  constructor(private readonly options: SimulationOptions) {
    this.ids = options.record ? new Set() : null;
    this.publishedAt = options.record ? new Map() : null;
    this.producers = options.devices.filter(
      (d) => d.role !== 'gateway' || !options.devices.some((s) => s.gateway_id === d.id),
    );
    for (const d of options.devices) {
      if (d.role === 'sensor' && d.gateway_id) continue;
      this.conns.set(d.id, { device: d, client: null, online: true, buffer: [], sensors: [] });
    }
    for (const d of options.devices)
      if (d.role === 'sensor' && d.gateway_id) this.conns.get(d.gateway_id)?.sensors.push(d);
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
  }

  /** Connects every client (a few at a time), then starts producing. */
  async start(): Promise<void> {
    const all = [...this.conns.values()];
    for (let i = 0; i < all.length; i += 50) await Promise.all(all.slice(i, i + 50).map((c) => this.connect(c)));
    const tickMs = 20;
    this.timers.push(setInterval(() => this.tick(tickMs), tickMs));
    this.timers.push(setInterval(() => this.flushGateways(), this.options.gatewayFlushMs ?? 1000));
    this.timers.push(setInterval(() => this.heartbeats(), this.options.heartbeatEveryMs ?? 30_000));
    if (this.options.onProgress)
      this.timers.push(
        setInterval(() => this.options.onProgress!(this.progress()), this.options.progressEveryMs ?? 1000),
      );
    if (this.options.faults) this.timers.push(setInterval(() => this.injectFaults(), 2000));
    if (this.options.durationS > 0) this.timers.push(setTimeout(() => void this.stop(), this.options.durationS * 1000));
    this.heartbeats();
  }

  private connect(c: Conn): Promise<void> {
    return new Promise((resolve) => {
      const client = mqtt.connect(this.options.url, {
        clientId: `sim-${this.runId}-${c.device.id}`,
        protocolVersion: 4,
        clean: true,
        reconnectPeriod: 1000,
        connectTimeout: 10_000,
        ...(c.device.token ? { username: c.device.id, password: c.device.token } : {}),
      });
      c.client = client;
      const timer = setTimeout(() => {
        this.errors.push(`${c.device.id}: no CONNACK within 10 s`);
        resolve();
      }, 10_000);
      client.once('connect', () => {
        clearTimeout(timer);
        resolve();
      });
      client.on('error', (err) => {
        if (this.errors.length < 20) this.errors.push(`${c.device.id}: ${err.message}`);
      });
    });
  }

  private nextMsgId(deviceId: string): string {
    const n = (this.seq.get(deviceId) ?? 0) + 1;
    this.seq.set(deviceId, n);
    return `${this.runId}-${n.toString(36)}`;
  }

  private tick(tickMs: number): void {
    if (this.stopping || !this.producers.length) return;
    const maxInFlight = this.options.maxInFlight ?? 20_000;
    if (this.inFlight >= maxInFlight || this.options.throttle?.(this.readings)) return;
    const now = Date.now();
    // Credit from the time that really passed: a busy event loop fires ticks late.
    const elapsed = Math.min(1000, now - (this.lastTick || now - tickMs));
    this.lastTick = now;
    this.credit = Number.isFinite(this.options.rate)
      ? Math.min(this.credit + (this.options.rate * elapsed) / 1000, this.options.rate)
      : maxInFlight - this.inFlight;
    while (this.credit >= 1 && this.inFlight < maxInFlight) {
      this.credit -= 1;
      const d = this.producers[this.cursor++ % this.producers.length]!;
      if ((this.silentUntil.get(d.id) ?? 0) > now) continue;
      const i = this.cursor;
      const msgId = this.nextMsgId(d.id);
      if (d.role === 'sensor' && d.gateway_id) {
        const gw = this.conns.get(d.gateway_id);
        if (!gw) continue;
        gw.buffer.push({
          schema_version: 1,
          device_id: d.id,
          msg_id: msgId,
          ts: now / 1000,
          status: 'ok',
          metrics: metricsFor('sensor', i, now),
        });
        if (gw.online && gw.buffer.length >= 500) this.flushGateway(gw);
      } else {
        const c = this.conns.get(d.id);
        if (!c?.client || !c.online) continue;
        const payload: TelemetryV1 = {
          schema_version: 1,
          msg_id: msgId,
          ts: now / 1000,
          status: 'running',
          metrics: metricsFor(d.role, i, now),
        };
        this.publish(c, 'telemetry', JSON.stringify(payload), [`${d.id} ${msgId}`]);
      }
    }
  }

  private publish(
    c: Conn,
    kind: 'telemetry' | 'heartbeat' | 'batch',
    payload: string,
    readingIds: string[],
    countReadings = true,
  ): void {
    const client = c.client;
    if (!client) return;
    this.inFlight += Math.max(1, readingIds.length);
    if (this.publishedAt && countReadings) {
      const at = Date.now();
      for (const id of readingIds) if (!this.publishedAt.has(id)) this.publishedAt.set(id, at);
    }
    client.publish(topicFor(c.device.site_id, c.device.id, kind), payload, { qos: 1 }, (err) => {
      this.inFlight -= Math.max(1, readingIds.length);
      if (err) {
        if (this.errors.length < 20) this.errors.push(`${c.device.id}: ${err.message}`);
        return;
      }
      this.messages++;
      if (!countReadings) return;
      this.readings += readingIds.length;
      if (this.ids) for (const id of readingIds) this.ids.add(id);
    });
  }

  private flushGateways(): void {
    for (const c of this.conns.values()) if (c.online && c.buffer.length) this.flushGateway(c);
  }

  private flushGateway(c: Conn): void {
    while (c.buffer.length) {
      const items = c.buffer.splice(0, Math.min(500, MAX_BATCH_ITEMS));
      const payload = JSON.stringify(items);
      this.publish(
        c,
        'batch',
        payload,
        items.map((i) => `${i.device_id} ${i.msg_id}`),
      );
      if (this.options.faults && Math.random() < 0.01) {
        // A gateway that did not see the PUBACK sends the batch again: stored once.
        this.duplicatesSent += items.length;
        this.publish(c, 'batch', payload, [], false);
      }
    }
  }

  private heartbeats(): void {
    if (this.stopping) return;
    const ts = Date.now() / 1000;
    for (const c of this.conns.values()) {
      if (!c.online || (this.silentUntil.get(c.device.id) ?? 0) > Date.now()) continue;
      this.publish(
        c,
        'heartbeat',
        JSON.stringify({
          schema_version: 1,
          ts,
          uptime_s: Math.round((Date.now() - this.started) / 1000),
          fw: '2.1.0',
        }),
        [],
        false,
      );
    }
  }

  private injectFaults(): void {
    if (this.stopping) return;
    const now = Date.now();
    const pick = <T>(list: T[]) => list[Math.floor(Math.random() * list.length)];
    // Devices going silent for 10–20 s, then coming back.
    for (let i = 0; i < Math.max(1, Math.round(this.producers.length * 0.01)); i++) {
      const d = pick(this.producers);
      if (d) this.silentUntil.set(d.id, now + 10_000 + Math.random() * 10_000);
    }
    // A gateway losing its uplink for ~8 s: it keeps buffering, then backfills.
    const gateways = [...this.conns.values()].filter((c) => c.sensors.length && c.online);
    const gw = Math.random() < 0.3 ? pick(gateways) : undefined;
    if (gw) {
      gw.online = false;
      const before = gw.buffer.length;
      this.timers.push(
        setTimeout(() => {
          gw.online = true;
          this.backfilled += Math.max(0, gw.buffer.length - before);
          this.flushGateway(gw);
        }, 8000),
      );
    }
    // Malformed messages: the ingest dead-letters them and keeps going.
    const c = pick([...this.conns.values()].filter((x) => x.online));
    if (c) {
      const bad = [
        '{"schema_version":1,"msg_id":',
        JSON.stringify({ schema_version: 1, msg_id: 'x', ts: 'yesterday', metrics: { temp_c: 'warm' } }),
        JSON.stringify({ schema_version: 9, msg_id: 'future', ts: now / 1000, metrics: {} }),
        '\u0000\u0001binary\u00ff',
      ];
      this.malformed++;
      this.publish(c, 'telemetry', bad[this.malformed % bad.length]!, [], false);
    }
  }

  progress(): SimulationProgress {
    const now = Date.now();
    const dt = (now - this.lastProgress.at) / 1000;
    const rate = dt > 0 ? (this.readings - this.lastProgress.readings) / dt : 0;
    this.lastProgress = { at: now, readings: this.readings };
    return {
      elapsedS: (now - this.started) / 1000,
      readings: this.readings,
      readingsPerS: rate,
      messages: this.messages,
      malformed: this.malformed,
      backfilled: this.backfilled,
      duplicatesSent: this.duplicatesSent,
      inFlight: this.inFlight,
      connected: [...this.conns.values()].filter((c) => c.client?.connected).length,
    };
  }

  /** Stops producing, sends what gateways still hold, waits for acknowledgements, disconnects. */
  async stop(): Promise<SimulationReport> {
    if (this.stopping) return this.done;
    this.stopping = true;
    for (const t of this.timers) clearInterval(t);
    for (const c of this.conns.values()) c.online = true;
    this.flushGateways();
    const deadline = Date.now() + 30_000;
    while (this.inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await Promise.all([...this.conns.values()].map((c) => c.client?.endAsync().catch(() => {})));
    const report: SimulationReport = {
      ...this.progress(),
      ids: this.ids,
      publishedAt: this.publishedAt,
      startedAt: this.started,
      errors: this.errors,
    };
    this.resolveDone(report);
    return report;
  }
}
