import mqtt, { type IPublishPacket, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { EMBEDDED_CONNECT_MS, EXTERNAL_CONNECT_MS, RECONNECT_MS } from '../broker/index.ts';
import type { AppContext } from '../../kernel/context.ts';
import { INGEST_KINDS, TOPIC_ROOT } from '../../contracts/mqtt.ts';
import { DEFAULT_CHIRPSTACK_TOPICS, type ChirpstackTopics } from './chirpstack/topics.ts';
import type { LiveTelemetry } from '../live.ts';
import { redactUrl } from '../../kernel/util/url.ts';
import { AckTracker } from './ack-tracker.ts';
import { batchWriter, type BatchWriter } from './batch-retry.ts';
import { decodeMessage } from './decode.ts';
import { IngestMetrics, type IngestStats } from './ingest-metrics.ts';
import { TELEMETRY_DEFAULTS } from './options.ts';
import { RegistryCache } from './registry-cache.ts';
import { StarvationWatch } from './starvation.ts';
import { StarvationHeal } from './starvation-heal.ts';
import type { IngestStatus } from './status.ts';
import { IngestSubscription, SYS_CLIENTS, SYS_PUBLISHES_RECEIVED } from './subscription.ts';
import { WriterPool, type Pending } from './writer-pool.ts';
import { DeviceStateThrottle } from './writer.ts';
import type { ReadingsHook } from './readings.ts';

export type { IngestStats } from './ingest-metrics.ts';

export interface IngestOptions {
  /** Names this replica; the MQTT session is `fleetbook-ingest-<instance>`, persistent across restarts. */
  instance: string;
  /** `$share/<group>/…` subscriptions (several replicas split the load), or null for plain ones. */
  sharedGroup: string | null;
  /** Also subscribe to ChirpStack v4 events (up, ack, txack; `application/+/device/+/event/…` by default). */
  chirpstack?: boolean;
  /** ChirpStack's event_topic / command_topic templates, when not ChirpStack's defaults. */
  chirpstackTopics?: ChirpstackTopics;
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
  /**
   * /health reports this replica down when it received nothing while the broker took this many
   * publishes (`$SYS/broker/publish/messages/received`, see starvation.ts), and the replica
   * drops its connection to resume its session and subscribe again (starvation-heal.ts); 0
   * turns the check off. Off anyway with `sites` (the broker's count covers every site).
   */
  starvedAfterPublishes?: number;
  /** The broker URL and credentials; default: the API's own broker (ctx.broker). */
  url?: string;
  credentials?: { username: string; password: string };
  /** Alert rule evaluation on each batch's stored readings, in its transaction (notifications). */
  onReadings?: ReadingsHook;
  logger?: Logger;
}

export interface IngestHandle {
  clientId: string;
  subscriptions: string[];
  cache: RegistryCache;
  stats(): IngestStats;
  /** Connection, subscription and backlog of this replica: what /health and the gauges report. */
  status(): IngestStatus;
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
export function ingestSubscriptions(
  sharedGroup: string | null,
  chirpstack: boolean,
  sites?: string[],
  topics: ChirpstackTopics = DEFAULT_CHIRPSTACK_TOPICS,
): string[] {
  const filters = (sites?.length ? sites : ['+']).flatMap((site) =>
    INGEST_KINDS.map((k) => `${TOPIC_ROOT}/${site}/+/${k}`),
  );
  if (chirpstack) filters.push(...topics.filters());
  return sharedGroup ? filters.map((f) => `$share/${sharedGroup}/${f}`) : filters;
}

/** Marks a QoS 1 PUBLISH whose PUBACK we send ourselves, after the database commit (ack-tracker.ts). */
const DEFER_ACK = new Error('puback deferred until the batch is committed');

/**
 * The MQTT ingest. One persistent MQTT session per replica (clean: false, a stable client
 * id): a restart resumes where it stopped, and the broker keeps what arrived meanwhile.
 *
 * At-least-once end to end: the PUBACK of a QoS 1 message is sent only after the batch
 * holding it is committed (AckTracker), so a crash loses nothing (the broker redelivers; the
 * insert is idempotent on msg_id). Backpressure: above `maxPendingMessages` unwritten messages
 * the client stops reading its socket (WriterPool), so a slow database slows the broker's
 * delivery instead of growing memory; with Mosquitto, `max_inflight_messages` bounds it first.
 */
export async function startIngest(ctx: AppContext, options: IngestOptions): Promise<IngestHandle> {
  const broker = ctx.broker;
  const url = options.url ?? broker?.url;
  if (!url) throw new Error('the ingest needs an MQTT broker');
  const credentials = options.credentials ?? (options.url ? undefined : broker?.credentials);
  const log = options.logger;
  const clientId = `fleetbook-ingest-${options.instance}`;
  const subscriptions = ingestSubscriptions(
    options.sharedGroup,
    options.chirpstack ?? false,
    options.sites,
    options.chirpstackTopics,
  );

  const cache = new RegistryCache(ctx.db, ctx.database);
  await cache.start();
  const throttle = new DeviceStateThrottle(options.stateEveryMs ?? 5000);
  const metrics = new IngestMetrics(ctx);
  const starvation = new StarvationWatch(
    options.sites?.length ? 0 : (options.starvedAfterPublishes ?? TELEMETRY_DEFAULTS.starvedAfterPublishes),
  );

  const external = broker?.kind === 'external' || options.url !== undefined;
  // The embedded broker is in this process: a late CONNACK means a starved process, not a broker out of reach.
  const connectMs = external ? EXTERNAL_CONNECT_MS : EMBEDDED_CONNECT_MS;
  const client = connectClient(url, clientId, credentials, connectMs);
  const acks = new AckTracker(client);
  const subscription = new IngestSubscription(client, {
    clientId,
    filters: subscriptions,
    external,
    acks,
    closing: () => pool.closing,
    log,
  });
  const write = batchWriter({
    db: ctx.db,
    cache,
    throttle,
    onReadings: options.onReadings,
    log,
    dbError: () => metrics.dbError(),
    closing: () => pool.closing,
  });
  const pool = writerPool(ctx, options, { write, throttle, metrics, acks });
  const heal = new StarvationHeal({
    clientId,
    // No DISCONNECT, as a network failure would: mqtt.js reconnects after RECONNECT_MS (clean: false).
    drop: () => setImmediate(() => client.stream?.destroy()),
    counted: () => metrics.resubscribed('starved'),
    log,
  });

  const status = statusProbe({
    instance: options.instance,
    options,
    client,
    subscription,
    starvation,
    heal,
    pool,
    metrics,
  });
  const unregister = metrics.register({
    status,
    connected: () => client.connected,
    subscribed: () => subscription.subscribed,
  });
  const sys = { brokerClients: null as number | null };
  if (broker?.kind === 'external') unregister.push(metrics.registerBrokerClients(() => sys.brokerClients));

  const connection = followConnection(client, {
    clientId,
    url,
    subscription,
    acks,
    starvation,
    heal,
    closing: () => pool.closing,
    log,
  });
  client.handleMessage = messageHandler({
    pool,
    acks,
    metrics,
    starvation,
    heal: () => {
      if (client.connected && subscription.subscribed && !pool.closing)
        heal.check(starvation.verdict(metrics.stats.received));
    },
    received: () => heal.received(),
    sys,
    chirpstackTopics: options.chirpstackTopics,
  });

  await connected(client, url, connectMs, connection, subscription, async () => {
    pool.shutDown();
    for (const u of unregister) u();
    await Promise.all([client.endAsync(true), cache.stop()]);
  });

  return {
    clientId,
    subscriptions,
    cache,
    stats: () => ({ ...metrics.stats, pending: pool.size }),
    status,
    drain: () => pool.drain(),
    ...ending({ client, pool, acks, stats: metrics.stats, throttle, write, live: ctx.live, cache, unregister }),
  };
}

/** The ingest's MQTT client: a persistent session (clean: false) under a stable client id. */
function connectClient(
  url: string,
  clientId: string,
  credentials: { username: string; password: string } | undefined,
  connectMs: number,
): MqttClient {
  return mqtt.connect(url, {
    clientId,
    clean: false,
    protocolVersion: 4,
    reconnectPeriod: RECONNECT_MS,
    connectTimeout: connectMs,
    keepalive: 30,
    // We subscribe on every connect ourselves: mqtt.js would skip it when sessionPresent is set.
    resubscribe: false,
    // mqtt.js logs through `debug` several times per packet, building the arguments even when
    // nobody listens; without DEBUG set (which `debug` reads at start) those calls go nowhere.
    ...(process.env.DEBUG ? {} : { log: noLog }),
    ...credentials,
  });
}

const noLog = (): void => {};

/** The writers: batches of received messages; each committed batch goes to the live feed and is acknowledged. */
function writerPool(
  ctx: AppContext,
  options: IngestOptions,
  d: { write: BatchWriter; throttle: DeviceStateThrottle; metrics: IngestMetrics; acks: AckTracker },
): WriterPool {
  const log = options.logger;
  return new WriterPool({
    maxRows: options.batchMaxRows ?? TELEMETRY_DEFAULTS.batchMaxRows,
    maxDelayMs: options.batchMaxDelayMs ?? TELEMETRY_DEFAULTS.batchMaxDelayMs,
    maxPending: options.maxPendingMessages ?? TELEMETRY_DEFAULTS.maxPendingMessages,
    maxWriters: options.maxConcurrentWrites ?? (ctx.database.kind === 'pg' ? 4 : 1),
    write: d.write,
    statesDue: () => d.throttle.hasDue(Date.now()),
    done: (take, result, seconds) => {
      d.metrics.batch(seconds, result, log);
      if (!result) return;
      if (result.samples.length) ctx.live.publish(result.samples);
      d.acks.written(take);
    },
  });
}

/** Connection, subscription and backlog of this replica, as /health and the gauges read them. */
function statusProbe(d: {
  instance: string;
  options: IngestOptions;
  client: MqttClient;
  subscription: IngestSubscription;
  starvation: StarvationWatch;
  heal: StarvationHeal;
  pool: WriterPool;
  metrics: IngestMetrics;
}): () => IngestStatus {
  const { client, subscription, pool, metrics } = d;
  const maxLagMs = d.options.maxLagMs ?? TELEMETRY_DEFAULTS.maxLagMs;
  return () => {
    const { oldest, queued } = pool.backlog();
    const starved = d.starvation.verdict(metrics.stats.received);
    const down = !client.connected
      ? d.heal.reconnecting && starved
        ? `${starved}; reconnecting to subscribe again`
        : 'not connected to the MQTT broker'
      : !subscription.subscribed
        ? (subscription.error ?? 'connected to the MQTT broker, not subscribed yet')
        : starved;
    return {
      instance: d.instance,
      lagMs: oldest === Infinity ? 0 : Math.max(0, Date.now() - oldest),
      queued,
      lastStoredAt: metrics.lastStoredAt,
      lastReceivedAt: metrics.lastReceivedAt,
      maxLagMs,
      connected: client.connected,
      subscribed: subscription.subscribed,
      down,
    };
  };
}

/**
 * Waits for the first connection (`connectMs`: 5 s for an external broker, a minute for the
 * embedded one) and its subscriptions (QoS 1): a broker out of reach or a subscription refused
 * at start is an error worth failing on, after `teardown`.
 */
async function connected(
  client: MqttClient,
  url: string,
  connectMs: number,
  connection: { subscribing: Promise<string[]> },
  subscription: IngestSubscription,
  teardown: () => Promise<void>,
): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      void teardown().catch(() => {});
      reject(new Error(`ingest: cannot connect to the MQTT broker at ${redactUrl(url)} within ${connectMs} ms`));
    }, connectMs);
    client.once('connect', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  const refused = await connection.subscribing;
  if (refused.length) {
    await teardown();
    throw new Error(`ingest: ${subscription.error}`);
  }
}

