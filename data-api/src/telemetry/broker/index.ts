import mqtt, { type MqttClient } from 'mqtt';
import { redactUrl } from '../../kernel/util/url.ts';
import { startEmbeddedBroker, type EmbeddedBroker, type EmbeddedBrokerOptions } from './embedded.ts';

export type BrokerOptions =
  ({ kind: 'aedes'; credentials?: BrokerCredentials } & EmbeddedBrokerOptions) | { kind: 'external'; url: string };

/** How the API's own clients log in to the embedded broker when it enforces credentials. */
export interface BrokerCredentials {
  username: string;
  password: string;
}

export interface BrokerHandle {
  kind: BrokerOptions['kind'];
  /** Where devices connect (printed at start). */
  url: string;
  /** The API's own client: ingest subscribes and commands publish through it. */
  client: MqttClient;
  embedded?: EmbeddedBroker;
  /** Credentials for further internal clients (the ingest); external brokers take them from the URL. */
  credentials?: BrokerCredentials;
  connected(): boolean;
  close(): Promise<void>;
}

/** Starts the embedded broker (or not) and connects the API's client to the broker in use. */
export async function openBroker(
  options: BrokerOptions,
  clientId = `fleetbook-api-${process.pid}`,
): Promise<BrokerHandle> {
  let embedded: EmbeddedBroker | undefined;
  let url: string;
  if (options.kind === 'aedes') {
    embedded = await startEmbeddedBroker(options);
    const host = options.host === '0.0.0.0' || options.host === '::' ? '127.0.0.1' : options.host;
    url = `mqtt://${host}:${embedded.port}`;
  } else {
    url = options.url;
  }
  const credentials = options.kind === 'aedes' ? options.credentials : undefined;
  const timeoutMs = options.kind === 'aedes' ? EMBEDDED_CONNECT_MS : EXTERNAL_CONNECT_MS;
  const client = await connectClient(url, clientId, timeoutMs, credentials).catch(async (err: Error) => {
    await embedded?.close();
    throw err;
  });
  return {
    kind: options.kind,
    url,
    client,
    embedded,
    credentials,
    connected: () => client.connected,
    async close() {
      await client.endAsync().catch(() => {});
      await embedded?.close();
    },
  };
}

/**
 * How often fleetbook's MQTT clients try again while the broker is away: a restarted broker
 * is back within a second or two, and the sooner the ingest subscribes again, the less a
 * broker that lost its subscription drops meanwhile (docs/operating/broker-restarts.mdx).
 */
export const RECONNECT_MS = 250;

/** How long fleetbook's own clients wait for their first CONNACK from an external broker. */
export const EXTERNAL_CONNECT_MS = 5000;

/**
 * The same for the embedded broker. It runs in this process: an answer that is late means the
 * process is starved of CPU (a loaded machine), not a broker out of reach, so it is waited for far
 * longer. A restart of `fleetbook start` at load 16–20 on 2 cores once took 5.3 s and exited.
 */
export const EMBEDDED_CONNECT_MS = 60_000;

/** Connects or fails within `timeoutMs` with a message naming the broker. */
export function connectClient(
  url: string,
  clientId: string,
  timeoutMs = EXTERNAL_CONNECT_MS,
  credentials?: BrokerCredentials,
): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(url, {
      clientId,
      reconnectPeriod: RECONNECT_MS,
      connectTimeout: timeoutMs,
      ...credentials,
    });
    const timer = setTimeout(() => {
      client.end(true);
      reject(new Error(`cannot connect to the MQTT broker at ${redactUrl(url)} within ${timeoutMs} ms`));
    }, timeoutMs);
    client.once('connect', () => {
      clearTimeout(timer);
      resolve(client);
    });
  });
}
