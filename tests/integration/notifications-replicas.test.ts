import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppContext } from '../../data-api/src/app.ts';
import { openDatabase, type DatabaseHandle } from '../../data-api/src/kernel/db/index.ts';
import { forgetIngestSession, startIngest, type IngestHandle } from '../../data-api/src/telemetry/ingest/service.ts';
import type { NotificationEngine } from '../../data-api/src/notifications/engine.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import {
  notificationConfig,
  seedDevices,
  startTestEngine,
  webhookPoints,
  type SeededDevice,
} from '../helpers/notify-engine.ts';
import { startWebhookStandIn, type WebhookStandIn } from '../helpers/webhook-stand-in.ts';
import { backendName, connectDevice, onMosquitto, publish, tag, topic } from './ingest-fixtures.ts';

// Issue 14 "Evaluation": two replicas on one database and one broker, a threshold crossed by
// 200 devices at once → 200 alerts (the unique key of rule and subject), each notified exactly
// once per escalation step (groups and the outbox taken with SKIP LOCKED). On Mosquitto the two
// ingests share the readings ($share); on aedes both get every reading, which is harder still.
describe(`notifications with two replicas (${backendName()})`, () => {
  const id = tag();
  let t: TestApp;
  const engines: NotificationEngine[] = [];
  const ingests: Array<IngestHandle & { instance: string }> = [];
  let chat: WebhookStandIn;
  let mail: WebhookStandIn;
  let pumps: SeededDevice[];
  let device: MqttClient;
  const handles: DatabaseHandle[] = [];

  beforeAll(async () => {
    t = await createTestApp();
    chat = await startWebhookStandIn({ secret: 'test-hook-secret' });
    mail = await startWebhookStandIn({ secret: 'test-hook-secret' });
    pumps = await seedDevices(t.ctx.db, {
      tag: id,
      product: 'pump-ctl',
      role: 'controller',
      count: 200,
      prefix: 'pump',
    });
    const config = await notificationConfig({
      rules: `
rules:
  - id: pump_motor_overheat
    kind: threshold
    metric: motor_temp_c
    op: '>'
    value: 95
    severity: critical
    summary: 'Motor of {{device.name}} at {{value}} °C'
`,
      policies: `
route:
  escalation: pages
  group_by: [device]
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 1h
escalations:
  - id: pages
    steps:
      - { after: 0s, contact_points: [chat] }
      - { after: 3s, contact_points: [mail] }
    repeat: false
delivery:
  rate_limit: 10000/1m
`,
      // A generous timeout: embedded PGlite runs in this process and can hold the event loop (and so
      // the stand-in's answers) for longer than a real receiver's deadline.
      contactPoints: webhookPoints({ chat: `${chat.url}/hook`, mail: `${mail.url}/hook` }, 20_000),
    });
    const group = onMosquitto() ? `g${tag()}` : null;
    for (const name of ['a', 'b']) {
      // Each replica has its own context and connection pool (on PostgreSQL), sharing the database and broker.
      const database =
        name === 'b' && t.database.url
          ? await openDatabase({ kind: 'pg', url: t.database.url, max: 5 })
          : t.ctx.database;
      if (database !== t.ctx.database) handles.push(database);
      const ctx = createAppContext({ ...t.ctx, database, db: database.db });
      const engine = await startTestEngine(ctx, config, { instance: `replica-${name}-${id}`, concurrency: 8 });
      engines.push(engine);
      const ingest = await startIngest(ctx, {
        instance: `replica-${name}-${id}`,
        sharedGroup: group,
        sites: [pumps[0]!.site],
        onReadings: engine.onReadings,
      });
      ingests.push({ ...ingest, instance: `replica-${name}-${id}` });
    }
    device = await connectDevice(t.testBroker.url);
  });
  afterAll(async () => {
    await device?.endAsync();
    for (const i of ingests) {
      await i.stop();
      await forgetIngestSession(t.testBroker.url, i.instance).catch(() => {});
    }
    for (const e of engines) await e.stop();
    for (const h of handles) await h.close();
    await chat?.close();
    await mail?.close();
    await t?.close();
  });

  it('makes 200 alerts from 200 devices crossing at once, each told once per step', async () => {
    const ts = Date.now() / 1000;
    await Promise.all(
      pumps.map((p, i) =>
        publish(device, topic(p.site, p.id, 'telemetry'), {
          schema_version: 1,
          msg_id: `hot-${i}`,
          ts,
          status: 'running',
          metrics: { motor_temp_c: 97 },
        }),
      ),
    );
    await expect.poll(() => chat.delivered().length, { timeout: 30_000 }).toBe(200);
    await expect.poll(() => mail.delivered().length, { timeout: 30_000 }).toBe(200);
    // Settle both replicas, then look again: nothing more arrives.
    await Promise.all(engines.map((e) => e.settle()));
    await new Promise((r) => setTimeout(r, 1500));
    await Promise.all(engines.map((e) => e.settle()));

    const alerts = await t.ctx.db
      .selectFrom('alerts')
      .select(['subject_id', 'escalation_level'])
      .where('rule_id', '=', 'pump_motor_overheat')
      .execute();
    expect(alerts).toHaveLength(200);
    expect(new Set(alerts.map((a) => a.subject_id)).size).toBe(200);
    expect(alerts.every((a) => a.escalation_level === 1)).toBe(true);
    for (const [stand, step] of [
      [chat, 0],
      [mail, 1],
    ] as const) {
      expect(stand.requests.length).toBe(200); // not even a duplicate the receiver would have absorbed
      expect(stand.requests.every((r) => r.problems.length === 0)).toBe(true);
      const devices = stand.delivered().map((r) => r.json.alerts[0].labels.device as string);
      expect(new Set(devices).size).toBe(200);
      expect(
        stand.delivered().every((r) => r.json.fleetbook.escalationStep === step && r.json.alerts.length === 1),
      ).toBe(true);
    }
    // Both replicas did part of the work (their attempts carry their names).
    const by = await t.ctx.db.selectFrom('notification_attempts').select('instance').distinct().execute();
    expect(by.map((r) => r.instance).sort()).toEqual([`replica-a-${id}`, `replica-b-${id}`]);
  });
});
