import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { axeScan, blocking } from '../helpers/axe.ts';
import { launchChromium, screenshotPath } from '../helpers/browser.ts';
import { firstStart, startSite, stopCli } from '../helpers/cli.ts';
import { requestJson } from '../helpers/http.ts';
import { layoutProblems, PHONE } from '../helpers/phone.ts';
import { freePort } from '../helpers/ports.ts';

// What a field engineer sees on a 390 px phone (`fleetbook start --demo --no-simulate`, the built
// site in Chromium):
// - runbooks.md: the runner's pending-changes bar names each queued change by the item's text,
//   with its id beside it (as the history does), and the page has no layout problem: the closed
//   "add a note" boxes are not on screen, so they cannot overlap anything;
// - the device page reads the device once for its facts, health, commands and charts;
// - widgets.md: DeploymentBoard shows each deployment's executions however many the fleet has,
//   and every deployment of its filter, past the 500 of one page;
// - widgets.md (error states): a widget the API refuses says what the API answered and the status
//   (docs/contracts/widget-refusals.mdx: an unknown device, an unknown site, a malformed site id);
//   every widget with a `site` prop (DeploymentBoard, DeviceTable, FirmwareDrift, AlertStats,
//   WorkBoard, FleetHealth, AlertList, Surface) says an unknown site is not found, in the shared
//   words, not an empty list that reads like a quiet site.

const RB = 'rb-practice-first-execution';
const RB_ITEM = 'deployment-page';
const RB_TEXT = 'Demo deployment chosen and its page opened in the registry';

describe('layoutProblems counts only what is on screen', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('controls inside a closed <details> are not layout problems; the same controls shown are', async () => {
    const page = await browser.newPage(PHONE);
    // Two buttons on top of each other and a 10 px tap target beside them: all problems, once shown.
    const body = (open: boolean) => `<!doctype html><meta name="viewport" content="width=device-width">
      <details ${open ? 'open' : ''}><summary style="padding:12px">Add a note</summary>
        <div style="position:relative;height:60px">
          <button style="position:absolute;left:0;top:0;width:120px;height:40px">Save</button>
          <button style="position:absolute;left:20px;top:10px;width:120px;height:40px">Cancel</button>
          <button style="position:absolute;left:150px;top:0;width:10px;height:10px">x</button>
        </div>
      </details>
      <div style="display:none"><button style="width:10px;height:10px">y</button><button>z</button></div>`;
    await page.setContent(body(false));
    expect(await layoutProblems(page)).toEqual([]);
    await page.setContent(body(true));
    const shown = await layoutProblems(page);
    expect(shown.some((p) => p.startsWith('controls overlap'))).toBe(true);
    expect(shown.some((p) => p.startsWith('tap target under 24×24 px'))).toBe(true);
    await page.close();
  });
});

