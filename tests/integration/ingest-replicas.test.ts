import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { createAppContext } from '../../data-api/src/app.ts';
import { forgetIngestSession, startIngest } from '../../data-api/src/telemetry/ingest/service.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import {
  backendName,
  connectDevice,
  count,
  nowS,
  onMosquitto,
  publish,
  seedFleet,
  startTestIngest,
  tag,
  topic,
  type Fleet,
} from './ingest-fixtures.ts';

// The ingest's persistent MQTT session (clean: false, a stable client id) and its
// PUBACK-after-commit make delivery at-least-once end to end; the unique key on
// (device_id, msg_id) makes storage exactly-once. Together: a restart, a crash or a
// second replica loses nothing and duplicates nothing. Each ingest here subscribes to this
// file's own site only, so its counts are not disturbed by other files on a shared broker.
describe(`ingest restarts and replicas (${backendName()})`, () => {
  let t: TestApp;
  let fleet: Fleet;
  let device: MqttClient;
  const id = tag();
  const sessions: string[] = [];

  beforeAll(async () => {
    t = await createTestApp();
    fleet = await seedFleet(t.ctx.db, id, {
      sites: 1,
      devices: [{ name: 'restart' }, { name: 'crash' }, { name: 'replicas' }],
    });
    device = await connectDevice(t.testBroker.url);
  });
  afterAll(async () => {
    await device?.endAsync();
    for (const instance of sessions) await forgetIngestSession(t.testBroker.url, instance).catch(() => {});
    await t?.close();
  });

  const rows = (deviceId: string) => count(t.ctx.db, 'telemetry', (q) => q.where('device_id', '=', deviceId));
  const reading = (i: number) => ({ schema_version: 1, msg_id: `r-${i}`, ts: nowS(), status: 'ok', metrics: { n: i } });

  it('loses nothing when the ingest restarts mid-stream (the broker keeps the session)', async () => {
    const d = fleet.devices.restart!;
    const instance = `restart-${id}`;
    sessions.push(instance);
    const group = onMosquitto() ? `g${tag()}` : null;
    const sites = fleet.sites;
    let ingest = await startIngest(t.ctx, { instance, sharedGroup: group, sites });
    const total = 400;
    let restarted = false;
    for (let i = 0; i < total; i++) {
      await publish(device, topic(d.site, d.id, 'telemetry'), reading(i));
      if (i === 150) {
        await ingest.stop(); // writes and acknowledges what it holds, then disconnects
        restarted = true;
      }
      if (i === 300) ingest = await startIngest(t.ctx, { instance, sharedGroup: group, sites });
    }
    expect(restarted).toBe(true);
    await expect.poll(() => rows(d.id), { timeout: 20_000 }).toBe(total);
    await ingest.drain();
    // What was published while it was down came through the persistent session.
    expect(ingest.stats().received).toBeGreaterThanOrEqual(total - 301);
    const ids = await t.ctx.db.selectFrom('telemetry').select('msg_id').where('device_id', '=', d.id).execute();
    expect(new Set(ids.map((r) => r.msg_id)).size).toBe(total);
    await ingest.stop();
  });

  it('loses nothing when the ingest crashes with messages received but not written', async () => {
    const d = fleet.devices.crash!;
    const instance = `crash-${id}`;
    sessions.push(instance);
    const group = onMosquitto() ? `g${tag()}` : null;
    const sites = fleet.sites;
    const first = await startIngest(t.ctx, { instance, sharedGroup: group, sites });
    // Hold the telemetry table: the ingest receives but cannot commit (nor acknowledge).
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let locked!: () => void;
    const isLocked = new Promise<void>((r) => (locked = r));
    const held = t.ctx.db.transaction().execute(async (trx) => {
      await sql`lock table telemetry in exclusive mode`.execute(trx);
      locked();
      await gate;
    });
    const total = 15; // below Mosquitto's default in-flight window of 20
    try {
      await isLocked;
      for (let i = 0; i < total; i++) await publish(device, topic(d.site, d.id, 'telemetry'), reading(i));
      await expect.poll(() => first.stats().received, { timeout: 10_000 }).toBe(total);
      await first.abort(); // no DISCONNECT, nothing flushed: a crash
    } finally {
      release();
      await held;
    }
    const second = await startIngest(t.ctx, { instance, sharedGroup: group, sites });
    await expect.poll(() => rows(d.id), { timeout: 20_000 }).toBe(total);
    await second.drain();
    // The broker redelivered what had never been acknowledged.
    expect(second.stats().received).toBeGreaterThanOrEqual(1);
    expect(await rows(d.id)).toBe(total);
    await second.stop();
  });

  it('two replicas on one database and broker store every reading exactly once', async () => {
    const d = fleet.devices.replicas!;
    // Two API processes: two contexts over the same database and broker.
    const ctxB = createAppContext({ ...t.ctx });
    const group = onMosquitto() ? `g${tag()}` : null;
    const a = await startTestIngest(t, { instance: `replica-a-${id}`, sharedGroup: group, sites: fleet.sites });
    const b = await startIngest(ctxB, { instance: `replica-b-${id}`, sharedGroup: group, sites: fleet.sites });
    sessions.push(a.instance, `replica-b-${id}`);
    const total = 300;
    await Promise.all(
      Array.from({ length: total }, (_, i) => publish(device, topic(d.site, d.id, 'telemetry'), reading(i))),
    );
    await expect.poll(() => rows(d.id), { timeout: 20_000 }).toBe(total);
    await Promise.all([a.drain(), b.drain()]);
    const [sa, sb] = [a.stats(), b.stats()];
    expect(await rows(d.id)).toBe(total);
    expect(sa.rowsInserted + sb.rowsInserted).toBe(total);
    if (onMosquitto()) {
      // A shared subscription splits the stream between the replicas.
      expect(sa.received).toBeGreaterThan(0);
      expect(sb.received).toBeGreaterThan(0);
    } else {
      // aedes has no shared subscriptions: both get everything; the key absorbs the copies.
      expect(sa.duplicates + sb.duplicates).toBeGreaterThanOrEqual(total);
    }
    await Promise.all([a.stop(), b.stop()]);
  });
});
