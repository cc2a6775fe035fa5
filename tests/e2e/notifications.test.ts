import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { MqttClient } from 'mqtt';
import pino from 'pino';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken } from '../../data-api/src/kernel/auth/service.ts';
import { loadConfig } from '../../data-api/src/kernel/config/index.ts';
import { startFleetbook, type RunningFleetbook } from '../../data-api/src/server.ts';
import { forgetIngestSession } from '../../data-api/src/telemetry/ingest/service.ts';
import { openAlert } from '../../data-api/src/health/alerts/service.ts';
import { connectDevice, publish, topic } from '../integration/ingest-fixtures.ts';
import { createTestBroker, type TestBroker } from '../helpers/broker.ts';
import { launchChromium, screenshotPath } from '../helpers/browser.ts';
import { ROOT, waitForSite } from '../helpers/cli.ts';
import { createPgDatabase, dropPgDatabase } from '../helpers/database.ts';
import { requestJson } from '../helpers/http.ts';
import { seedDevices, type SeededDevice } from '../helpers/notify-engine.ts';
import { startSlackStandIn } from '../helpers/slack-stand-in.ts';
import { startSmtpStandIn, type SmtpStandIn } from '../helpers/smtp-stand-in.ts';

// Issue 14's end-to-end line, as an on-call operator meets it: fleetbook started with a test
// rules folder (tests/fixtures/notifications-e2e: the demo's rules, short delays), a Slack and an
// SMTP stand-in checking every request against the published formats. A pump controller's
// motor_temp_c published over MQTT crosses its rule → the alert shows, live, on the alerts
// dashboard in Chromium and Slack gets one message; the operator acknowledges on the page →
// the email step (20 s) never fires; the value falls below `clear` → a resolved message goes
// where the firing one went (Slack only). A gateway goes silent with 50 sensors behind it →
// one page. The silence form on the same page creates and expires a silence.
// The site is the repository's build/ (shared with the other e2e files: built once while the
// sources are unchanged, see SiteBuilder.isStale), not a build of its own.
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetbook-e2e-notify-'));
const SITE = 'site_e2e-notify-pumps';
const FIELD = 'site_e2e-notify-field';

