import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, screenshotPath } from '../helpers/browser.ts';
import { startSite, stopCli } from '../helpers/cli.ts';
import { buildFirmware, startDevice, type BuiltFirmware, type RunningDevice } from '../helpers/firmware.ts';
import { requestJson } from '../helpers/http.ts';
import { freePort } from '../helpers/ports.ts';

// Issue 15, as a user sees it: `fleetbook start` (embedded PGlite + aedes), the scaffold's pump-ctl
// 1.5.0 built for POSIX and run as two real devices with tokens issued by the API; in Chromium the
// fleet overview shows them up, the product page shows its sheet (revisions, baseline, BOM totals,
// datasheets) and the firmware drift of the board that runs 1.5.0 firmware as a 1.4.2 unit, and
// the generated bring-up runbook shows the board under test live.
describe('the scaffolded device in the handbook, in Chromium', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetbook-e2e-firmware-'));
  const site = 'site_fw-bench';
  const ids = { current: 'dev_fw-bench-pump-150', drifting: 'dev_fw-bench-pump-142' };
  let proc: ReturnType<typeof startSite>;
  let base: string;
  let mqttPort: number;
  let admin: string;
  let browser: Browser;
  let context: BrowserContext;
  let pump: BuiltFirmware;
  const devices: RunningDevice[] = [];

  const api = (method: string, p: string, body?: unknown) =>
    requestJson(`${base}/api/v1${p}`, { method, token: admin, body });

  beforeAll(async () => {
    const port = await freePort();
    mqttPort = await freePort();
    [pump] = await Promise.all([
      buildFirmware('pump-ctl', '1.5.0', { tests: false }),
      (async () => {
        proc = startSite({ port, mqttPort, dataDir });
        const started = await proc.site;
        base = started.base;
        admin = started.admin!;
      })(),
    ]);
    expect((await api('POST', '/customers', { id: 'cus_fw-bench', name: 'Firmware bench' })).status).toBe(201);
    expect(
      (await api('POST', '/sites', { id: site, customer_id: 'cus_fw-bench', name: 'Firmware bench' })).status,
    ).toBe(201);
    for (const [id, version] of [
      [ids.current, '1.5.0'],
      [ids.drifting, '1.4.2'],
    ] as const) {
      expect(
        (
          await api('POST', '/devices', {
            id,
            site_id: site,
            product_code: 'pump-ctl',
            product_version: version,
            role: 'controller',
            name: `Bench pump ${version}`,
          })
        ).status,
      ).toBe(201);
      const token = await api('POST', `/devices/${id}/mqtt-token`);
      expect(token.status).toBe(201);
      devices.push(
        startDevice(pump.binary, {
          port: mqttPort,
          site,
          device: id,
          token: token.body.password,
          stateDir: path.join(dataDir, `${id}-state`),
          interval: 2,
        }),
      );
    }
    for (const d of devices) await d.waitFor(/connected as /);
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.addInitScript((t) => localStorage.setItem('fleetbook.token', t), admin);
  });

  afterAll(async () => {
    await browser?.close();
    for (const d of devices) await d.stop();
    await stopCli(proc);
    fs.rmSync(dataDir, { recursive: true, force: true });
    if (pump) fs.rmSync(pump.dir, { recursive: true, force: true });
  });

  it('its telemetry is stored and the fleet overview shows both devices up, with the drifting one named', async () => {
    await expect
      .poll(
        async () =>
          (await api('GET', `/devices/${ids.current}/telemetry?metric=pressure_bar`)).body.points?.length ?? 0,
        { timeout: 30_000 },
      )
      .toBeGreaterThan(0);
    const page = await context.newPage();
    await page.goto(`${base}/docs/dashboards/fleet-overview`);
    const row = page.getByTestId(`fleet-health-row-${site}`);
    await expect.poll(() => row.getAttribute('data-up'), { timeout: 30_000 }).toBe('2');
    const drift = page.getByTestId('firmware-drift').first();
    await expect.poll(() => drift.getAttribute('data-drift'), { timeout: 30_000 }).toBe('1');
    await expect.poll(() => drift.getByTestId(`firmware-drift-device-${ids.drifting}`).count()).toBe(1);
    expect(await drift.getByTestId(`firmware-drift-device-${ids.current}`).count()).toBe(0);
    await page.screenshot({ path: screenshotPath('firmware-fleet-overview'), fullPage: true });
    await page.close();
  });

  it('the product page shows revisions, the firmware baseline, the BOM with its totals and datasheets that open', async () => {
    const page = await context.newPage();
    await page.goto(`${base}/docs/products/pump-ctl`);
    const sheet = page.getByTestId('product-sheet');
    expect(await sheet.getByTestId('firmware-baseline-1.5.0').textContent()).toBe('1.5.0');
    expect(await sheet.getByTestId('product-bom-1.5.0').getAttribute('data-parts')).toBe('6');
    expect(await sheet.getByTestId('product-bom-total-1.5.0').textContent()).toBe('$708.50');
    const hrefs = await sheet
      .getByTestId('product-datasheet')
      .evaluateAll((links) => links.map((a) => (a as HTMLAnchorElement).href));
    expect(hrefs).toContain(`${base}/datasheets/pump-ctl/mod-lte-catm.pdf`);
    for (const href of new Set(hrefs)) {
      const res = await fetch(href);
      expect(res.status, href).toBe(200);
      expect(
        Buffer.from(await res.arrayBuffer())
          .subarray(0, 5)
          .toString(),
      ).toBe('%PDF-');
    }
    const drift = page.getByTestId('firmware-drift').first();
    await expect.poll(() => drift.getAttribute('data-drift'), { timeout: 30_000 }).toBe('1');
    const groups = await drift
      .getByTestId('firmware-drift-group')
      .evaluateAll((rows) =>
        rows.map(
          (r) => `${r.getAttribute('data-version')}:${r.getAttribute('data-firmware')}:${r.getAttribute('data-drift')}`,
        ),
      );
    expect(groups).toEqual(['1.4.2:1.5.0:true', '1.5.0:1.5.0:false']);
    await page.screenshot({ path: screenshotPath('firmware-product-page'), fullPage: true });
    await page.close();
  });

  it('the generated bring-up runbook shows the board under test live', async () => {
    const page = await context.newPage();
    await page.goto(`${base}/runbooks/rb-pump-ctl-1-5-0-bring-up?device=${ids.current}`);
    const health = page.getByTestId('device-under-test').getByTestId('device-health');
    await expect.poll(() => health.getAttribute('data-status'), { timeout: 30_000 }).toBe('up');
    await expect
      .poll(() => page.getByTestId('device-under-test').getByText('pressure_bar').count(), { timeout: 30_000 })
      .toBeGreaterThan(0);
    await page.screenshot({ path: screenshotPath('firmware-bring-up-runbook'), fullPage: true });
    await page.close();
  });
});