/** Connects, reconnects and subscribes on every connect; says once per outage that the broker is gone. */
function followConnection(
  client: MqttClient,
  d: {
    clientId: string;
    url: string;
    subscription: IngestSubscription;
    acks: AckTracker;
    starvation: StarvationWatch;
    heal: StarvationHeal;
    closing(): boolean;
    log?: Logger;
  },
): { subscribing: Promise<string[]> } {
  const { clientId, url, log } = d;
  const state = { subscribing: Promise.resolve([] as string[]) };
  let offlineSince: number | null = null;
  client.on('connect', (connack) => {
    // After a reconnect of its own (starved) the watch keeps counting: /health stays down until a message arrives.
    if (!d.heal.connected()) d.starvation.reset();
    if (offlineSince !== null)
      log?.warn({ clientId, offline_ms: Date.now() - offlineSince }, 'ingest reconnected to the MQTT broker');
    offlineSince = null;
    state.subscribing = d.subscription.subscribe(connack.sessionPresent);
  });
  client.on('close', () => {
    // PUBACKs owed on the old connection are dropped: the broker redelivers those messages.
    d.acks.connectionLost();
    d.subscription.subscribed = false;
    if (offlineSince === null && !d.closing()) {
      offlineSince = Date.now();
      // A connection dropped for being starved was logged as such.
      if (!d.heal.reconnecting)
        log?.warn(
          { clientId, broker: redactUrl(url), retry_ms: RECONNECT_MS },
          'ingest lost the MQTT broker; reconnecting',
        );
    }
  });
  // While the broker is away every attempt fails: say so once per outage, not four times a second.
  client.on('error', (err) => {
    if (offlineSince === null) log?.warn({ err: err.message, broker: redactUrl(url) }, 'ingest MQTT error');
  });
  return state;
}

