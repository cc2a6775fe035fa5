import { randomBytes } from 'node:crypto';
import mqtt, { type IPublishPacket, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AckTracker, type Ackable } from '../../data-api/src/telemetry/ingest/ack-tracker.ts';
import { createTestBroker, type TestBroker } from '../helpers/broker.ts';

// The ingest writes its PUBACKs itself, after each commit (ack-tracker.ts). Those are keepalive
// traffic: a client that pings the broker while it acknowledges a steady flow waits for a
// PINGRESP queued behind its backlog, and under load mqtt.js gave up on a live broker
// ("Keepalive timeout"). Keepalive 1 s here, so the test sees what 30 s does in production.
let broker: TestBroker;
beforeAll(async () => {
  broker = await createTestBroker();
});
afterAll(() => broker.close());

const connect = async (options: mqtt.IClientOptions): Promise<MqttClient> => {
  const client = mqtt.connect(broker.url, { protocolVersion: 4, reconnectPeriod: 0, ...options });
  await new Promise<void>((resolve, reject) => client.once('connect', () => resolve()).once('error', reject));
  return client;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('ingest keepalive', () => {
  it(
    'sends no PINGREQ while it acknowledges messages, and pings once the flow stops',
    { timeout: 20_000 },
    async () => {
      const topic = `fleetbook-test/keepalive/${randomBytes(4).toString('hex')}`;
      const subscriber = await connect({ clientId: `ka-sub-${randomBytes(4).toString('hex')}`, keepalive: 1 });
      const publisher = await connect({ clientId: `ka-pub-${randomBytes(4).toString('hex')}` });
      try {
        const acks = new AckTracker(subscriber);
        const pings: number[] = [];
        let closed = false;
        subscriber.on('packetsend', (p) => p.cmd === 'pingreq' && pings.push(Date.now()));
        subscriber.on('close', () => (closed = true));
        // As the ingest does: hold the PUBACK, "commit" a moment later, then acknowledge.
        subscriber.handleMessage = (packet, done) => {
          const entry: Ackable = {
            messageId: (packet as IPublishPacket).messageId,
            generation: acks.generation,
            written: false,
          };
          acks.track(entry);
          setTimeout(() => acks.written([entry]), 50);
          done(new Error('puback deferred'));
        };
        await subscriber.subscribeAsync(topic, { qos: 1 });

        // 3.5 keepalive periods of steady traffic, every message acknowledged by the broker.
        const start = Date.now();
        let acknowledged = 0;
        while (Date.now() - start < 3500) {
          await publisher.publishAsync(topic, 'x', { qos: 1 });
          acknowledged++;
          await sleep(200);
        }
        const flowEnded = Date.now();
        expect(acknowledged).toBeGreaterThanOrEqual(15);
        expect(pings.filter((t) => t < flowEnded)).toEqual([]);
        expect(closed).toBe(false);

        // Idle: the keepalive still pings (the check above would have seen a ping).
        await sleep(2500);
        expect(pings.length).toBeGreaterThanOrEqual(1);
        expect(closed).toBe(false);
      } finally {
        await Promise.all([subscriber.endAsync(true), publisher.endAsync()]);
      }
    },
  );
});
