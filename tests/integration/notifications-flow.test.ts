import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
import { backendName, bearer, connectDevice, publish, startTestIngest, tag, topic } from './ingest-fixtures.ts';

// Issue 14 "Evaluation" and "Routing, grouping, inhibition, silences, escalation": a reading
// crosses a threshold rule as the ingest stores it → one alert → its group → the escalation's
// steps → the outbox → a webhook receiver that checks Alertmanager's body, the signature and
// the idempotency key. Acknowledging stops the escalation; the value falling below `clear`
// resolves it and the resolved message goes where the firing one went.
describe(`notifications: rule → alert → escalation → webhook (${backendName()})`, () => {
  const id = tag();
  let t: TestApp;
  let engine: NotificationEngine;
  let ingest: Awaited<ReturnType<typeof startTestIngest>>;
  let device: MqttClient;
  let chat: WebhookStandIn;
  let mail: WebhookStandIn;
  let pumps: SeededDevice[];
  let probes: SeededDevice[];
  let seq = 0;

  beforeAll(async () => {
    t = await createTestApp();
    chat = await startWebhookStandIn({ secret: 'test-hook-secret' });
    mail = await startWebhookStandIn({ secret: 'test-hook-secret' });
    pumps = await seedDevices(t.ctx.db, {
      tag: id,
      site: `site_${id}-pumps`,
      product: 'pump-ctl',
      role: 'controller',
      count: 3,
      prefix: 'pump',
    });
    probes = await seedDevices(t.ctx.db, {
      tag: id,
      site: `site_${id}-field`,
      product: 'soil-probe',
      role: 'sensor',
      count: 5,
      prefix: 'probe',
      version: '1.4.2',
    });
    const config = await notificationConfig({
      rules: `
rules:
  - id: pump_motor_overheat
    kind: threshold
    metric: motor_temp_c
    op: '>'
    value: 95
    clear: 85
    severity: critical
    when: { '==': [{ var: status }, running] }
    summary: 'Motor of {{device.name}} at {{site.name}} is at {{value}} °C'
    runbook: rb-pump-ctl-bring-up
  - id: probe_battery_low
    kind: threshold
    metric: battery_v
    op: '<'
    value: 3.3
    for: 1s
    severity: warning
    summary: 'Battery of {{device.name}} is {{value}} V'
`,
      policies: `
route:
  receiver: chat
  group_by: [alertname, site]
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 1h
  routes:
    - matchers: ['severity="critical"']
      escalation: pages
escalations:
  - id: pages
    steps:
      - { after: 0s, contact_points: [chat] }
      - { after: 3s, contact_points: [mail] }
delivery:
  backoff_initial: 200ms
`,
      contactPoints: webhookPoints({ chat: `${chat.url}/hook`, mail: `${mail.url}/hook` }),
    });
    engine = await startTestEngine(t.ctx, config);
    ingest = await startTestIngest(t, { sites: [pumps[0]!.site, probes[0]!.site], onReadings: engine.onReadings });
    device = await connectDevice(t.testBroker.url);
  });
  afterAll(async () => {
    await device?.endAsync();
    await ingest?.forget();
    await engine?.stop();
    await chat?.close();
    await mail?.close();
    await t?.close();
  });

  const reading = (d: SeededDevice, metrics: Record<string, number>, status = 'running', ts = Date.now() / 1000) =>
    publish(device, topic(d.site, d.id, 'telemetry'), {
      schema_version: 1,
      msg_id: `m${++seq}`,
      ts,
      status,
      metrics,
    });
  const alertsOf = (deviceId: string) =>
    t.ctx.db.selectFrom('alerts').selectAll().where('subject_id', '=', deviceId).orderBy('id').execute();
  const stored = async (ds: SeededDevice[]) =>
    Number(
      (
        await t.ctx.db
          .selectFrom('telemetry')
          .select((eb) => eb.fn.countAll().as('n'))
          .where(
            'device_id',
            'in',
            ds.map((d) => d.id),
          )
          .executeTakeFirstOrThrow()
      ).n,
    );
  const firingTo = (s: WebhookStandIn) => s.delivered().filter((r) => r.json.status === 'firing');

  it('fires at once, pages chat, then mail after 3 s unacknowledged; resolves below clear to both', async () => {
    const pump = pumps[0]!;
    await reading(pump, { motor_temp_c: 97.5, flow_lpm: 120 });
    await expect.poll(() => firingTo(chat).length, { timeout: 10_000 }).toBe(1);
    const [alert, ...more] = await alertsOf(pump.id);
    expect(more).toEqual([]);
    expect(alert).toMatchObject({
      rule_id: 'pump_motor_overheat',
      state: 'open',
      severity: 'critical',
      title: `Motor of pump 1 at Site ${id} is at 97.5 °C`,
    });
    expect(alert!.labels).toMatchObject({
      alertname: 'pump_motor_overheat',
      severity: 'critical',
      device: pump.id,
      site: pump.site,
      product: 'pump-ctl',
      role: 'controller',
    });

    const first = firingTo(chat)[0]!;
    expect(first.problems).toEqual([]);
    expect(first.json).toMatchObject({
      version: '4',
      status: 'firing',
      receiver: 'chat',
      groupLabels: { alertname: 'pump_motor_overheat', site: pump.site },
      truncatedAlerts: 0,
      fleetbook: { escalationStep: 0, runbookUrl: 'http://fleetbook.test/runbooks/rb-pump-ctl-bring-up' },
    });
    expect(first.json.alerts).toHaveLength(1);
    expect(first.json.alerts[0]).toMatchObject({
      status: 'firing',
      labels: { device: pump.id },
      annotations: { summary: alert!.title, value: '97.5' },
    });
    expect(first.json.fleetbook.ackUrl).toMatch(
      /^http:\/\/fleetbook\.test\/api\/v1\/notifications\/ntf_\w+\/ack\?exp=\d+&sig=[0-9a-f]{64}$/,
    );
    expect(first.headers['idempotency-key']).toBe(first.json.fleetbook.notificationId);

    // Still hot, nobody acknowledges: the second step after 3 s, to mail; chat is not told twice.
    await reading(pump, { motor_temp_c: 99 });
    await expect.poll(() => firingTo(mail).length, { timeout: 10_000 }).toBe(1);
    expect(firingTo(mail)[0]!.json.fleetbook.escalationStep).toBe(1);
    expect(firingTo(chat)).toHaveLength(1);
    expect((await alertsOf(pump.id))[0]!.escalation_level).toBe(1);

    // Hysteresis: 90 is below the threshold but above clear: still firing.
    await reading(pump, { motor_temp_c: 90 });
    await expect.poll(() => stored([pump]), { timeout: 10_000 }).toBe(3);
    expect((await alertsOf(pump.id))[0]!.state).toBe('open');
    await reading(pump, { motor_temp_c: 84 });
    await expect.poll(async () => (await alertsOf(pump.id))[0]!.state, { timeout: 10_000 }).toBe('resolved');
    await expect
      .poll(() => [chat, mail].map((s) => s.delivered().filter((r) => r.json.status === 'resolved').length), {
        timeout: 10_000,
      })
      .toEqual([1, 1]);
    const resolved = chat.delivered().find((r) => r.json.status === 'resolved')!;
    expect(resolved.problems).toEqual([]);
    expect(resolved.json.alerts[0]).toMatchObject({ status: 'resolved', labels: { device: pump.id } });
    expect(resolved.json.alerts[0].endsAt).not.toBe('0001-01-01T00:00:00Z');
    expect(resolved.json.fleetbook.ackUrl).toBeUndefined();
  });

  it('does not fire while `when` is false, and acknowledging stops the escalation', async () => {
    const pump = pumps[1]!;
    await reading(pump, { motor_temp_c: 120 }, 'stopped');
    await expect.poll(() => stored([pump]), { timeout: 10_000 }).toBe(1);
    expect(await alertsOf(pump.id)).toEqual([]);
    const chatBefore = firingTo(chat).length;
    const mailBefore = firingTo(mail).length;
    await reading(pump, { motor_temp_c: 120 });
    await expect.poll(() => firingTo(chat).length, { timeout: 10_000 }).toBe(chatBefore + 1);
    const [alert] = await alertsOf(pump.id);
    const ack = await t.app.inject({
      method: 'POST',
      url: `/api/v1/alerts/${alert!.id}/acknowledge`,
      headers: await bearer(t.ctx.db, 'operator'),
      payload: {},
    });
    expect(ack.statusCode).toBe(200);
    // Past the 3 s of the mail step: nothing more for this alert.
    await new Promise((r) => setTimeout(r, 4000));
    await engine.tick();
    expect(firingTo(mail).length).toBe(mailBefore);
    expect(firingTo(chat).length).toBe(chatBefore + 1);
    expect((await alertsOf(pump.id))[0]!.escalation_level).toBe(0);
  });

  it('holds a `for` as pending (persisted), then groups the probes of one site into one message', async () => {
    const before = chat.delivered().length;
    // One measurement time for the five: their `for` runs out together, so one sweep fires them all.
    // (Read at different times, with group_wait 0s, each may fire into a message of its own, as in
    // Alertmanager: on a loaded machine the background sweep caught some before the rest.)
    const ts = Date.now() / 1000;
    for (const p of probes) await reading(p, { battery_v: 3.1, soil_moisture_pct: 30 }, 'running', ts);
    await expect.poll(() => stored(probes), { timeout: 10_000 }).toBe(probes.length);
    const states = await t.ctx.db
      .selectFrom('alert_rule_states')
      .selectAll()
      .where('rule_id', '=', 'probe_battery_low')
      .execute();
    expect(states.map((s) => s.state)).toEqual(probes.map(() => 'pending'));
    expect(
      await t.ctx.db.selectFrom('alerts').select('id').where('rule_id', '=', 'probe_battery_low').execute(),
    ).toEqual([]);
    // The leader's sweep fires them once `for` has run out without a reading breaking it.
    await new Promise((r) => setTimeout(r, 1200));
    await engine.tick({ sweep: true });
    await expect.poll(() => chat.delivered().length - before, { timeout: 10_000 }).toBeGreaterThanOrEqual(1);
    await engine.settle();
    const news = chat
      .delivered()
      .slice(before)
      .filter((r) => r.json.groupLabels.alertname === 'probe_battery_low');
    // One message for the site, listing the five probes (not five messages).
    expect(news).toHaveLength(1);
    expect(news[0]!.json.alerts.map((a: { labels: { device: string } }) => a.labels.device).sort()).toEqual(
      probes.map((p) => p.id),
    );
    expect(news[0]!.json.fleetbook.title).toBe(`[FIRING:5] probe_battery_low at ${probes[0]!.site}`);
  });
});