/** Each PUBLISH: the broker's own counts ($SYS), or a message decoded and queued for a writer, its PUBACK held back. */
function messageHandler(d: {
  pool: WriterPool;
  acks: AckTracker;
  metrics: IngestMetrics;
  starvation: StarvationWatch;
  /** After each sample of the broker's count: reconnect when starved (starvation-heal.ts). */
  heal(): void;
  /** Each message of ours. */
  received(): void;
  sys: { brokerClients: number | null };
  chirpstackTopics: ChirpstackTopics | undefined;
}): MqttClient['handleMessage'] {
  const { pool, acks, metrics } = d;
  return (packet, done) => {
    if (packet.cmd !== 'publish') return done();
    const publish = packet as IPublishPacket;
    if (publish.topic.startsWith('$SYS/')) {
      const n = Number(publish.payload.toString());
      if (Number.isFinite(n) && publish.topic === SYS_CLIENTS) d.sys.brokerClients = n;
      if (Number.isFinite(n) && publish.topic === SYS_PUBLISHES_RECEIVED) {
        d.starvation.sample(n, metrics.stats.received);
        d.heal();
      }
      return done();
    }
    const qos1 = publish.qos > 0;
    // Stopping: leave it unacknowledged; the broker gives it to the next session.
    if (pool.closing) return done(qos1 ? DEFER_ACK : undefined);
    const receivedAt = Date.now();
    metrics.lastReceivedAt = receivedAt;
    const payload = typeof publish.payload === 'string' ? Buffer.from(publish.payload) : publish.payload;
    const decoded = decodeMessage(publish.topic, payload, receivedAt, d.chirpstackTopics);
    const rows = decoded.items.length + decoded.deadLetters.length;
    const entry: Pending = {
      decoded,
      receivedAt,
      messageId: qos1 ? publish.messageId : undefined,
      generation: acks.generation,
      rows,
      written: false,
    };
    if (qos1) acks.track(entry);
    metrics.received();
    d.received();
    pool.add(entry, () => done(qos1 ? DEFER_ACK : undefined));
  };
}