describe('notifications end to end: MQTT → alert on the dashboard → Slack, acknowledge on the page, resolve (Chromium)', () => {
  const instance = `e2e-${path.basename(import.meta.filename, '.test.ts')}-${randomBytes(3).toString('hex')}`;
  let running: RunningFleetbook;
  let broker: TestBroker;
  let dbUrl: string | null = null;
  let slack: Awaited<ReturnType<typeof startSlackStandIn>>;
  let smtp: SmtpStandIn;
  let browser: Browser;
  let device: MqttClient;
  let operator: string;
  let admin: string;
  let pump: SeededDevice;
  let seq = 0;
  const saved = { ...process.env };

  const api = (method: string, p: string, body?: unknown, token = admin) =>
    requestJson(`${running.url}/api/v1${p}`, { method, token, body });
  const reading = (d: SeededDevice, metrics: Record<string, number>) =>
    publish(device, topic(d.site, d.id, 'telemetry'), {
      schema_version: 1,
      msg_id: `e2e${++seq}`,
      ts: Date.now() / 1000,
      status: 'running',
      metrics,
    });
  const slackOf = (status: 'firing' | 'resolved', text: RegExp) =>
    slack.requests.filter(
      (r) =>
        JSON.stringify(r.json ?? {}).includes(status === 'firing' ? 'FIRING' : 'RESOLVED') &&
        text.test(JSON.stringify(r.json)),
    );
  const alertOf = (subject: string) =>
    running.ctx.db
      .selectFrom('alerts')
      .selectAll()
      .where('subject_id', '=', subject)
      .orderBy('id', 'desc')
      .executeTakeFirst();
  async function open(token: string): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
    await context.addInitScript((t) => localStorage.setItem('fleetbook.token', t), token);
    return { context, page: await context.newPage() };
  }

  beforeAll(async () => {
    slack = await startSlackStandIn();
    smtp = await startSmtpStandIn({ user: 'fleetbook', password: 'smtp-e2e-secret' });
    const rulesDir = path.join(tmp, 'notifications');
    fs.cpSync(path.join(ROOT, 'tests/fixtures/notifications-e2e'), rulesDir, { recursive: true });
    fs.writeFileSync(
      path.join(rulesDir, 'contact-points.yaml'),
      `contact_points:
  - name: ops-chat
    type: slack
    config: { url: env:E2E_SLACK_WEBHOOK_URL }
  - name: oncall-email
    type: email
    config: { to: [oncall@example.com], from: fleetbook@example.com, host: ${smtp.host}, port: ${smtp.port}, secure: false, username: fleetbook, password: env:E2E_SMTP_PASSWORD }
`,
    );
    // The engine reads env: secrets from the process environment when it sends.
    process.env.E2E_SLACK_WEBHOOK_URL = slack.webhookUrl;
    process.env.E2E_SMTP_PASSWORD = 'smtp-e2e-secret';
    const base = process.env.TEST_DATABASE_URL;
    dbUrl = base ? await createPgDatabase(base) : null;
    broker = await createTestBroker();
    const env: Record<string, string> = {
      HOST: '127.0.0.1',
      PORT: '0',
      FLEETBOOK_DATA_DIR: path.join(tmp, 'data'),
      FLEETBOOK_OPEN_READS: '0',
      FLEETBOOK_SITE_WATCH: '0',
      FLEETBOOK_NOTIFICATIONS_DIR: rulesDir,
      MQTT_URL: broker.url,
    };
    if (dbUrl) env.DATABASE_URL = dbUrl;
    running = await startFleetbook(loadConfig(env), {
      logger: pino({ level: 'silent' }),
      // Its own MQTT session and share group: the default (the host name) is every other fleetbook's on a shared broker.
      telemetry: { monitorIntervalMs: 500, simulate: false, instance, sharedGroup: instance },
    });
    admin = running.firstAdminToken ?? (await createToken(running.ctx.db, { name: 'e2e-admin', role: 'admin' })).token;
    operator = (await createToken(running.ctx.db, { name: 'olga', role: 'operator' })).token;
    [pump] = await seedDevices(running.ctx.db, {
      tag: 'e2e-notify',
      site: SITE,
      product: 'pump-ctl',
      role: 'controller',
      count: 1,
      prefix: 'pump',
    });
    device = await connectDevice(broker.url);
    await waitForSite(running.url);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await device?.endAsync();
    await browser?.close();
    await running?.close();
    await forgetIngestSession(broker.url, instance).catch(() => {});
    await broker?.close();
    await slack?.close();
    await smtp?.close();
    if (dbUrl) await dropPgDatabase(process.env.TEST_DATABASE_URL!, dbUrl);
    process.env = saved;
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('a hot motor: on the dashboard and one Slack message; acknowledged on the page, no email; resolved to Slack', async () => {
    const { context, page } = await open(operator);
    await page.goto(`${running.url}/docs/dashboards/alerts`);
    await expect
      .poll(() => page.getByTestId('alert-list-role').first().textContent(), { timeout: 60_000 })
      .toMatch(/operator/i);

    // The motor heats past 95 °C and stays there (for: 1s): the device reports every second.
    const hot = setInterval(() => void reading(pump, { motor_temp_c: 97.5, flow_lpm: 110 }), 1000);
    try {
      await reading(pump, { motor_temp_c: 97.5, flow_lpm: 110 });
      await expect.poll(async () => (await alertOf(pump.id))?.state, { timeout: 30_000 }).toBe('open');
    } finally {
      clearInterval(hot);
    }
    const alert = (await alertOf(pump.id))!;
    expect(alert).toMatchObject({ rule_id: 'pump_motor_overheat', severity: 'critical' });
    // Live on the open page, no reload.
    const row = page.getByTestId(`alert-row-${alert.id}`).first();
    await row.waitFor({ timeout: 30_000 });
    expect(await row.textContent()).toContain('Motor of pump 1');
    await expect.poll(() => slackOf('firing', /Motor of pump 1/).length, { timeout: 20_000 }).toBe(1);
    const firing = slackOf('firing', /Motor of pump 1/)[0]!;
    expect(firing.problems).toEqual([]);
    const firingAt = firing.at;
    // The row says who was told (read with the list: a delivery is not a change-feed event, see
    // outbox.ts, so the page shows it from its next load).
    await page.reload();
    await expect
      .poll(
        () =>
          page
            .getByTestId(`alert-deliveries-${alert.id}`)
            .first()
            .textContent({ timeout: 1000 })
            .catch(() => ''),
        { timeout: 30_000 },
      )
      .toMatch(/ops-chat/);

    // The operator takes it on the page.
    await page.getByTestId(`alert-ack-${alert.id}`).first().click();
    await expect.poll(async () => (await alertOf(pump.id))?.state, { timeout: 15_000 }).toBe('acknowledged');
    expect((await alertOf(pump.id))!.acked_by).toBe('olga');
    expect(Date.now() - firingAt).toBeLessThan(20_000); // acknowledged before the email step was due
    await page.screenshot({ path: screenshotPath('notifications-acknowledged'), fullPage: false });

    // Past the email step's 20 s (and a flush after it): no mail, Slack told once.
    const wait = firingAt + 24_000 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    expect(smtp.messages).toHaveLength(0);
    expect(slackOf('firing', /Motor of pump 1/)).toHaveLength(1);

    // It cools below `clear` (85): resolved, to Slack (where it fired) and nowhere else.
    await reading(pump, { motor_temp_c: 82, flow_lpm: 120 });
    await expect.poll(async () => (await alertOf(pump.id))?.state, { timeout: 20_000 }).toBe('resolved');
    await expect.poll(() => slackOf('resolved', /Motor of pump 1/).length, { timeout: 20_000 }).toBe(1);
    expect(slackOf('resolved', /Motor of pump 1/)[0]!.problems).toEqual([]);
    expect(smtp.messages).toHaveLength(0);
    // Gone from the open list.
    await expect.poll(() => page.getByTestId(`alert-row-${alert.id}`).count(), { timeout: 20_000 }).toBe(0);
    await context.close();
  }, 240_000);

  it('a gateway goes silent with 50 sensors behind it: one page', async () => {
    const [gw] = await seedDevices(running.ctx.db, {
      tag: 'e2e-notify',
      site: FIELD,
      product: 'lorawan-gw',
      role: 'gateway',
      count: 1,
      prefix: 'gw',
      version: '2.1.0',
      heartbeat_interval_s: 1,
    });
    const sensors = await seedDevices(running.ctx.db, {
      tag: 'e2e-notify',
      site: FIELD,
      product: 'soil-probe',
      role: 'sensor',
      count: 50,
      prefix: 'probe',
      version: '1.4.2',
      heartbeat_interval_s: 1,
    });
    const before = slack.requests.length;
    // Each is heard once, then nothing: 3 heartbeats (3 s) later the health monitor marks it down.
    await reading(gw!, { uplinks_per_min: 42 });
    for (const s of sensors) await reading(s, { soil_moisture_pct: 31, battery_v: 3.6 });
    await expect
      .poll(
        async () =>
          (
            await running.ctx.db
              .selectFrom('devices')
              .select('id')
              .where('site_id', '=', FIELD)
              .where('status', '=', 'down')
              .execute()
          ).length,
        { timeout: 30_000 },
      )
      .toBe(51);
    await expect.poll(() => slack.requests.length - before, { timeout: 30_000 }).toBeGreaterThanOrEqual(1);
    // Time for any stray page (group_interval 2 s, a few flushes).
    await new Promise((r) => setTimeout(r, 6000));
    const pages = slack.requests.slice(before);
    expect(pages).toHaveLength(1);
    expect(pages[0]!.problems).toEqual([]);
    const text = JSON.stringify(pages[0]!.json);
    expect(text).toContain('Gateway gw 1 at'); // names the gateway …
    expect(text).not.toMatch(/probe \d/); // … not the sensors behind it
    // The sensors' alerts are open (on the dashboard), just not sent.
    const open = await running.ctx.db
      .selectFrom('alerts')
      .select('subject_id')
      .where('site_id', '=', FIELD)
      .where('state', '=', 'open')
      .execute();
    expect(open).toHaveLength(51);
    expect(smtp.messages).toHaveLength(0);
  }, 120_000);

  it('the silence form on the dashboard: an operator creates one with matchers and a duration, sees it, expires it', async () => {
    const { context, page } = await open(operator);
    await page.goto(`${running.url}/docs/dashboards/alerts`);
    const form = page.getByTestId('silence-form');
    await form.waitFor({ timeout: 60_000 });
    await page.getByTestId('silence-matchers').fill(`site="${FIELD}", alertname=~"device_.*"`);
    await page.getByTestId('silence-duration').fill('2h');
    await page.getByTestId('silence-comment').fill('re-cabling the field gateway');
    await page.getByTestId('silence-submit').click();
    await expect.poll(async () => (await api('GET', '/silences')).body.items.length, { timeout: 15_000 }).toBe(1);
    const [silence] = (await api('GET', '/silences')).body.items;
    expect(silence).toMatchObject({
      matchers: [`site="${FIELD}"`, 'alertname=~"device_.*"'],
      created_by: 'olga',
      state: 'active',
    });
    await page.getByTestId(`silence-${silence.id}`).waitFor({ timeout: 15_000 });
    await page.screenshot({ path: screenshotPath('notifications-silence'), fullPage: false });
    await page.getByTestId(`silence-expire-${silence.id}`).click();
    await expect.poll(async () => (await api('GET', '/silences')).body.items.length, { timeout: 15_000 }).toBe(0);
    // A viewer sees the list, not the form.
    const viewer = (await createToken(running.ctx.db, { name: 'vera', role: 'viewer' })).token;
    const v = await open(viewer);
    await v.page.goto(`${running.url}/docs/dashboards/alerts`);
    await expect
      .poll(() => v.page.getByTestId('alert-list-role').first().textContent(), { timeout: 60_000 })
      .toMatch(/viewer/i);
    expect(await v.page.getByTestId('silence-form').count()).toBe(0);
    await v.context.close();
    await context.close();
  }, 120_000);

  it('AlertStats on the dashboard counts a new alert and its acknowledgement live, and fits a phone', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    await context.addInitScript((t) => localStorage.setItem('fleetbook.token', t), operator);
    const page = await context.newPage();
    await page.goto(`${running.url}/docs/dashboards/alerts`);
    const widget = page.getByTestId('alert-stats').first();
    const shown = async (attr: string) =>
      Number((await widget.getAttribute(attr, { timeout: 1000 }).catch(() => null)) ?? -1);
    // Ready, or empty when no other test of this file opened an alert first.
    await expect.poll(() => widget.getAttribute('data-state'), { timeout: 60_000 }).toMatch(/^(ready|empty)$/);
    const before = {
      opened: Math.max(await shown('data-opened'), 0),
      acked: Math.max(await shown('data-acknowledged'), 0),
    };
    const row = await openAlert(running.ctx.db, 'test', {
      ruleId: 'e2e_stats',
      subject: { type: 'device', id: pump.id },
      customerId: null,
      siteId: SITE,
      severity: 'critical',
      title: 'e2e stats',
      dedupeKey: `e2e_stats:${pump.id}`,
    });
    // No reload: the alert.opened event re-reads the figures.
    await expect.poll(() => shown('data-opened'), { timeout: 20_000 }).toBe(before.opened + 1);
    expect((await api('POST', `/alerts/${row!.id}/acknowledge`, {}, operator)).status).toBe(200);
    await expect.poll(() => shown('data-acknowledged'), { timeout: 20_000 }).toBe(before.acked + 1);
    const critical = page.getByTestId('alert-stats-critical').first();
    expect(Number(await critical.getAttribute('data-opened'))).toBeGreaterThanOrEqual(1);
    expect(await critical.locator('[data-col="ack_median_s"]').textContent()).toMatch(/^\d+(\.\d)? (s|min|h|d)$/);
    // The table scrolls in its own region; the page itself does not scroll sideways at 390 px.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await widget.screenshot({ path: screenshotPath('notifications-alert-stats-phone') });
    await context.close();
  }, 120_000);
});
