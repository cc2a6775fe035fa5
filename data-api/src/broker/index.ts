import mqtt, { type MqttClient } from 'mqtt';
import { redactUrl } from '../util/url.ts';
import { startEmbeddedBroker, type EmbeddedBroker } from './embedded.ts';

export type BrokerOptions =
  | { kind: 'aedes'; host: string; port: number }
  | { kind: 'external'; url: string };

export interface BrokerHandle {
  kind: BrokerOptions['kind'];
  /** Where devices connect (printed at start). */
  url: string;
  /** The API's own client: ingest subscribes and commands publish through it. */
  client: MqttClient;
  embedded?: EmbeddedBroker;
  connected(): boolean;
  close(): Promise<void>;
}

/** Starts the embedded broker (or not) and connects the API's client to the broker in use. */
export async function openBroker(options: BrokerOptions, clientId = `fleetbook-api-${process.pid}`): Promise<BrokerHandle> {
  let embedded: EmbeddedBroker | undefined;
  let url: string;
  if (options.kind === 'aedes') {
    embedded = await startEmbeddedBroker(options);
    const host = options.host === '0.0.0.0' || options.host === '::' ? '127.0.0.1' : options.host;
    url = `mqtt://${host}:${embedded.port}`;
  } else {
    url = options.url;
  }
  const client = await connectClient(url, clientId).catch(async (err: Error) => {
    await embedded?.close();
    throw err;
  });
  return {
    kind: options.kind,
    url,
    client,
    embedded,
    connected: () => client.connected,
    async close() {
      await client.endAsync().catch(() => {});
      await embedded?.close();
    },
  };
}

/** Connects or fails within `timeoutMs` with a message naming the broker. */
export function connectClient(url: string, clientId: string, timeoutMs = 5000): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(url, { clientId, reconnectPeriod: 1000, connectTimeout: timeoutMs });
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