/** stop() and abort() of a running ingest (whichever comes first; the other returns the same promise). */
function ending(d: {
  client: MqttClient;
  pool: WriterPool;
  acks: AckTracker;
  stats: IngestStats;
  throttle: DeviceStateThrottle;
  write: BatchWriter;
  live: LiveTelemetry;
  cache: RegistryCache;
  unregister: Array<() => void>;
}): Pick<IngestHandle, 'stop' | 'abort'> {
  const { client, pool, cache, unregister } = d;
  let stopped: Promise<void> | null = null;
  return {
    stop: (options: { drainMs?: number } = {}) =>
      (stopped ??= (async () => {
        // Keep taking what is already on its way (in the socket, in the broker's in-flight
        // window) until the stream goes quiet, then stop reading: whatever arrives later
        // stays unacknowledged at the broker for the next session.
        const deadline = Date.now() + (options.drainMs ?? 2000);
        let lastCount = -1;
        while (Date.now() < deadline && d.stats.received !== lastCount) {
          lastCount = d.stats.received;
          await new Promise((r) => setTimeout(r, 100));
        }
        await pool.close();
        d.throttle.releaseAll();
        if (d.throttle.hasDue(Date.now())) await d.write([]);
        await client.endAsync().catch(() => {});
        await d.live.stop();
        await cache.stop();
        for (const u of unregister) u();
      })()),
    abort: () =>
      (stopped ??= (async () => {
        pool.shutDown();
        pool.forget();
        d.acks.connectionLost();
        pool.releaseReaders();
        client.stream?.destroy();
        await client.endAsync(true).catch(() => {});
        await cache.stop();
        for (const u of unregister) u();
      })()),
  };
}

/**
 * Ends a persistent ingest session for good (a replica removed from the cluster, or a
 * test cleaning up): connects with its client id and a clean session, then leaves. Until
 * this runs, the broker keeps queueing that replica's share of the messages.
 */
export async function forgetIngestSession(
  url: string,
  instance: string,
  credentials?: { username: string; password: string },
): Promise<void> {
  const client = mqtt.connect(url, {
    clientId: `fleetbook-ingest-${instance}`,
    clean: true,
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: 5000,
    ...credentials,
  });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  await client.endAsync();
}
