import mqtt, { type IPublishPacket, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { AppContext } from '../context.ts';
import { CHIRPSTACK_UPLINK_TOPIC, INGEST_KINDS, TOPIC_ROOT, parseTopic } from '../contracts/mqtt.ts';
import { countDbError, metricsFor } from '../metrics/registry.ts';
import { liveTelemetryFor } from '../telemetry/live.ts';
import { redactUrl } from '../util/url.ts';
import { decodeMessage, type Decoded } from './decode.ts';
import { registerIngestLag, type IngestLag } from './lag.ts';
import { TELEMETRY_DEFAULTS } from './options.ts';
import { RegistryCache } from './registry-cache.ts';
import { DeviceStateThrottle, writeBatch, type IncomingMessage, type WriteResult } from './writer.ts';

export interface IngestOptions {
  /** Names this replica; the MQTT session is `fleetbook-ingest-<instance>`, persistent across restarts. */
  instance: string;
  /** `$share/<group>/…` subscriptions (several replicas split the load), or null for plain ones. */
  sharedGroup: string | null;
  /** Also subscribe to ChirpStack v4 uplinks (`application/+/device/+/event/up`). */
  chirpstack?: boolean;
  /**
   * Only these sites' topics (`fleetbook/v1/<site>/+/…`) instead of every site: a replica
   * dedicated to some sites, or a test sharing a broker with others. Default: all sites.
   */
  sites?: string[];
  /** A batch closes at this many rows, or as soon as the writer is free. */
  batchMaxRows?: number;
  /** A received message waits at most this long before its batch is written. */
  batchMaxDelayMs?: number;
  /** Above this many unwritten messages the ingest stops reading from the broker. */
  maxPendingMessages?: number;
  /** /health reports this replica degraded while its oldest unstored message is older than this. */
  maxLagMs?: number;
  /** Batches written at once (default 2 on PostgreSQL, 1 on PGlite, which has one connection). */
  maxConcurrentWrites?: number;
  /** A device that stays up has its observed state written at most this often (default 5 s; at most half its heartbeat interval). */
  stateEveryMs?: number;
  /** The broker URL and credentials; default: the API's own broker (ctx.broker). */
  url?: string;
  credentials?: { username: string; password: string };
  logger?: Logger;
}

export interface IngestStats {
  received: number;
  rowsInserted: number;
  duplicates: number;
  deadLetters: number;
  batches: number;
  pending: number;
  dbErrors: number;
}

export interface IngestHandle {
  clientId: string;
  subscriptions: string[];
  cache: RegistryCache;
  stats(): IngestStats;
  /** Backlog of this replica: what /health and the lag gauges report. */
  lag(): IngestLag;
  /** Resolves once everything received so far is written and acknowledged. */
  drain(): Promise<void>;
  /**
   * Takes what is already on its way until the stream is quiet (at most `drainMs`, default
   * 2 s), stops reading, writes and acknowledges what it holds, and disconnects. The session
   * stays: the broker keeps what arrives later for the next start.
   */
  stop(options?: { drainMs?: number }): Promise<void>;
  /**
   * Simulates a crash (tests): drops the connection without DISCONNECT and forgets what was
   * not yet written. The broker still holds every unacknowledged message for the session.
   */
  abort(): Promise<void>;
}

/** The subscriptions of one ingest replica. */
export function ingestSubscriptions(sharedGroup: string | null, chirpstack: boolean, sites?: string[]): string[] {
  const filters = (sites?.length ? sites : ['+']).flatMap((site) => INGEST_KINDS.map((k) => `${TOPIC_ROOT}/${site}/+/${k}`));
  if (chirpstack) filters.push(CHIRPSTACK_UPLINK_TOPIC);
  return sharedGroup ? filters.map((f) => `$share/${sharedGroup}/${f}`) : filters;
}

interface Pending extends IncomingMessage {
  messageId: number | undefined;
  generation: number;
  rows: number;
  written: boolean;
}

/** Marks a QoS 1 PUBLISH whose PUBACK we send ourselves, after the database commit. */
const DEFER_ACK = new Error('puback deferred until the batch is committed');

/**
 * The MQTT ingest. One persistent MQTT session per replica (clean: false, a stable client
 * id): a restart resumes where it stopped, and the broker keeps what arrived meanwhile.
 *
 * At-least-once end to end: the PUBACK of a QoS 1 message is sent only after the batch
 * holding it is committed, so a crash loses nothing (the broker redelivers; the insert is
 * idempotent on msg_id). Backpressure: above `maxPendingMessages` unwritten messages the
 * client stops reading its socket, so a slow database slows the broker's delivery instead
 * of growing memory; with Mosquitto, `max_inflight_messages` bounds it first.
 */
export async function startIngest(ctx: AppContext, options: IngestOptions): Promise<IngestHandle> {
  const broker = ctx.broker;
  const url = options.url ?? broker?.url;
  if (!url) throw new Error('the ingest needs an MQTT broker');
  const credentials = options.credentials ?? (options.url ? undefined : broker?.credentials);
  const log = options.logger;
  const maxRows = options.batchMaxRows ?? TELEMETRY_DEFAULTS.batchMaxRows;
  const maxDelayMs = options.batchMaxDelayMs ?? TELEMETRY_DEFAULTS.batchMaxDelayMs;
  const maxPending = options.maxPendingMessages ?? TELEMETRY_DEFAULTS.maxPendingMessages;
  const clientId = `fleetbook-ingest-${options.instance}`;
  const subscriptions = ingestSubscriptions(options.sharedGroup, options.chirpstack ?? false, options.sites);

  const cache = new RegistryCache(ctx.db, ctx.database);
  await cache.start();
  const throttle = new DeviceStateThrottle(options.stateEveryMs ?? 5000);
  const live = liveTelemetryFor(ctx);

  const metrics = metricsFor(ctx);
  const mReceived = metrics.counter('fleetbook_ingest_messages_total', 'MQTT messages received by the ingest');
  const mRows = metrics.counter('fleetbook_ingest_rows_total', 'Telemetry rows written (new readings)');
  const mDuplicates = metrics.counter('fleetbook_ingest_duplicates_total', 'Readings already stored (repeated msg_id): absorbed');
  const mDead = metrics.counter('fleetbook_ingest_dead_letters_total', 'Messages (or batch elements) dead-lettered, by reason');
  const mBatches = metrics.counter('fleetbook_ingest_batches_total', 'Batches written to the database');
  const stats: IngestStats = { received: 0, rowsInserted: 0, duplicates: 0, deadLetters: 0, batches: 0, pending: 0, dbErrors: 0 };

  const pending: Pending[] = [];
  /** Batches being written: what they hold is received and not yet stored, like `pending`. */
  const writing = new Set<{ oldest: number; messages: number }>();
  let lastStoredAt: number | null = null;
  let pendingRows = 0;
  let generation = 0;
  let active = 0;
  let lingerTimer: NodeJS.Timeout | null = null;
  let delayTimer: NodeJS.Timeout | null = null;
  let closing = false;
  let lastBatchSeconds = 0;
  const maxWriters = options.maxConcurrentWrites ?? (ctx.database.kind === 'pg' ? 4 : 1);
  /** QoS 1 messages in the order received; PUBACKs go out in that order (MQTT 4.6). */
  const ackQueue: Pending[] = [];
  const readWaiters: Array<() => void> = [];
  const drainWaiters: Array<() => void> = [];

  const maxLagMs = options.maxLagMs ?? TELEMETRY_DEFAULTS.maxLagMs;
  const lag = (): IngestLag => {
    let oldest = pending.length ? pending[0]!.receivedAt : Infinity;
    let queued = pending.length;
    for (const batch of writing) {
      oldest = Math.min(oldest, batch.oldest);
      queued += batch.messages;
    }
    return { instance: options.instance, lagMs: oldest === Infinity ? 0 : Math.max(0, Date.now() - oldest), queued, lastStoredAt, maxLagMs };
  };

  const unregister = [
    registerIngestLag(ctx, lag),
    metrics.gauge('fleetbook_ingest_pending_messages', 'Messages received but not yet stored (queued or being written)', () => lag().queued),
    metrics.gauge('fleetbook_ingest_lag_seconds', 'Age of the oldest message received but not yet stored (0 when idle)', () => lag().lagMs / 1000),
    metrics.gauge('fleetbook_ingest_last_stored_timestamp_seconds', 'When the ingest last committed a batch (epoch seconds)', () =>
      lastStoredAt === null ? [] : [{ value: lastStoredAt / 1000 }],
    ),
    metrics.gauge('fleetbook_ingest_batch_seconds', 'Duration of the last batch write', () => lastBatchSeconds),
    metrics.gauge('fleetbook_ingest_connected', '1 when the ingest’s MQTT session is connected', () => (client.connected ? 1 : 0)),
  ];

  const client: MqttClient = mqtt.connect(url, {
    clientId,
    clean: false,
    protocolVersion: 4,
    reconnectPeriod: 1000,
    connectTimeout: 5000,
    keepalive: 30,
    resubscribe: true,
    ...credentials,
  });

  let brokerClients: number | null = null;
  if (broker?.kind === 'external') {
    unregister.push(
      metrics.gauge('fleetbook_broker_clients', 'Clients connected to the MQTT broker ($SYS on external brokers)', () =>
        brokerClients === null ? [] : [{ value: brokerClients }],
      ),
    );
  }

  client.on('close', () => {
    // PUBACKs owed on the old connection are dropped: the broker redelivers those messages.
    generation++;
    ackQueue.length = 0;
  });
  client.on('error', (err) => log?.warn({ err: err.message, broker: redactUrl(url) }, 'ingest MQTT error'));

  client.handleMessage = (packet, done) => {
    if (packet.cmd !== 'publish') return done();
    const publish = packet as IPublishPacket;
    if (publish.topic.startsWith('$SYS/')) {
      const n = Number(publish.payload.toString());
      if (Number.isFinite(n)) brokerClients = n;
      return done();
    }
    const qos1 = publish.qos > 0;
    // Stopping: leave it unacknowledged; the broker gives it to the next session.
    if (closing) return done(qos1 ? DEFER_ACK : undefined);
    const receivedAt = Date.now();
    const payload = typeof publish.payload === 'string' ? Buffer.from(publish.payload) : publish.payload;
    const decoded = decodeMessage(publish.topic, payload, receivedAt);
    const rows = decoded.items.length + decoded.deadLetters.length;
    const entry: Pending = { decoded, receivedAt, messageId: qos1 ? publish.messageId : undefined, generation, rows, written: false };
    pending.push(entry);
    if (qos1) ackQueue.push(entry);
    pendingRows += rows;
    stats.received++;
    mReceived.inc();
    schedule();
    const proceed = () => done(qos1 ? DEFER_ACK : undefined);
    if (pending.length >= maxPending) readWaiters.push(proceed);
    else proceed();
  };

  const oldestAge = () => (pending.length ? Date.now() - pending[0]!.receivedAt : 0);
  /** Another writer may start when none runs, or a full batch waits, or the oldest reading waited maxDelayMs. */
  const mayStart = () => pending.length > 0 && active < maxWriters && (active === 0 || closing || pendingRows >= maxRows || oldestAge() >= maxDelayMs);

  function schedule(): void {
    if (active === 0 && !closing) {
      // The writer is free: write on the next turn, with whatever arrived in this socket read.
      lingerTimer ??= setTimeout(pump, 1);
      return;
    }
    pump();
    if (pending.length && active > 0 && active < maxWriters && !delayTimer) {
      delayTimer = setTimeout(() => ((delayTimer = null), pump()), Math.max(1, maxDelayMs - oldestAge()));
    }
  }

  function pump(): void {
    if (lingerTimer) clearTimeout(lingerTimer);
    lingerTimer = null;
    while (mayStart()) {
      active++;
      void writeNext().finally(() => {
        active--;
        pump();
      });
    }
    if (!pending.length && active === 0) for (const w of drainWaiters.splice(0)) w();
  }

  /** Held device states whose window ended, with no reading to carry them: written alone. */
  const stateTimer = setInterval(() => {
    if (closing || active >= maxWriters || !throttle.hasDue(Date.now())) return;
    active++;
    void writeWithRetry([]).finally(() => {
      active--;
      pump();
    });
  }, 1000);
  stateTimer.unref();

  async function writeNext(): Promise<void> {
    const take: Pending[] = [];
    let rows = 0;
    while (pending.length && (take.length === 0 || rows + pending[0]!.rows <= maxRows)) {
      const next = pending.shift()!;
      take.push(next);
      rows += next.rows;
    }
    pendingRows -= rows;
    const started = performance.now();
    // `pending` is in arrival order: the first taken is the oldest.
    const batch = { oldest: take[0]?.receivedAt ?? Date.now(), messages: take.length };
    writing.add(batch);
    let result: WriteResult | null;
    try {
      result = await writeWithRetry(take);
    } finally {
      writing.delete(batch);
    }
    lastBatchSeconds = (performance.now() - started) / 1000;
    if (result) {
      lastStoredAt = Date.now();
      stats.batches++;
      stats.rowsInserted += result.inserted;
      stats.duplicates += result.duplicates;
      mBatches.inc();
      mRows.inc({}, result.inserted);
      mDuplicates.inc({}, result.duplicates);
      for (const [reason, n] of Object.entries(result.deadLetters)) {
        stats.deadLetters += n!;
        mDead.inc({ reason }, n!);
        log?.info({ reason, count: n }, 'dead-lettered');
      }
      if (result.samples.length) live.publish(result.samples);
      for (const p of take) p.written = true;
      sendAcks();
    }
    // Room again: let mqtt.js read on.
    while (readWaiters.length && pending.length < maxPending) readWaiters.shift()!();
  }

  /** PUBACKs for every written message at the head of the queue, in the order received. */
  function sendAcks(): void {
    while (ackQueue.length && ackQueue[0]!.written) ack(ackQueue.shift()!);
  }

  function ack(p: Pending): void {
    if (p.messageId === undefined || p.generation !== generation || !client.connected) return;
    // mqtt.js has no public "ack later"; _sendPacket is how it sends its own PUBACKs.
    (client as unknown as { _sendPacket(packet: object, cb?: () => void): void })._sendPacket({ cmd: 'puback', messageId: p.messageId });
  }

  /**
   * Retries a failed batch until it is written: a database that is down is waited for
   * (with backoff); a batch the database refuses (a data error) is split in halves until
   * the one message at fault is found, and that one is dead-lettered instead.
   */
  async function writeWithRetry(take: Pending[]): Promise<WriteResult | null> {
    let delay = 100;
    for (;;) {
      try {
        return await writeBatch(ctx.db, cache, take, throttle);
      } catch (err) {
        stats.dbErrors++;
        countDbError(ctx, 'ingest');
        if (isDataError(err)) return bisect(take, err as Error);
        log?.error({ err: (err as Error).message, retry_ms: delay }, 'ingest write failed; retrying');
        if (closing && delay > 3000) return null; // stopping with the database gone: leave them unacknowledged
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, 5000);
      }
    }
  }

  async function bisect(take: Pending[], err: Error): Promise<WriteResult | null> {
    if (take.length === 0) {
      log?.error({ err: err.message }, 'device state write refused by the database');
      return null;
    }
    if (take.length === 1) {
      const p = take[0]!;
      log?.warn({ err: err.message, topic: p.decoded.topic }, 'database refused a message: dead-lettered');
      const poisoned: Decoded = {
        topic: p.decoded.topic,
        items: [],
        deadLetters: [
          {
            reason: 'validation',
            detail: `rejected by the database: ${err.message}`,
            topic: p.decoded.topic,
            site_id: parseTopic(p.decoded.topic)?.site_id ?? null,
            device_id: parseTopic(p.decoded.topic)?.device_id ?? null,
            payload: p.decoded.items[0]?.raw() ?? p.decoded.deadLetters[0]?.payload ?? '',
          },
        ],
      };
      return writeWithRetry([{ ...p, decoded: poisoned }]);
    }
    const half = Math.ceil(take.length / 2);
    const a = await writeWithRetry(take.slice(0, half));
    const b = await writeWithRetry(take.slice(half));
    if (!a || !b) return a ?? b;
    const deadLetters = { ...a.deadLetters };
    for (const [k, v] of Object.entries(b.deadLetters)) deadLetters[k as keyof typeof deadLetters] = (deadLetters[k as keyof typeof deadLetters] ?? 0) + v!;
    return {
      rows: a.rows + b.rows,
      inserted: a.inserted + b.inserted,
      duplicates: a.duplicates + b.duplicates,
      deadLetters,
      cameUp: [...a.cameUp, ...b.cameUp],
      samples: [...a.samples, ...b.samples],
    };
  }

  // Connect and subscribe (QoS 1). A refused subscription is an error worth failing on.
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      clearInterval(stateTimer);
      client.end(true);
      void cache.stop();
      for (const u of unregister) u();
      reject(new Error(`ingest: cannot connect to the MQTT broker at ${redactUrl(url)} within 5000 ms`));
    }, 5000);
    client.once('connect', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  const granted = await client.subscribeAsync(Object.fromEntries(subscriptions.map((s) => [s, { qos: 1 as const }])));
  const refused = granted.filter((g) => g.qos === 128);
  if (refused.length) {
    clearInterval(stateTimer);
    await client.endAsync(true);
    await cache.stop();
    for (const u of unregister) u();
    throw new Error(`ingest: the broker refused the subscription to ${refused.map((g) => g.topic).join(', ')} (check the ACL of the API's MQTT user)`);
  }
  if (broker?.kind === 'external') client.subscribe('$SYS/broker/clients/connected', { qos: 0 });
  log?.info({ clientId, subscriptions }, 'ingest subscribed');

  let stopped: Promise<void> | null = null;
  return {
    clientId,
    subscriptions,
    cache,
    stats: () => ({ ...stats, pending: pending.length }),
    lag,
    drain: () =>
      new Promise<void>((resolve) => {
        if (!pending.length && active === 0) return resolve();
        drainWaiters.push(resolve);
        pump();
      }),
    stop: (options: { drainMs?: number } = {}) =>
      (stopped ??= (async () => {
        // Keep taking what is already on its way (in the socket, in the broker's in-flight
        // window) until the stream goes quiet, then stop reading: whatever arrives later
        // stays unacknowledged at the broker for the next session.
        const deadline = Date.now() + (options.drainMs ?? 2000);
        let lastCount = -1;
        while (Date.now() < deadline && stats.received !== lastCount) {
          lastCount = stats.received;
          await new Promise((r) => setTimeout(r, 100));
        }
        closing = true;
        clearInterval(stateTimer);
        for (const w of readWaiters.splice(0)) w();
        if (delayTimer) clearTimeout(delayTimer);
        await new Promise<void>((resolve) => {
          drainWaiters.push(resolve);
          pump();
        });
        throttle.releaseAll();
        if (throttle.hasDue(Date.now())) await writeWithRetry([]);
        await client.endAsync().catch(() => {});
        await live.stop();
        await cache.stop();
        for (const u of unregister) u();
      })()),
    abort: () =>
      (stopped ??= (async () => {
        closing = true;
        clearInterval(stateTimer);
        pending.length = 0;
        pendingRows = 0;
        ackQueue.length = 0;
        generation++;
        for (const w of readWaiters.splice(0)) w();
        client.stream?.destroy();
        await client.endAsync(true).catch(() => {});
        await cache.stop();
        for (const u of unregister) u();
      })()),
  };
}

/** SQLSTATE classes the database will refuse again on retry: data, integrity, syntax. */
function isDataError(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' && /^(22|23|42|2B)/.test(code);
}

/**
 * Ends a persistent ingest session for good (a replica removed from the cluster, or a
 * test cleaning up): connects with its client id and a clean session, then leaves. Until
 * this runs, the broker keeps queueing that replica's share of the messages.
 */
export async function forgetIngestSession(url: string, instance: string, credentials?: { username: string; password: string }): Promise<void> {
  const client = mqtt.connect(url, { clientId: `fleetbook-ingest-${instance}`, clean: true, protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5000, ...credentials });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  await client.endAsync();
}
