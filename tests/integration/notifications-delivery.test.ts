import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json } from '../../data-api/src/kernel/db/index.ts';
import { sweepDown } from '../../data-api/src/health/monitor/service.ts';
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
import { backendName, bearer, tag } from './ingest-fixtures.ts';

// Issue 14: inhibition (a gateway down pages once, not 51 times), silences through the API,
// the outbox against receivers that fail (500, no answer, 10 MB) — retried with backoff, then
// `failed`, the API healthy, nothing lost — the rate limit per contact point, the delivery
// log of an alert and the signed acknowledge link.
describe(`notifications: delivery, inhibition, silences (${backendName()})`, () => {
  const id = tag();
  let t: TestApp;
  let engine: NotificationEngine;
  let hook: WebhookStandIn;
  let flaky: WebhookStandIn;
  let limited: WebhookStandIn;
  let operator: Record<string, string>;
  const site = (name: string) => `site_${id}-${name}`;

  beforeAll(async () => {
    t = await createTestApp();
    [hook, flaky, limited] = await Promise.all([
      startWebhookStandIn({ secret: 'test-hook-secret' }),
      startWebhookStandIn({ secret: 'test-hook-secret' }),
      startWebhookStandIn({ secret: 'test-hook-secret' }),
    ]);
    operator = await bearer(t.ctx.db, 'operator');
    const config = await notificationConfig({
      rules: `
rules:
  - id: gateway_down
    kind: state
    event: device_down
    select: { roles: [gateway] }
    severity: critical
    summary: 'Gateway {{device.name}} at {{site.name}} is down'
    runbook: rb-lorawan-gateway-install
`,
      policies: `
route:
  receiver: hook
  group_by: [alertname, site]
  group_wait: 0s
  group_interval: 500ms
  repeat_interval: 1h
  routes:
    - matchers: ['site="${site('flaky')}"']
      receiver: flaky
    - matchers: ['site=~"${site('limited')}.*"']
      receiver: limited
      group_by: [device]
inhibit_rules:
  - source_matchers: ['alertname="device_down"', 'role="gateway"']
    target_matchers: ['alertname="device_down"', 'role!="gateway"']
    equal: [site]
delivery:
  max_attempts: 3
  backoff_initial: 100ms
  backoff_max: 200ms
  rate_limits: { limited: 2/1m }
`,
      contactPoints: webhookPoints({
        hook: `${hook.url}/hook`,
        flaky: `${flaky.url}/hook`,
        limited: `${limited.url}/hook`,
      }),
    });
    engine = await startTestEngine(t.ctx, config);
  });
  afterAll(async () => {
    await engine?.stop();
    for (const s of [hook, flaky, limited]) await s?.close();
    await t?.close();
  });

  /** Devices last heard an hour ago: the health monitor's next sweep marks them down. */
  const goSilent = (devices: SeededDevice[]) =>
    t.ctx.db
      .updateTable('devices')
      .set({ status: 'up', last_seen: new Date(Date.now() - 3600_000), observed_state: json({ status: 'up' }) })
      .where(
        'id',
        'in',
        devices.map((d) => d.id),
      )
      .execute();
  const deliveries = async (alertId: string) =>
    (await t.app.inject({ method: 'GET', url: `/api/v1/alerts/${alertId}/notifications`, headers: operator })).json()
      .items;
  const alertOf = (deviceId: string) =>
    t.ctx.db.selectFrom('alerts').selectAll().where('subject_id', '=', deviceId).executeTakeFirstOrThrow();

  it('pages once for a gateway down with 50 sensors behind it (inhibition)', async () => {
    const gw = await seedDevices(t.ctx.db, {
      tag: id,
      site: site('farm'),
      product: 'lorawan-gw',
      role: 'gateway',
      count: 1,
      prefix: 'gw',
      version: '2.1.0',
    });
    const sensors = await seedDevices(t.ctx.db, {
      tag: id,
      site: site('farm'),
      product: 'soil-probe',
      role: 'sensor',
      count: 50,
      prefix: 'probe',
      version: '1.4.2',
    });
    await goSilent([...gw, ...sensors]);
    const down = await sweepDown(t.ctx.db);
    expect(down.filter((d) => d.site_id === site('farm'))).toHaveLength(51);
    await engine.settle();
    await expect.poll(() => hook.delivered().length, { timeout: 10_000 }).toBe(1);
    await engine.settle();
    const [page] = hook.delivered();
    expect(page!.problems).toEqual([]);
    expect(page!.json.alerts).toHaveLength(1);
    expect(page!.json.alerts[0].labels).toMatchObject({
      alertname: 'device_down',
      rule: 'gateway_down',
      role: 'gateway',
      severity: 'critical',
      device: gw[0]!.id,
    });
    expect(page!.json.alerts[0].annotations.summary).toBe(`Gateway gw 1 at Site ${id} is down`);
    expect(page!.json.fleetbook.runbookUrl).toBe('http://fleetbook.test/runbooks/rb-lorawan-gateway-install');
    // The 50 sensor alerts exist (on the dashboard) and were told to nobody.
    const sensorAlert = await alertOf(sensors[0]!.id);
    expect(sensorAlert.state).toBe('open');
    expect(await deliveries(sensorAlert.id)).toEqual([]);
    const log = await deliveries((await alertOf(gw[0]!.id)).id);
    expect(log).toMatchObject([
      { contact_point: 'hook', state: 'sent', attempts: 1, status: 'firing', step: 0, last_status: 200 },
    ]);
    const listed = (
      await t.app.inject({ method: 'GET', url: `/api/v1/alerts?subject_id=${gw[0]!.id}`, headers: operator })
    ).json();
    expect(listed.items[0].deliveries).toMatchObject([{ contact_point: 'hook', state: 'sent', status: 'firing' }]);
  });

  it('keeps a silenced alert quiet until the silence is expired', async () => {
    const [dev] = await seedDevices(t.ctx.db, {
      tag: id,
      site: site('quiet'),
      product: 'soil-probe',
      role: 'sensor',
      count: 1,
      prefix: 'quiet',
      version: '1.4.2',
    });
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/silences',
      headers: operator,
      payload: { matchers: [`device="${dev!.id}"`], duration: '1h', comment: 'replacing the probe' },
    });
    expect(created.statusCode).toBe(201);
    const silence = created.json();
    expect(silence).toMatchObject({
      state: 'active',
      matchers: [`device="${dev!.id}"`],
      comment: 'replacing the probe',
    });
    const bad = await t.app.inject({
      method: 'POST',
      url: '/api/v1/silences',
      headers: operator,
      payload: { matchers: ['site=~"(broken"'], duration: '1h', comment: 'x' },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().issues[0]).toMatchObject({
      path: 'body.matchers[0]',
      message: expect.stringMatching(/^Unexpected regex in matcher/),
    });
    const before = hook.delivered().length;
    await goSilent([dev!]);
    await sweepDown(t.ctx.db);
    await engine.settle();
    await new Promise((r) => setTimeout(r, 700));
    await engine.settle();
    expect(hook.delivered().length).toBe(before);
    const expired = await t.app.inject({ method: 'DELETE', url: `/api/v1/silences/${silence.id}`, headers: operator });
    expect(expired.json().state).toBe('expired');
    await expect.poll(async () => (await engine.tick(), hook.delivered().length), { timeout: 10_000 }).toBe(before + 1);
    expect(hook.delivered()[before]!.json.alerts[0].labels.device).toBe(dev!.id);
  });

  it('retries a failing receiver with backoff, then marks it failed; nothing is lost and the API stays healthy', async () => {
    const devices = await seedDevices(t.ctx.db, {
      tag: id,
      site: site('flaky'),
      product: 'soil-probe',
      role: 'sensor',
      count: 1,
      prefix: 'flaky',
      version: '1.4.2',
    });
    // 500, then no answer (the 1.5 s timeout), then a 10 MB 500: three attempts, the most allowed.
    flaky.failNext({ kind: 'status', status: 500, body: 'boom' }, { kind: 'hang' }, { kind: 'huge', status: 500 });
    await goSilent(devices);
    await sweepDown(t.ctx.db);
    const alert = await alertOf(devices[0]!.id);
    await expect
      .poll(async () => (await engine.tick(), (await deliveries(alert.id))[0]?.state), {
        timeout: 20_000,
        interval: 300,
      })
      .toBe('failed');
    const [entry] = await deliveries(alert.id);
    expect(entry.attempts).toBe(3);
    expect(entry.log.map((a: { ok: boolean }) => a.ok)).toEqual([false, false, false]);
    expect(entry.log[0]).toMatchObject({ status: 500 });
    expect(entry.log[2]).toMatchObject({ status: 500 });
    expect(entry.log[2].detail.length).toBeLessThanOrEqual(2000);
    expect(entry.log[1].detail).toMatch(/1500 ms|timed? ?out/i);
    // Each retry waited its backoff (100–200 ms with jitter), after the attempt before it ended.
    const at = entry.log.map((a: { at: string }) => Date.parse(a.at));
    expect(at[1] - at[0]).toBeGreaterThanOrEqual(50);
    expect(flaky.requests.length).toBe(3);
    // The alert is untouched by its failed message, and the API answers.
    expect((await alertOf(devices[0]!.id)).state).toBe('open');
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/health' })).statusCode).toBe(200);
  });

  it("holds messages over a contact point's rate limit for its next window", async () => {
    const devices = await seedDevices(t.ctx.db, {
      tag: id,
      site: site('limited'),
      product: 'soil-probe',
      role: 'sensor',
      count: 4,
      prefix: 'lim',
      version: '1.4.2',
    });
    await goSilent(devices);
    await sweepDown(t.ctx.db);
    await engine.settle();
    await expect.poll(() => limited.delivered().length, { timeout: 10_000 }).toBe(2);
    await engine.settle();
    const held = await t.ctx.db
      .selectFrom('notifications')
      .selectAll()
      .where('contact_point', '=', 'limited')
      .where('state', '=', 'pending')
      .execute();
    expect(held).toHaveLength(2);
    for (const n of held) {
      expect(new Date(n.next_attempt_at).getTime()).toBeGreaterThan(Date.now() + 30_000);
      expect(n.last_detail).toMatch(/^rate limited/);
      expect(n.attempts).toBe(0);
    }
    expect(limited.delivered()).toHaveLength(2);
  });

  it('acknowledges from the signed link in a message; a tampered or expired link does nothing', async () => {
    const [page] = hook.delivered();
    const ackUrl = new URL(page!.json.fleetbook.ackUrl);
    const path = `${ackUrl.pathname}${ackUrl.search}`;
    const shown = await t.app.inject({ method: 'GET', url: path });
    expect(shown.statusCode).toBe(200);
    expect(shown.headers['content-type']).toMatch(/^text\/html/);
    expect(shown.body).toContain('<form method="post">');
    const alertId = page!.json.alerts[0].generatorURL.split('alert=')[1];
    expect(
      (await t.ctx.db.selectFrom('alerts').select('state').where('id', '=', alertId).executeTakeFirstOrThrow()).state,
    ).toBe('open');
    const tampered = path.replace(/sig=([0-9a-f])/, (_m, c: string) => `sig=${c === '0' ? '1' : '0'}`);
    expect((await t.app.inject({ method: 'POST', url: tampered })).statusCode).toBe(403);
    const expired = path.replace(/exp=\d+/, 'exp=1000');
    expect((await t.app.inject({ method: 'POST', url: expired })).statusCode).toBe(403); // the signature covers exp
    const done = await t.app.inject({ method: 'POST', url: path });
    expect(done.statusCode).toBe(200);
    const alert = await t.ctx.db
      .selectFrom('alerts')
      .select(['state', 'acked_by'])
      .where('id', '=', alertId)
      .executeTakeFirstOrThrow();
    expect(alert).toEqual({ state: 'acknowledged', acked_by: 'ack-link:hook' });
  });

  it('lists the rules with their live counts', async () => {
    t.ctx.notifications = engine;
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/alert-rules', headers: operator });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      configured: true,
      items: [
        {
          id: 'gateway_down',
          kind: 'state',
          severity: 'critical',
          condition: 'device_down',
          firing: 1,
          pending: 0,
          runbook: 'rb-lorawan-gateway-install',
        },
      ],
    });
  });
});