describe('on a phone: the runner’s names, the device page’s reads, the deployment board’s executions and rows, refusals', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetbook-e2e-widget-reads-'));
  let proc: ReturnType<typeof startSite>;
  let base: string;
  let browser: Browser;
  let admin = '';
  let operator = '';

  const api = (method: string, url: string, body?: unknown, token = admin) =>
    requestJson(`${base}/api/v1${url}`, { method, token, body });
  const phoneWith = async (token: string): Promise<{ context: BrowserContext; page: Page }> => {
    const context = await browser.newContext(PHONE);
    await context.addInitScript((t) => localStorage.setItem('fleetbook.token', t), token);
    return { context, page: await context.newPage() };
  };

  beforeAll(async () => {
    const [port, mqttPort] = [await freePort(), await freePort()];
    proc = startSite({ port, mqttPort, dataDir, demo: 'quiet' });
    ({ base, admin } = await firstStart(proc));
    const made = await api('POST', '/tokens', { name: 'alice', role: 'operator' });
    expect(made.status).toBe(201);
    operator = made.body.token;
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await stopCli(proc);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('offline, the pending-changes bar names the ticked item by its text with its id beside it; nothing overlaps, axe finds nothing blocking', async () => {
    const deps = (await api('GET', '/deployments?limit=100')).body.items as { id: string; state: string }[];
    const dep = deps.find((d) => d.state !== 'retired')!;
    const started = await api('POST', '/runbook-executions', { runbook_id: RB, deployment_id: dep.id }, operator);
    expect(started.status).toBe(201);
    const { context, page } = await phoneWith(operator);
    await page.goto(`${base}/runbooks/${RB}?execution=${started.body.id}`);
    await page.getByTestId('runner-execution').waitFor({ timeout: 15_000 });
    await expect
      .poll(() => page.getByTestId('runbook-runner').getAttribute('data-live'), { timeout: 15_000 })
      .toBe('online');
    await context.setOffline(true);
    await page.getByTestId(`runner-check-${RB_ITEM}`).click();
    const queue = page.getByTestId('runner-queue');
    await expect.poll(() => queue.getAttribute('data-pending'), { timeout: 5_000 }).toBe('1');
    const row = queue.locator('[data-testid^="runner-queued-"]').first();
    expect(await row.innerText()).toMatch(new RegExp(`^tick “${RB_TEXT}” ${RB_ITEM} `));
    expect(await row.locator('code').innerText()).toBe(RB_ITEM);
    // Every item's "add a note" box is closed: on screen, nothing overlaps and every tap target fits.
    expect(await page.locator('details:not([open]) textarea').count()).toBeGreaterThan(0);
    expect(await layoutProblems(page)).toEqual([]);
    expect(blocking(await axeScan(page))).toEqual([]);
    await queue.screenshot({ path: screenshotPath('runner-queue-item-text') });
    await context.setOffline(false);
    await expect.poll(() => queue.getAttribute('data-pending'), { timeout: 15_000 }).toBe('0');
    await context.close();
  }, 120_000);

  it('the device page reads the device once, for its facts, health, commands and charts', async () => {
    const id = 'gw_farm-north-1-001';
    const { context, page } = await phoneWith(operator);
    const reads: string[] = [];
    page.on('request', (r) => {
      if (r.method() === 'GET' && new URL(r.url()).pathname === `/api/v1/devices/${id}`) reads.push(r.url());
    });
    await page.goto(`${base}/device?id=${id}`);
    for (const widget of ['device-facts', 'device-health', 'device-commands'])
      await expect.poll(() => page.getByTestId(widget).getAttribute('data-state'), { timeout: 15_000 }).toBe('ready');
    await expect
      .poll(() => page.getByTestId('device-health').getAttribute('data-live'), { timeout: 15_000 })
      .toBe('online');
    await page.waitForTimeout(2_000);
    expect(await page.getByTestId('device-facts-list').innerText()).toContain('Farm North');
    // One read for the whole page; and, as the page's stream opens fresh, the one re-read its
    // `ready` asks of the topic's subscriber (architecture: a change made between the read and the
    // stream going live is not lost). Each widget reading for itself made it 7.
    expect(reads.length).toBeGreaterThanOrEqual(1);
    expect(reads.length).toBeLessThanOrEqual(2);
    await context.close();
  }, 120_000);

  it('DeploymentBoard: a deployment’s execution shows on its card with 500 newer executions elsewhere in the fleet', async () => {
    const deps = (await api('GET', '/deployments?limit=500')).body.items as {
      id: string;
      state: string;
      product_code: string;
    }[];
    const gw = deps.find(
      (d) => d.product_code === 'lorawan-gw' && ['planned', 'installing', 'live'].includes(d.state),
    )!;
    const elsewhere = deps.find((d) => d.product_code !== 'lorawan-gw' && d.state !== 'retired')!;
    const mine = await api('POST', '/runbook-executions', { runbook_id: RB, deployment_id: gw.id });
    expect(mine.status).toBe(201);
    // 500 newer ones on another product's deployment: the newest 500 of the fleet hold none of the gateway's.
    for (let i = 0; i < 500; i += 25)
      await Promise.all(
        Array.from({ length: 25 }, async () =>
          expect(
            (await api('POST', '/runbook-executions', { runbook_id: RB, deployment_id: elsewhere.id })).status,
          ).toBe(201),
        ),
      );
    const { context, page } = await phoneWith(operator);
    await page.goto(`${base}/docs/dashboards/deployments`);
    const board = page
      .getByTestId('deployment-board')
      .filter({ has: page.getByRole('heading', { name: 'LoRaWAN gateway deployments', exact: true }) });
    await expect.poll(() => board.getAttribute('data-state'), { timeout: 20_000 }).toBe('ready');
    const card = board.getByTestId(`deployment-card-${gw.id}`);
    await expect
      .poll(() => card.getByTestId(`deployment-execution-${mine.body.id}`).count(), { timeout: 15_000 })
      .toBe(1);
    // The whole-fleet board: the other deployment's card lists its newest 3, not 500.
    const every = page
      .getByTestId('deployment-board')
      .filter({ has: page.getByRole('heading', { name: 'Every deployment, by state', exact: true }) });
    await expect
      .poll(
        () =>
          every
            .getByTestId(`deployment-card-${elsewhere.id}`)
            .locator('[data-testid^="deployment-execution-"]')
            .count(),
        {
          timeout: 15_000,
        },
      )
      .toBe(3);
    expect(
      await every.getByTestId(`deployment-card-${gw.id}`).getByTestId(`deployment-execution-${mine.body.id}`).count(),
    ).toBe(1);
    await context.close();
  }, 180_000);

  it('a widget the API refuses says what it answered: an unknown device, an unknown site (each widget with a site prop), a malformed site id; axe finds nothing blocking', async () => {
    const { context, page } = await phoneWith(operator);
    await page.goto(`${base}/docs/contracts/widget-refusals`);
    const chart = page.getByTestId('telemetry-chart');
    const titled = (testId: string, title: string) =>
      page.getByTestId(testId).filter({ has: page.getByRole('heading', { name: title, exact: true }) });
    const board = (title: string) => titled('deployment-board', title);
    const unknownSite = board('A board of an unknown site');
    const malformed = board('A board of a malformed site id');
    // The other widgets with a site prop, of the same unknown site, and the words each must not
    // show instead (its empty words; the surface's own "not found" note, in words of its own).
    const siteWidgets = [
      { name: 'DeviceTable', w: titled('device-table', 'A device table of an unknown site'), empty: 'No devices' },
      { name: 'FirmwareDrift', w: titled('firmware-drift', 'Firmware drift of an unknown site'), empty: 'No devices' },
      { name: 'AlertStats', w: titled('alert-stats', 'Alert figures of an unknown site'), empty: 'No alerts opened' },
      { name: 'WorkBoard', w: titled('work-board', 'A work board of an unknown site'), empty: 'No open work' },
      { name: 'FleetHealth', w: titled('fleet-health', 'Fleet health of an unknown site'), empty: 'No devices' },
      { name: 'AlertList', w: titled('alert-list', 'Alerts of an unknown site'), empty: 'No open or acknowledged' },
      // A refused surface has no title (the API's answer holds it): the page has this one surface.
      { name: 'Surface site-status', w: page.getByTestId('surface-site-status'), empty: 'site-status: site' },
    ];
    // Each settles (not loading) and says what the API answered.
    for (const w of [chart, unknownSite, malformed])
      await expect
        .poll(async () => ((await w.getAttribute('data-state')) ?? 'loading').match(/loading|placeholder/), {
          timeout: 20_000,
        })
        .toBe(null);
    // The site's refusal may land a moment after the widget's own read (an empty list, the
    // surface's own 404): a wait of up to 20 s for each to be refused, not an assertion, so the
    // soft checks below name every widget that is not.
    const refused = async () =>
      (await Promise.all(siteWidgets.map(({ w }) => w.getAttribute('data-state')))).every((st) => st === 'error');
    const until = Date.now() + 20_000;
    while (Date.now() < until && !(await refused())) await page.waitForTimeout(250);
    await expect
      .poll(() => chart.innerText(), { timeout: 10_000 })
      .toContain(
        "No chart for gw_no-such-gateway: the data API answered “device gw_no-such-gateway not found” (404). It answers so for an id it does not have and for one this page's token may not see.",
      );
    await expect
      .poll(() => unknownSite.innerText(), { timeout: 10_000 })
      .toContain(
        'DeploymentBoard for site site_no-such-site: the data API answered “site site_no-such-site not found” (404). It answers so for an id it does not have',
      );
    expect(await unknownSite.innerText()).not.toContain('No deployments for this selection');
    await expect
      .poll(() => malformed.innerText(), { timeout: 10_000 })
      .toMatch(
        /DeploymentBoard for site farm-north: the data API answered .*\(400\).*site_.*Check this widget's props on the page\./s,
      );
    expect(await chart.getAttribute('data-answered')).toBe('404');
    expect(await unknownSite.getAttribute('data-answered')).toBe('404');
    expect(await malformed.getAttribute('data-answered')).toBe('400');
    // Soft: one run names every widget that does not say so.
    for (const { name, w, empty } of siteWidgets) {
      expect.soft(await w.count(), name).toBe(1);
      const text = await w.innerText();
      expect
        .soft(text, name)
        .toContain(
          `${name} for site site_no-such-site: the data API answered “site site_no-such-site not found” (404). It answers so for an id it does not have and for one this page's token may not see.`,
        );
      expect.soft(text, name).not.toContain(empty);
      expect.soft(await w.getAttribute('data-state'), name).toBe('error');
      expect.soft(await w.getAttribute('data-answered'), name).toBe('404');
    }
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    expect(blocking(await axeScan(page))).toEqual([]);
    await page.screenshot({ path: screenshotPath('widget-refusals-phone'), fullPage: true });
    await context.close();
  }, 120_000);

  it('DeploymentBoard shows every deployment of its filter past the 500 of one page', async () => {
    const all = async () => {
      const items: { id: string }[] = [];
      let cursor: string | null = null;
      do {
        const page = await api('GET', `/deployments?limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        items.push(...page.body.items);
        cursor = page.body.next_cursor;
      } while (cursor);
      return items;
    };
    const before = await all();
    const site = (await api('GET', '/sites?limit=1')).body.items[0] as { id: string };
    const made: string[] = [];
    // Enough that the fleet has more than one page of 500.
    const add = Math.max(0, 520 - before.length);
    for (let i = 0; i < add; i += 25)
      await Promise.all(
        Array.from({ length: Math.min(25, add - i) }, async (_, k) => {
          const res = await api('POST', '/deployments', {
            site_id: site.id,
            name: `Bulk ${String(i + k).padStart(3, '0')}`,
            product_code: 'lorawan-gw',
            product_version: '2.1.0',
            state: 'planned',
          });
          expect(res.status).toBe(201);
          made.push(res.body.id);
        }),
      );
    const total = (await all()).length;
    expect(total).toBeGreaterThan(500);
    const { context, page } = await phoneWith(operator);
    await page.goto(`${base}/docs/dashboards/deployments`);
    const every = page
      .getByTestId('deployment-board')
      .filter({ has: page.getByRole('heading', { name: 'Every deployment, by state', exact: true }) });
    await expect.poll(() => every.getAttribute('data-state'), { timeout: 30_000 }).toBe('ready');
    await expect
      .poll(() => every.locator('[data-testid^="deployment-card-"]').count(), { timeout: 30_000 })
      .toBe(total);
    expect(await every.getAttribute('data-read')).toBe(String(total));
    expect(await every.getAttribute('data-more')).toBe('no');
    expect(await every.getByTestId('deployment-board-bound').count()).toBe(0);
    for (const id of [made[0]!, made[made.length - 1]!, before[0]!.id])
      expect(await every.getByTestId(`deployment-card-${id}`).count()).toBe(1);
    await context.close();
  }, 240_000);
});
