import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, screenshotPath } from '../helpers/browser.ts';
import { spawnCli, stopCli, waitForSite } from '../helpers/cli.ts';
import { freePort } from '../helpers/ports.ts';

// The product as a user starts it: `fleetbook start` builds the site when it is missing
// or stale, serves it with the API on one port, on embedded PGlite + aedes.
describe('the site, served by fleetbook start, in Chromium', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetbook-e2e-'));
  let proc: ReturnType<typeof spawnCli>;
  let base: string;
  let browser: Browser;

  beforeAll(async () => {
    const [port, mqttPort] = [await freePort(), await freePort()];
    proc = spawnCli(['start', '--port', String(port), '--mqtt-port', String(mqttPort), '--data-dir', dataDir, '--demo'], {
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
    });
    base = await proc.ready;
    await waitForSite(base);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await stopCli(proc);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('the landing page shows the live health the page fetched from the API', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const healthSeen = page.waitForResponse((r) => r.url().endsWith('/api/v1/health'));
    await page.goto(base + '/');
    const apiHealth = await (await healthSeen).json();
    const widget = page.getByTestId('api-status');
    await expect.poll(() => widget.getAttribute('data-state'), { timeout: 15_000 }).toBe('ok');
    expect(apiHealth.status).toBe('ok');
    await expect.poll(() => page.getByTestId('api-status-database').getAttribute('data-state')).toBe(apiHealth.database.status);
    await expect.poll(() => page.getByTestId('api-status-broker').getAttribute('data-state')).toBe(apiHealth.broker.status);
    expect(await page.getByTestId('api-status-database').innerText()).toContain('embedded PGlite');
    expect(await page.getByTestId('api-status-api').innerText()).toContain(`v${apiHealth.version}`);
    await page.screenshot({ path: screenshotPath('landing'), fullPage: true });
    await page.close();
  });

  it('the server-rendered landing page holds a placeholder, not live data', async () => {
    const html = await (await fetch(base + '/')).text();
    expect(html).toMatch(/data-testid="?api-status"?[ >]/);
    expect(html).toContain('ApiStatus: checking the data API');
  });

  it('a docs page renders, with its mermaid diagram drawn', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const res = await page.goto(base + '/docs/architecture');
    expect(res?.status()).toBe(200);
    await expect.poll(() => page.locator('h1').first().innerText()).toMatch(/architecture/i);
    await page.locator('.docusaurus-mermaid-container svg').first().waitFor({ timeout: 20_000 });
    await page.screenshot({ path: screenshotPath('docs-architecture'), fullPage: false });
    await page.goto(base + '/docs/getting-started');
    expect(await page.locator('article').innerText()).toContain('npm start');
    await page.close();
  });

  it('a phone-width page in dark mode shows the same live status', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, colorScheme: 'dark' });
    const page = await context.newPage();
    await page.goto(base + '/');
    await expect.poll(() => page.getByTestId('api-status').getAttribute('data-state'), { timeout: 15_000 }).toBe('ok');
    expect(await page.locator('html').getAttribute('data-theme')).toBe('dark');
    await page.screenshot({ path: screenshotPath('landing-phone-dark'), fullPage: true });
    await context.close();
  });

  it('the API reference page lists the live OpenAPI document', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(base + '/docs/contracts/openapi');
    const ref = page.getByTestId('api-reference');
    await expect.poll(() => ref.getAttribute('data-state'), { timeout: 15_000 }).toBe('ready');
    const doc = await (await fetch(`${base}/api/v1/openapi.json`)).json();
    const count = Object.values(doc.paths as Record<string, object>).reduce((n, ops) => n + Object.keys(ops).length, 0);
    expect(await page.locator('[data-testid^="api-op-"]').count()).toBe(count);
    await page.getByTestId('api-op-get-/api/v1/health').locator('summary').click();
    expect(await page.getByTestId('api-op-get-/api/v1/health').innerText()).toContain('Response 200');
    await page.close();
  });

  it('unknown pages get the site 404, unknown API paths JSON', async () => {
    const page = await fetch(base + '/docs/no-such-page');
    expect(page.status).toBe(404);
    expect(await page.text()).toContain('<html');
    const api = await fetch(base + '/api/v1/no-such-thing');
    expect(api.status).toBe(404);
    expect(await api.json()).toMatchObject({ error: 'not_found' });
  });
});
