import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../data-api/src/app.ts';
import { openBroker, type BrokerHandle } from '../../data-api/src/telemetry/broker/index.ts';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../data-api/src/telemetry/broker/embedded.ts';
import { startIngest, type IngestHandle } from '../../data-api/src/telemetry/ingest/service.ts';
import { headlessContext } from '../helpers/app.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';

// Issue 11, defect 1 (health): "health turns 503 within 30 s when the ingest is connected but
// not subscribed". A broker that comes back without the ingest's session and refuses its
// subscription (an ACL changed meanwhile) leaves the ingest connected and deaf; /health must
// say so, and the ingest must keep asking until the broker grants it. The broker here is a
// real one (aedes on a fixed port, restarted), external to the API as Mosquitto would be.

let database: TestDatabase;
let api: BrokerHandle;
let app: App;
let ingest: IngestHandle;
let broker: EmbeddedBroker;
let refuse = false;
let port = 0;

const startBroker = () =>
  startEmbeddedBroker({
    host: '127.0.0.1',
    port,
    aedes: {
      authorizeSubscribe: (_client, sub, done) => done(null, refuse && sub.topic.startsWith('fleetbook/') ? null : sub),
    },
  });

beforeAll(async () => {
  database = await createTestDatabase();
  broker = await startBroker();
  port = broker.port;
  api = await openBroker(
    { kind: 'external', url: `mqtt://127.0.0.1:${port}` },
    `fb-test-${randomBytes(4).toString('hex')}`,
  );
  const ctx = headlessContext(database.handle, { broker: api });
  app = await buildApp(ctx);
  ingest = await startIngest(ctx, { instance: `health-${randomBytes(3).toString('hex')}`, sharedGroup: null });
});
afterAll(async () => {
  await ingest?.stop({ drainMs: 0 });
  await app?.close();
  await api?.close();
  await broker?.close();
  await database?.drop();
});

async function health() {
  const res = await app.inject({ method: 'GET', url: '/api/v1/health' });
  return {
    status: res.statusCode,
    ingest: res.json().ingest as { status: string; reason: string | null; connected: boolean; subscribed: boolean },
  };
}

describe('health: the ingest connected but not subscribed', () => {
  it(
    'is 503 while the broker is away, 503 within 30 s while it refuses the subscription, 200 once it grants it',
    { timeout: 90_000 },
    async () => {
      expect(await health()).toMatchObject({ status: 200, ingest: { status: 'ok' } });

      refuse = true;
      await broker.close();
      await expect.poll(health, { timeout: 10_000, interval: 100 }).toMatchObject({
        status: 503,
        ingest: { status: 'down', connected: false, reason: 'not connected to the MQTT broker' },
      });

      broker = await startBroker();
      const backAt = Date.now();
      await expect.poll(health, { timeout: 30_000, interval: 100 }).toMatchObject({
        status: 503,
        ingest: {
          status: 'down',
          connected: true,
          subscribed: false,
          reason: expect.stringMatching(/^the broker refused the subscription to fleetbook\/v1\/\+\/\+\/telemetry/),
        },
      });
      expect(Date.now() - backAt).toBeLessThan(30_000);

      // The ingest asks again every 10 s: once the broker grants it, health is back.
      refuse = false;
      await expect
        .poll(health, { timeout: 30_000, interval: 200 })
        .toMatchObject({ status: 200, ingest: { status: 'ok', connected: true, subscribed: true } });
    },
  );
});
