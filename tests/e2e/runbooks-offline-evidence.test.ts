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
import { png } from '../helpers/png.ts';

// runbooks.md "Execution in the browser", for a field engineer on a phone in a basement:
// - offline, a pasted link counts as the item's evidence, so the item can be ticked; back online
//   the link and the tick reach the API in that order, once each;
// - offline, a picked photo is shown at once (from the phone), marked as waiting to upload;
// - the execution's "who did what and when" names the items by their text, not their ids.

const RB = 'rb-rfid-station-setup';
const LINK_ITEM = 'station-up';
const LINK_TEXT = 'The station reports up in fleetbook';
const PHOTO_ITEM = 'portal-photo';

interface Activity {
  id: number;
  action: string;
  item_id: string | null;
  client_at: string | null;
  detail: Record<string, unknown>;
}

describe('runbook runner offline on a phone: link and photo evidence, and the history', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetbook-e2e-rb-offline-'));
  let proc: ReturnType<typeof startSite>;
  let base: string;
  let browser: Browser;
  let token = '';
  let executionId = '';
  let phone: { context: BrowserContext; page: Page };

  const api = (method: string, url: string, body?: unknown) =>
    requestJson(`${base}/api/v1${url}`, { method, token, body });
  const serverItem = async (id: string) => {
    const e = (await api('GET', `/runbook-executions/${executionId}`)).body;
    return e.gates.flatMap((g: { items: { id: string }[] }) => g.items).find((i: { id: string }) => i.id === id);
  };
  const activityOf = async (id: string) =>
    ((await api('GET', `/runbook-executions/${executionId}/activity?limit=500`)).body.items as Activity[])
      .filter((a) => a.item_id === id)
      .sort((p, q) => p.id - q.id);
  const item = (id: string) => phone.page.getByTestId(`runner-item-${id}`);
  const pending = () => phone.page.getByTestId('runner-queue').getAttribute('data-pending');
  /** Nothing wider than the 390 px screen (no sideways scroll, no control cut off at its edge), and axe finds nothing blocking. */
  const fitsAndAxe = async () => {
    const wide = (await layoutProblems(phone.page)).filter((p) =>
      /scrolls sideways|wider than the screen|cut off at the screen/.test(p),
    );
    expect(wide).toEqual([]);
    expect(blocking(await axeScan(phone.page))).toEqual([]);
  };

  beforeAll(async () => {
    const [port, mqttPort] = [await freePort(), await freePort()];
    proc = startSite({
      port,
      mqttPort,
      dataDir,
      demo: 'quiet',
      env: { FLEETBOOK_BLOB_DIR: path.join(dataDir, 'blobs') },
    });
    const first = await firstStart(proc);
    base = first.base;
    const admin = first.admin;
    const made = await requestJson(`${base}/api/v1/tokens`, {
      method: 'POST',
      token: admin,
      body: { name: 'alice', role: 'operator' },
    });
    expect(made.status).toBe(201);
    token = made.body.token;
    const stations = (await api('GET', '/deployments?product_code=rfid-station&limit=100')).body.items as {
      id: string;
      product_version: string;
      state: string;
    }[];
    const dep = stations.find((d) => d.state !== 'retired' && d.product_version.startsWith('3.'))!;
    const started = await api('POST', '/runbook-executions', { runbook_id: RB, deployment_id: dep.id });
    expect(started.status).toBe(201);
    executionId = started.body.id;

    browser = await launchChromium();
    const context = await browser.newContext(PHONE);
    await context.addInitScript((t) => localStorage.setItem('fleetbook.token', t), token);
    phone = { context, page: await context.newPage() };
    await phone.page.goto(`${base}/runbooks/${RB}?execution=${executionId}`);
    await phone.page.getByTestId('runner-execution').waitFor({ timeout: 15_000 });
  });

  afterAll(async () => {
    await browser?.close();
    await stopCli(proc);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('offline, a pasted link lets the item be ticked; back online the link then the tick reach the API, once each', async () => {
    const url = 'https://fleet.example.net/stations/dev_dock07';
    await expect
      .poll(() => phone.page.getByTestId('runbook-runner').getAttribute('data-live'), { timeout: 15_000 })
      .toBe('online');
    await phone.context.setOffline(true);
    await phone.page.getByTestId(`runner-link-${LINK_ITEM}`).fill(url);
    await phone.page.getByTestId(`runner-link-save-${LINK_ITEM}`).click();
    // The queued link counts as the evidence: the item can be ticked.
    const check = phone.page.getByTestId(`runner-check-${LINK_ITEM}`);
    await expect.poll(() => check.isEnabled(), { timeout: 5000 }).toBe(true);
    // …and is shown on the item, marked as not sent yet.
    const queuedLink = item(LINK_ITEM).getByTestId(`runner-queued-link-${LINK_ITEM}`);
    expect(await queuedLink.innerText()).toContain(url);
    expect(await queuedLink.innerText()).toContain('waiting to be sent');
    await check.click();
    await expect.poll(() => item(LINK_ITEM).getAttribute('data-checked'), { timeout: 5000 }).toBe('true');
    await expect.poll(pending, { timeout: 5000 }).toBe('2');
    // Nothing reached the API yet.
    expect((await serverItem(LINK_ITEM)).checked).toBe(false);
    expect(await activityOf(LINK_ITEM)).toEqual([]);
    await fitsAndAxe();
    await item(LINK_ITEM).screenshot({ path: screenshotPath('runner-offline-link-ticked') });

    await phone.context.setOffline(false);
    await expect.poll(async () => (await serverItem(LINK_ITEM)).checked, { timeout: 15_000 }).toBe(true);
    await expect.poll(pending, { timeout: 10_000 }).toBe('0');
    const stored = await serverItem(LINK_ITEM);
    expect(stored.evidence_items).toHaveLength(1);
    expect(stored.evidence_items[0]).toMatchObject({ kind: 'link', url, by: 'alice' });
    // In order, once each: the link, then the tick.
    const rows = await activityOf(LINK_ITEM);
    expect(rows.map((r) => r.action)).toEqual(['link', 'tick']);
    expect(Date.parse(rows[0]!.client_at!)).toBeLessThanOrEqual(Date.parse(rows[1]!.client_at!));
    // The page shows the stored link, and the queued one is gone.
    await expect.poll(() => queuedLink.count(), { timeout: 5000 }).toBe(0);
    await expect
      .poll(() => item(LINK_ITEM).locator('[data-testid^="runner-evidence-"][data-kind="link"]').count(), {
        timeout: 5000,
      })
      .toBe(1);
  });

  it('offline, a picked photo is shown at once, marked waiting to upload; back online it is stored and ticks the item', async () => {
    const bytes = png(32, 20);
    await phone.context.setOffline(false);
    await expect.poll(pending, { timeout: 10_000 }).toBe('0');
    await phone.context.setOffline(true);
    await phone.page
      .getByTestId(`runner-photo-${PHOTO_ITEM}`)
      .setInputFiles({ name: 'portal.png', mimeType: 'image/png', buffer: bytes });
    // The picked photo itself is drawn on the item (from the phone: an object URL), marked as not uploaded.
    const img = item(PHOTO_ITEM).locator('img[src^="blob:"]');
    await expect.poll(() => img.count(), { timeout: 5000 }).toBe(1);
    const preview = item(PHOTO_ITEM).getByTestId(`runner-queued-photo-${PHOTO_ITEM}`);
    expect(await preview.innerText()).toContain('waiting to upload');
    await expect.poll(() => img.evaluate((el) => (el as HTMLImageElement).naturalWidth), { timeout: 5000 }).toBe(32);
    expect(await img.getAttribute('alt')).toContain('portal.png');
    expect(await item(PHOTO_ITEM).getAttribute('data-checked')).toBe('true');
    expect((await serverItem(PHOTO_ITEM)).evidence_items).toEqual([]);
    await fitsAndAxe();
    await item(PHOTO_ITEM).screenshot({ path: screenshotPath('runner-offline-photo-preview') });

    await phone.context.setOffline(false);
    await expect.poll(async () => (await serverItem(PHOTO_ITEM)).checked, { timeout: 15_000 }).toBe(true);
    await expect.poll(pending, { timeout: 10_000 }).toBe('0');
    const stored = await serverItem(PHOTO_ITEM);
    expect(stored.evidence_items).toHaveLength(1);
    expect(stored.evidence_items[0]).toMatchObject({ kind: 'photo', size: bytes.length, filename: 'portal.png' });
    expect((await activityOf(PHOTO_ITEM)).map((r) => r.action)).toEqual(['evidence', 'tick']);
    await expect.poll(() => preview.count(), { timeout: 5000 }).toBe(0);
  });

  it('the history names each item by its text, with its id beside it', async () => {
    await phone.context.setOffline(false);
    // A row of its own for each item, whatever the tests before left.
    for (const id of [LINK_ITEM, PHOTO_ITEM])
      expect(
        (await api('POST', `/runbook-executions/${executionId}/items/${id}/note`, { note: 'checked twice' })).status,
      ).toBe(200);
    const history = phone.page.getByTestId('runner-history');
    await history.locator('summary').click();
    await expect.poll(() => history.locator('li').count(), { timeout: 10_000 }).toBeGreaterThan(0);
    expect(await history.innerText()).toContain(LINK_TEXT);
    const row = history.getByTestId(`runner-history-item-${LINK_ITEM}`).first();
    expect(await row.innerText()).toContain(LINK_TEXT);
    expect(await row.getAttribute('title')).toBe(LINK_ITEM);
    expect(await row.locator('code').innerText()).toBe(LINK_ITEM);
    expect(await history.innerText()).toContain('Portal frame fixed to the wall');
    await fitsAndAxe();
    await history.screenshot({ path: screenshotPath('runner-history-item-text') });
  });
});
