import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { axeScan, blocking, countByImpact } from '../helpers/axe.ts';
import { launchChromium, screenshotPath } from '../helpers/browser.ts';
import { firstStart, startSite, stopCli } from '../helpers/cli.ts';
import { freePort } from '../helpers/ports.ts';
import { requestJson } from '../helpers/http.ts';
import { png } from '../helpers/png.ts';

// runbooks.md "Execution in the browser", as people use it: `fleetbook start --demo` spawned
// as a user would, two (three) people in separate browser contexts on the same execution.
// - A starts an execution for a deployment; B opens it; A's tick appears on B within 1 s;
// - a gate with `sign_off: lead` blocks the next gate until a lead signs off;
// - a photo chosen in the file input is stored and shown with its sha-256;
// - offline, three ticks are queued; back online they reach the server in order and B sees them;
// - after one visit the page itself reopens with the network off (the service worker);
// - axe-core finds nothing critical or serious (nor a landmark without a name of its own, a skipped heading level, an alt that repeats its link's text or a header cell without a name) on the page, read or executing, light or dark.

const RB = 'rb-practice-first-execution';
const DEPLOYMENT = 'dep_farm-north-1';

describe('runbook executions in the browser (two people, one execution)', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetbook-e2e-rb-'));
  let proc: ReturnType<typeof startSite>;
  let base: string;
  let browser: Browser;
  const tokens: Record<string, string> = {};
  let a: { context: BrowserContext; page: Page };
  let b: { context: BrowserContext; page: Page };
  let executionId = '';

  const api = (token: string, method: string, url: string, body?: unknown) =>
    requestJson(`${base}/api/v1${url}`, { method, token, body });
  const serverItem = async (item: string) => {
    const e = (await api(tokens.alice!, 'GET', `/runbook-executions/${executionId}`)).body;
    return e.gates.flatMap((g: { items: { id: string }[] }) => g.items).find((i: { id: string }) => i.id === item);
  };
  const open = async (token: string, options: { width?: number; height?: number; dark?: boolean } = {}) => {
    const context = await browser.newContext({
      viewport: { width: options.width ?? 1280, height: options.height ?? 900 },
      colorScheme: options.dark ? 'dark' : 'light',
    });
    await context.addInitScript((t) => localStorage.setItem('fleetbook.token', t), token);
    const page = await context.newPage();
    return { context, page };
  };
  const item = (page: Page, id: string) => page.getByTestId(`runner-item-${id}`);
  /** The page's live connection is up (SSE `ready` seen), so changes from others can arrive. */
  const live = (page: Page) =>
    expect.poll(() => page.getByTestId('runbook-runner').getAttribute('data-live'), { timeout: 15_000 }).toBe('online');

  beforeAll(async () => {
    const [port, mqttPort] = [await freePort(), await freePort()];
    proc = startSite({
      port,
      mqttPort,
      dataDir,
      demo: 'quiet',
      env: { FLEETBOOK_BLOB_DIR: path.join(dataDir, 'blobs') },
    });
    const started = await firstStart(proc);
    base = started.base;
    const admin = started.admin;
    for (const name of ['alice', 'bob', 'lena']) {
      const res = await api(admin, 'POST', '/tokens', { name, role: 'operator' });
      expect(res.status).toBe(201);
      tokens[name] = res.body.token;
    }
    expect((await api(admin, 'PUT', '/runbook-leads/lena')).status).toBe(200);
    browser = await launchChromium();
    a = await open(tokens.alice!);
    b = await open(tokens.bob!, { width: 390, height: 844, dark: true });
  });

  afterAll(async () => {
    await browser?.close();
    await stopCli(proc);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('A starts an execution for a deployment; B opens it; A’s tick appears on B within 1 s', async () => {
    await a.page.goto(`${base}/runbooks/${RB}`);
    await a.page.getByTestId('runner-start').click();
    await a.page.getByTestId('runner-deployment-search').fill('farm-north-1');
    await a.page.getByTestId(`runner-deployment-${DEPLOYMENT}`).click();
    const execution = a.page.getByTestId('runner-execution');
    await execution.waitFor();
    executionId = (await execution.getAttribute('data-execution-id'))!;
    expect(executionId).toMatch(/^run_/);
    expect(new URL(a.page.url()).searchParams.get('execution')).toBe(executionId);
    const created = (await api(tokens.alice!, 'GET', `/runbook-executions/${executionId}`)).body;
    expect(created).toMatchObject({
      runbook: { id: RB, version: 1 },
      deployment_id: DEPLOYMENT,
      started_by: 'alice',
      state: 'in_progress',
    });

    await b.page.goto(`${base}/runbooks/${RB}?execution=${executionId}`);
    await b.page.getByTestId('runner-execution').waitFor();
    expect(await b.page.locator('html').getAttribute('data-theme')).toBe('dark');
    await live(b.page);
    await live(a.page);

    await a.page.getByTestId('runner-check-deployment-page').click();
    // "Two people on the same execution see each other's ticks live": within 1 s.
    await expect
      .poll(() => item(b.page, 'deployment-page').getAttribute('data-checked'), { timeout: 1000, interval: 25 })
      .toBe('true');
    expect(await b.page.getByTestId('runner-item-meta-deployment-page').innerText()).toContain('alice');
    expect((await serverItem('deployment-page')).by).toBe('alice');
    // And the other way round.
    await b.page.getByTestId('runner-check-ppe').click();
    await expect
      .poll(() => item(a.page, 'ppe').getAttribute('data-checked'), { timeout: 1000, interval: 25 })
      .toBe('true');
    expect(await a.page.getByTestId('runner-item-meta-ppe').innerText()).toContain('bob');

    // The phone fits its screen: nothing wider than 390 px.
    const overflow = await b.page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    expect(overflow).toBeLessThanOrEqual(0);
    await a.page.screenshot({ path: screenshotPath('runbook-runner-a-desktop'), fullPage: false });
    await b.page.getByTestId('runner-gate-g1-prepare').scrollIntoViewIfNeeded();
    await b.page.screenshot({ path: screenshotPath('runbook-runner-b-phone-dark'), fullPage: false });
  });

  it('accessibility (axe-core): the runbook page read and while executing, light and dark: no critical or serious finding, no landmark-unique, heading-order, image-redundant-alt or empty-table-header', async () => {
    const found: Record<string, ReturnType<typeof countByImpact>> = {};
    const problems: string[] = [];
    const check = async (page: Page, name: string) => {
      const findings = await axeScan(page);
      found[name] = countByImpact(findings);
      problems.push(...blocking(findings).map((p) => `${name}: ${p}`));
    };
    for (const dark of [false, true]) {
      const scheme = dark ? 'dark' : 'light';
      const reader = await open(tokens.alice!, { dark });
      await reader.page.goto(`${base}/runbooks/${RB}`);
      await reader.page.getByTestId('runner-start').waitFor();
      await check(reader.page, `read ${scheme}`);
      await reader.page.screenshot({ path: screenshotPath(`runbook-read-desktop-${scheme}`), fullPage: false });
      await reader.context.close();
    }
    // Executing: A on a desktop in light mode, B on a phone in dark mode, with ticks, a locked gate and chips.
    await check(a.page, 'executing light');
    await check(b.page, 'executing dark (phone)');
    console.log(
      `axe (critical/serious/moderate/minor nodes): ${Object.entries(found)
        .map(([k, c]) => `${k} ${c.critical}/${c.serious}/${c.moderate}/${c.minor}`)
        .join('; ')}`,
    );
    expect(problems).toEqual([]);
  });

  it('a gate with sign_off blocks the next gate until a lead signs off', async () => {
    await a.page.getByTestId('runner-note-site-notes').fill('Site LAN 10.20.0.0/24, fibre uplink, LTE backup');
    await a.page.getByTestId('runner-note-save-site-notes').click();
    await expect
      .poll(() => a.page.getByTestId('runner-gate-g1-prepare').getAttribute('data-status'), { timeout: 5000 })
      .toBe('awaiting_sign_off');
    expect(await a.page.getByTestId('runner-state').getAttribute('data-state')).toBe('blocked');
    expect(await a.page.getByTestId('runner-gate-g2-bench').getAttribute('data-status')).toBe('locked');
    expect(await a.page.getByTestId('runner-gate-locked-g2-bench').innerText()).toContain('awaits sign-off by a lead');
    expect(await a.page.getByTestId('runner-check-unbox').isDisabled()).toBe(true);
    // Alice is no lead: her button is off, and the API refuses her anyway.
    expect(await a.page.getByTestId('runner-signoff-g1-prepare').isDisabled()).toBe(true);
    const early = await api(tokens.alice!, 'POST', `/runbook-executions/${executionId}/items/unbox/tick`, {});
    expect(early.status).toBe(409);
    expect(early.body.message).toContain('gate g1-prepare (Prepare at the desk) awaits sign-off by a lead');
    expect(
      (await api(tokens.alice!, 'POST', `/runbook-executions/${executionId}/gates/g1-prepare/sign-off`, {})).status,
    ).toBe(403);
    await a.page.screenshot({ path: screenshotPath('runbook-runner-awaiting-sign-off'), fullPage: false });

    const lead = await open(tokens.lena!);
    await lead.page.goto(`${base}/runbooks/${RB}?execution=${executionId}`);
    await expect
      .poll(() => lead.page.getByTestId('runner-identity').getAttribute('data-lead'), { timeout: 10_000 })
      .toBe('true');
    await lead.page.getByTestId('runner-signoff-note-g1-prepare').fill('prep checked by phone');
    await lead.page.getByTestId('runner-signoff-g1-prepare').click();
    await expect
      .poll(() => a.page.getByTestId('runner-gate-g2-bench').getAttribute('data-status'), { timeout: 5000 })
      .toBe('open');
    expect(await a.page.getByTestId('runner-signed-g1-prepare').innerText()).toContain('lena');
    expect(await a.page.getByTestId('runner-state').getAttribute('data-state')).toBe('in_progress');
    await lead.page.screenshot({ path: screenshotPath('runbook-runner-lead-signed-off'), fullPage: false });
    await lead.context.close();

    await a.page.getByTestId('runner-check-unbox').click();
    await expect.poll(async () => (await serverItem('unbox')).checked, { timeout: 5000 }).toBe(true);
  });

  it('a photo from the file input is stored under its sha-256 and shown with its hash', async () => {
    const bytes = png();
    const sha = createHash('sha256').update(bytes).digest('hex');
    const input = a.page.getByTestId('runner-photo-label-photo');
    expect(await input.getAttribute('accept')).toBe('image/*');
    expect(await input.getAttribute('capture')).toBe('environment');
    await input.setInputFiles({ name: 'label.png', mimeType: 'image/png', buffer: bytes });

    const hash = item(a.page, 'label-photo').locator('[data-testid^="runner-evidence-hash-"]');
    await expect.poll(() => hash.count(), { timeout: 10_000 }).toBe(1);
    expect((await hash.innerText()).trim()).toBe(sha);
    // The upload ticks the item (queued behind it), and the thumbnail is the photo.
    await expect.poll(() => item(a.page, 'label-photo').getAttribute('data-checked'), { timeout: 5000 }).toBe('true');
    const img = item(a.page, 'label-photo').locator('img');
    await expect.poll(() => img.evaluate((el) => (el as HTMLImageElement).naturalWidth), { timeout: 5000 }).toBe(24);

    const stored = await serverItem('label-photo');
    expect(stored.evidence_items).toHaveLength(1);
    expect(stored.evidence_items[0]).toMatchObject({
      kind: 'photo',
      sha256: sha,
      size: bytes.length,
      content_type: 'image/png',
      by: 'alice',
    });
    expect(fs.readFileSync(path.join(dataDir, 'blobs', sha.slice(0, 2), sha))).toEqual(bytes);
    const served = await fetch(`${base}${stored.evidence_items[0].url}`, {
      headers: { authorization: `Bearer ${tokens.bob}` },
    });
    expect(served.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await served.arrayBuffer())).toEqual(bytes);
    // B sees the evidence too, with the same hash.
    await expect
      .poll(() => item(b.page, 'label-photo').locator('[data-testid^="runner-evidence-hash-"]').count(), {
        timeout: 5000,
      })
      .toBe(1);
    expect(
      (await item(b.page, 'label-photo').locator('[data-testid^="runner-evidence-hash-"]').innerText()).trim(),
    ).toBe(sha);
    await item(a.page, 'label-photo').screenshot({ path: screenshotPath('runbook-runner-photo-evidence') });
  });

  it('a value outside expect needs a note and is stored flagged', async () => {
    await a.page.getByTestId('runner-value-psu-voltage').fill('13.1');
    expect(await a.page.getByTestId('runner-value-warning-psu-voltage').innerText()).toContain('outside 11.5–12.5 V');
    expect(await a.page.getByTestId('runner-value-save-psu-voltage').isDisabled()).toBe(true);
    await a.page.getByTestId('runner-value-note-psu-voltage').fill('bench supply, not the field PSU');
    await a.page.getByTestId('runner-value-save-psu-voltage').click();
    await a.page.getByTestId('runner-flag-psu-voltage').waitFor({ timeout: 5000 });
    const stored = await serverItem('psu-voltage');
    expect(stored).toMatchObject({
      value: 13.1,
      flagged: true,
      checked: true,
      note: 'bench supply, not the field PSU',
    });
    await expect.poll(() => item(b.page, 'psu-voltage').getAttribute('data-flagged'), { timeout: 5000 }).toBe('true');
  });

  it('offline: the page reopens without network, three ticks are queued, then reach the server in order when the network is back, and B sees them', async () => {
    // One visit with the network on (the service worker, installed at A's first visit, now
    // controls the page and keeps the data API's answers it passed), then the network goes off.
    await a.page.reload();
    await a.page.getByTestId('runner-execution').waitFor();
    await live(a.page);
    expect(await a.page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
    await a.context.setOffline(true);
    // Off for the service worker too: an answer it never saw does not come.
    expect(
      await a.page.evaluate(() =>
        fetch(`/api/v1/health?probe=${Date.now()}`).then(
          () => 'reached',
          () => 'failed',
        ),
      ),
    ).toBe('failed');
    const reopened = await a.page.reload();
    expect(reopened?.fromServiceWorker()).toBe(true);
    const execution = a.page.getByTestId('runner-execution');
    await execution.waitFor({ timeout: 15_000 });
    expect(await execution.getAttribute('data-execution-id')).toBe(executionId);
    // What A saw online is there (from the cache), and the next items can be ticked.
    expect(await item(a.page, 'psu-voltage').getAttribute('data-checked')).toBe('true');
    expect(await item(a.page, 'unbox').getAttribute('data-checked')).toBe('true');
    expect(await a.page.getByTestId('runner-check-cable').isEnabled()).toBe(true);
    await a.page.screenshot({ path: screenshotPath('runbook-runner-reopened-offline'), fullPage: false });

    const order = ['cable', 'led', 'lid'];
    for (const id of order) await a.page.getByTestId(`runner-check-${id}`).click();
    await expect
      .poll(() => a.page.getByTestId('runner-queue').getAttribute('data-pending'), { timeout: 5000 })
      .toBe('3');
    for (const id of order) {
      expect(await item(a.page, id).getAttribute('data-checked')).toBe('true');
      expect(await item(a.page, id).getAttribute('data-pending')).toBe('1');
    }
    expect(await a.page.getByTestId('runner-queue').innerText()).toContain('3 changes waiting to be sent');
    // Nothing reached the server (the test talks to it over its own network).
    for (const id of order) expect((await serverItem(id)).checked).toBe(false);
    expect(await item(b.page, 'cable').getAttribute('data-checked')).toBe('false');
    await a.page.screenshot({ path: screenshotPath('runbook-runner-offline-queue'), fullPage: false });

    await a.context.setOffline(false);
    await expect
      .poll(async () => Promise.all(order.map(async (id) => (await serverItem(id)).checked)), { timeout: 15_000 })
      .toEqual([true, true, true]);
    const activity = (await api(tokens.alice!, 'GET', `/runbook-executions/${executionId}/activity`)).body.items as {
      id: number;
      action: string;
      item_id: string;
      client_at: string | null;
    }[];
    const ticks = activity.filter((x) => x.action === 'tick' && order.includes(x.item_id));
    expect(ticks.map((x) => x.item_id)).toEqual(order);
    // Sent in the order they were done, each with the time it was done on the device.
    const doneAt = ticks.map((x) => Date.parse(x.client_at!));
    expect([...doneAt].sort((p, q) => p - q)).toEqual(doneAt);
    await expect
      .poll(() => a.page.getByTestId('runner-queue').getAttribute('data-pending'), { timeout: 5000 })
      .toBe('0');
    for (const id of order)
      await expect.poll(() => item(b.page, id).getAttribute('data-checked'), { timeout: 5000 }).toBe('true');
    await b.page.screenshot({ path: screenshotPath('runbook-runner-b-after-offline'), fullPage: true });
  });

  it('a stale change is shown as a conflict (changed by whom), and the finished execution is listed', async () => {
    // A unticks `lid` offline (queued with the version A saw); meanwhile B changes it.
    const lid = await serverItem('lid');
    await a.context.setOffline(true);
    await a.page.getByTestId('runner-check-lid').click();
    await expect
      .poll(() => a.page.getByTestId('runner-queue').getAttribute('data-pending'), { timeout: 5000 })
      .toBe('1');
    expect(
      (
        await api(tokens.bob!, 'POST', `/runbook-executions/${executionId}/items/lid/untick`, {
          if_version: lid.version,
        })
      ).status,
    ).toBe(200);
    await a.context.setOffline(false);
    await a.page.getByTestId('runner-conflict-lid').waitFor({ timeout: 15_000 });
    expect(await a.page.getByTestId('runner-conflict-lid').innerText()).toContain('changed by bob');
    await a.page.getByTestId('runner-conflict-lid').screenshot({ path: screenshotPath('runbook-runner-conflict') });
    await a.page.getByTestId('runner-conflict-lid').getByRole('button').click();

    await expect.poll(() => item(a.page, 'lid').getAttribute('data-checked'), { timeout: 5000 }).toBe('false');
    await a.page.getByTestId('runner-check-lid').click();
    await a.page.getByTestId('runner-note-surprise').fill('How fast the phone showed my ticks');
    await a.page.getByTestId('runner-note-save-surprise').click();
    await a.page.getByTestId('runner-check-tidy').click();
    await expect.poll(() => a.page.getByTestId('runner-finish').isEnabled(), { timeout: 5000 }).toBe(true);
    await a.page.getByTestId('runner-finish').click();
    await expect
      .poll(() => a.page.getByTestId('runner-state').getAttribute('data-state'), { timeout: 5000 })
      .toBe('done');
    await expect
      .poll(() => b.page.getByTestId('runner-state').getAttribute('data-state'), { timeout: 5000 })
      .toBe('done');
    expect((await api(tokens.alice!, 'POST', `/runbook-executions/${executionId}/items/lid/untick`, {})).status).toBe(
      409,
    );

    await a.page.goto(`${base}/runbooks`);
    const row = a.page.getByTestId(`execution-row-${executionId}`);
    await row.waitFor({ timeout: 10_000 });
    expect(await row.getAttribute('data-state')).toBe('done');
    await a.page.getByTestId('execution-list').screenshot({ path: screenshotPath('runbook-execution-list') });
  });

  it('tutorial progress: steps marked done on the track page and on a step page show on My onboarding', async () => {
    await a.page.goto(`${base}/docs/tutorials/fleetbook-basics`);
    await expect
      .poll(() => a.page.getByTestId('tutorial-track').getAttribute('data-state'), { timeout: 10_000 })
      .toBe('ready');
    expect(await a.page.getByTestId('tutorial-step-1').getAttribute('data-done')).toBe('false');
    await a.page.getByTestId('tutorial-step-toggle-1').click();
    await expect
      .poll(() => a.page.getByTestId('tutorial-step-1').getAttribute('data-done'), { timeout: 5000 })
      .toBe('true');

    await a.page.goto(`${base}/docs/tutorials/fleetbook-basics/tut-basics-5-execute-a-runbook`);
    await expect.poll(() => a.page.getByTestId('tutorial-step-mark').isEnabled(), { timeout: 10_000 }).toBe(true);
    await a.page.getByTestId('tutorial-step-mark').click();
    await expect
      .poll(() => a.page.getByTestId('tutorial-step-progress').getAttribute('data-done'), { timeout: 5000 })
      .toBe('true');

    const progress = (await api(tokens.alice!, 'GET', '/tutorial-progress/fleetbook-basics')).body;
    expect(
      progress.steps
        .filter((s: { completed_at: string | null }) => s.completed_at)
        .map((s: { step: number }) => s.step),
    ).toEqual([1, 5]);
    await a.page.goto(`${base}/docs/tutorials/my-onboarding`);
    await expect
      .poll(() => a.page.getByTestId('onboarding-track-fleetbook-basics').getAttribute('data-done'), {
        timeout: 10_000,
      })
      .toBe('2');
    expect(await a.page.getByTestId('my-onboarding').innerText()).toContain('alice');
    await a.page.getByTestId('my-onboarding').screenshot({ path: screenshotPath('tutorial-my-onboarding') });
  });

  // runbooks.md: "Two people on the same execution see each other's ticks live". A second person
  // at the same deployment who taps Start is offered the colleague's open execution, instead of
  // silently getting a parallel one that neither sees the other's ticks on.
  it('picking a deployment with an open execution of the runbook resumes it (on a phone); Start another stays beside it', async () => {
    const deployments = (await api(tokens.alice!, 'GET', '/deployments?limit=100')).body.items as {
      id: string;
      state: string;
    }[];
    const dep = deployments.find((d) => d.state !== 'retired' && d.id !== DEPLOYMENT)!;
    const started = await api(tokens.alice!, 'POST', '/runbook-executions', { runbook_id: RB, deployment_id: dep.id });
    expect(started.status).toBe(201);
    const executionsOf = async () =>
      (await api(tokens.alice!, 'GET', `/runbook-executions?runbook_id=${RB}&deployment_id=${dep.id}`)).body.items as {
        id: string;
      }[];

    const phone = await open(tokens.bob!, { width: 390, height: 844 });
    await phone.page.goto(`${base}/runbooks/${RB}`);
    await phone.page.getByTestId('runner-start').click();
    await phone.page.getByTestId('runner-deployment-search').fill(dep.id);
    const option = phone.page.getByTestId(`runner-deployment-${dep.id}`);
    await expect.poll(() => option.getAttribute('data-open-execution'), { timeout: 10_000 }).toBe(started.body.id);
    const says = await phone.page.getByTestId(`runner-deployment-open-${dep.id}`).innerText();
    expect(says).toContain('started by alice');
    expect(says).toContain('Resume it');
    // Both choices lie within the 390 px screen, nothing scrolls sideways.
    const another = phone.page.getByTestId(`runner-deployment-new-${dep.id}`);
    for (const box of [await option.boundingBox(), await another.boundingBox()]) {
      expect(box!.x).toBeGreaterThanOrEqual(0);
      expect(box!.x + box!.width).toBeLessThanOrEqual(390);
      expect(box!.height).toBeGreaterThanOrEqual(40);
    }
    expect(
      await phone.page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth),
    ).toBeLessThanOrEqual(0);
    await phone.page
      .getByTestId('runner-deployment-picker')
      .screenshot({ path: screenshotPath('runner-picker-resume') });
    expect(blocking(await axeScan(phone.page))).toEqual([]);

    await option.click();
    const execution = phone.page.getByTestId('runner-execution');
    await execution.waitFor();
    expect(await execution.getAttribute('data-execution-id')).toBe(started.body.id);
    expect(new URL(phone.page.url()).searchParams.get('execution')).toBe(started.body.id);
    expect((await executionsOf()).map((e) => e.id)).toEqual([started.body.id]);

    // Two gateways of one deployment may be installed in parallel: Start another still starts one.
    await phone.page.goto(`${base}/runbooks/${RB}`);
    await phone.page.getByTestId('runner-start').click();
    await phone.page.getByTestId('runner-deployment-search').fill(dep.id);
    await expect.poll(() => option.getAttribute('data-open-execution'), { timeout: 10_000 }).toBe(started.body.id);
    await another.click();
    await execution.waitFor();
    const second = await execution.getAttribute('data-execution-id');
    expect(second).not.toBe(started.body.id);
    expect((await executionsOf()).map((e) => e.id).sort()).toEqual([started.body.id, second].sort());
    await phone.context.close();
  });

  // The API refuses a start for a deployment outside the runbook's product_versions (409, runbookMisfit);
  // the picker said nothing of it until the tap. It now greys such a deployment out and says why.
  it('the picker greys out a deployment the runbook is not for (another version) and says why; one it fits starts', async () => {
    const pumps = (await api(tokens.alice!, 'GET', '/deployments?product_code=pump-ctl&limit=100')).body.items as {
      id: string;
      product_version: string;
      state: string;
    }[];
    const old = pumps.find((d) => d.product_version === '1.4.2' && d.state !== 'retired')!;
    const current = pumps.find((d) => d.product_version === '1.5.0' && d.state !== 'retired')!;
    const phone = await open(tokens.bob!, { width: 390, height: 844 });
    await phone.page.goto(`${base}/runbooks/rb-pump-ctl-1-5-0-bring-up`);
    await phone.page.getByTestId('runner-start').click();
    await phone.page.getByTestId('runner-deployment-search').fill(old.id);
    const option = phone.page.getByTestId(`runner-deployment-${old.id}`);
    await option.waitFor();
    expect(await option.getAttribute('data-misfit')).toBe('true');
    expect(await option.isDisabled()).toBe(true);
    expect(await phone.page.getByTestId(`runner-deployment-misfit-${old.id}`).innerText()).toBe(
      'Not for this runbook: it runs pump-ctl 1.4.2, the runbook is for pump-ctl 1.5.0.',
    );
    expect(blocking(await axeScan(phone.page))).toEqual([]);

    await phone.page.getByTestId('runner-deployment-search').fill(current.id);
    const fits = phone.page.getByTestId(`runner-deployment-${current.id}`);
    await fits.waitFor();
    expect(await fits.getAttribute('data-misfit')).toBeNull();
    await fits.click();
    const execution = phone.page.getByTestId('runner-execution');
    await execution.waitFor();
    const id = await execution.getAttribute('data-execution-id');
    expect((await api(tokens.alice!, 'GET', `/runbook-executions/${id}`)).body.deployment_id).toBe(current.id);
    await phone.context.close();
  });
});
