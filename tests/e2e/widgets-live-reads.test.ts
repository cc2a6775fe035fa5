import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/browser.ts';
import { startSite, stopCli } from '../helpers/cli.ts';
import { requestJson } from '../helpers/http.ts';
import { PHONE } from '../helpers/phone.ts';
import { freePort } from '../helpers/ports.ts';
import { startProxy } from '../integration/automation-runs-fixtures.ts';

// widgets.md: a widget shows registry rows "with live status" and keeps what it shows current,
// reconnecting by itself; architecture.md: "a reconnecting chart re-reads its range by REST".
// What a widget shows must follow the change feed where a change moves a row into or out of
// it, and a re-read after an outage must cover the outage. `fleetbook start --demo --no-simulate`
// (the demo fleet, silent: only what these tests publish over MQTT), the built site in Chromium.
describe('widgets re-read what a change or an outage moved, in Chromium', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetbook-e2e-live-reads-'));
  let proc: ReturnType<typeof startSite>;
  let base: string;
  let mqttPort: number;
  let browser: Browser;
  let admin: string;

  const api = (method: string, p: string, body?: unknown) =>
    requestJson(`${base}/api/v1${p}`, { method, token: admin, body });

  /** A device's own MQTT connection (its id and a freshly issued token), as the firmware makes it. */
  async function asDevice(id: string): Promise<{ client: MqttClient; topic: (kind: string) => string }> {
    const issued = await api('POST', `/devices/${id}/mqtt-token`);
    expect(issued.status).toBe(201);
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`, {
      username: issued.body.username,
      password: issued.body.password,
      clientId: `e2e-live-reads-${id}-${Date.now()}`,
      reconnectPeriod: 0,
    });
    return { client, topic: (kind) => `fleetbook/v1/${issued.body.site_id}/${id}/${kind}` };
  }

  beforeAll(async () => {
    const port = await freePort();
    mqttPort = await freePort();
    proc = startSite({ port, mqttPort, dataDir, demo: 'quiet' });
    const started = await proc.site;
    base = started.base;
    admin = started.admin!;
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await stopCli(proc);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('the fleet overview’s "Devices down" table, on a phone, takes in a device that goes down and drops it when it comes back, without reload', async () => {
    const [device] = (await api('GET', '/devices?status=up&role=sensor&limit=1')).body.items;
    expect(device, 'a demo sensor that is up').toBeDefined();
    const context = await browser.newContext(PHONE);
    const page = await context.newPage();
    await page.goto(`${base}/docs/dashboards/fleet-overview`);
    const table = page
      .getByTestId('device-table')
      .filter({ has: page.getByRole('heading', { name: 'Devices down', exact: true }) });
    await expect.poll(() => table.getAttribute('data-live'), { timeout: 30_000 }).toBe('online');
    // This device only: the demo's silent devices fill the table's first page.
    await table.getByTestId('device-table-filter').fill(device.id);
    await expect.poll(() => table.getAttribute('data-state'), { timeout: 10_000 }).toBe('empty');
    const row = table.getByTestId(`device-row-${device.id}`);

    // Silent with a 5 s heartbeat: the health monitor marks it down 15 s on (contracts.md: Health).
    expect((await api('PATCH', `/devices/${device.id}`, { heartbeat_interval_s: 5 })).status).toBe(200);
    await expect
      .poll(async () => (await api('GET', `/devices/${device.id}`)).body.status, { timeout: 60_000 })
      .toBe('down');
    // The table was read while the device was up; only the health change can bring it in.
    await expect.poll(() => row.getAttribute('data-status'), { timeout: 5_000 }).toBe('down');

    // Back: a heartbeat (with a heartbeat it keeps, so it stays up while the page is looked at).
    expect((await api('PATCH', `/devices/${device.id}`, { heartbeat_interval_s: 600 })).status).toBe(200);
    const { client, topic } = await asDevice(device.id);
    try {
      await client.publishAsync(
        topic('heartbeat'),
        JSON.stringify({ schema_version: 1, ts: Date.now() / 1000, uptime_s: 60, fw: '1.4.2' }),
        { qos: 1 },
      );
    } finally {
      await client.endAsync();
    }
    await expect
      .poll(async () => (await api('GET', `/devices/${device.id}`)).body.status, { timeout: 15_000 })
      .toBe('up');
    // Not a row that says "up" in a list of devices down: gone, and the table says so.
    await expect.poll(() => row.count(), { timeout: 5_000 }).toBe(0);
    expect(await table.getAttribute('data-state')).toBe('empty');
    await context.close();
  }, 180_000);

  it('a TelemetryChart re-read after an outage covers it: what it drew live and what came while it was away, not the range as it was when the page opened', async () => {
    const device = 'gw_farm-north-1-001';
    const metric = 'cpu_temp_c';
    // The page reaches the API through a link this test can cut: an outage between the browser
    // and the API (a proxy or Wi-Fi dropping), the API itself running on.
    const link = await startProxy(Number(new URL(base).port));
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, serviceWorkers: 'block' });
    const { client, topic } = await asDevice(device);
    const publish = (value: number) =>
      client.publishAsync(
        topic('telemetry'),
        JSON.stringify({
          schema_version: 1,
          msg_id: `e2e-live-reads-${Date.now()}-${value}`,
          ts: Date.now() / 1000,
          status: 'running',
          metrics: { [metric]: value },
        }),
        { qos: 1 },
      );
    try {
      const page = await context.newPage();
      await page.goto(`${link.url()}/docs/dashboards/telemetry-trends`);
      const frame = page.locator(`[data-testid="telemetry-chart"][data-device="${device}"][data-metric="${metric}"]`);
      await expect.poll(() => frame.getAttribute('data-live'), { timeout: 30_000 }).toBe('online');
      // No history (--no-simulate): the range read when the page opened is empty.
      await expect.poll(() => frame.getAttribute('data-state'), { timeout: 10_000 }).toBe('empty');
      const openedTo = Date.parse((await frame.getAttribute('data-to'))!);

      // A reading after the end of that range, drawn live.
      await new Promise((r) => setTimeout(r, Math.max(0, openedTo - Date.now() + 1_000)));
      await publish(40);
      await expect.poll(() => frame.getAttribute('data-latest'), { timeout: 10_000 }).toBe('40');

      // The link drops; a reading arrives at the API meanwhile; the link is back.
      await link.down();
      await expect.poll(() => frame.getAttribute('data-live'), { timeout: 15_000 }).toBe('offline');
      await publish(50);
      await link.up();
      await expect.poll(() => frame.getAttribute('data-live'), { timeout: 30_000 }).toBe('online');

      // The re-read asks for the range up to now: both readings (one 15-minute bucket, or two).
      await expect.poll(() => frame.getAttribute('data-state'), { timeout: 10_000 }).toBe('ready');
      await expect.poll(() => frame.getAttribute('data-latest'), { timeout: 10_000 }).toMatch(/^(45|50)$/);
      expect(Date.parse((await frame.getAttribute('data-to'))!)).toBeGreaterThan(openedTo);
    } finally {
      await client.endAsync();
      await context.close();
      await link.down();
    }
  }, 180_000);
});
