import { startEmbeddedBroker, type EmbeddedBroker } from '../../data-api/src/telemetry/broker/embedded.ts';

export interface TestBroker {
  url: string;
  backend: 'mosquitto' | 'aedes';
  embedded?: EmbeddedBroker;
  close(): Promise<void>;
}

/** TEST_MQTT_URL's broker when set (CI: the machine's Mosquitto), else aedes on a free port. */
export async function createTestBroker(): Promise<TestBroker> {
  const url = process.env.TEST_MQTT_URL;
  if (url) return { url, backend: 'mosquitto', close: async () => {} };
  const embedded = await startEmbeddedBroker({ host: '127.0.0.1', port: 0 });
  return { url: `mqtt://127.0.0.1:${embedded.port}`, backend: 'aedes', embedded, close: () => embedded.close() };
}
