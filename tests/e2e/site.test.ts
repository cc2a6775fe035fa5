import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { axeScan, blocking, countByImpact } from '../helpers/axe.ts';
import { launchChromium, screenshotPath } from '../helpers/browser.ts';
import { ROOT, startSite, stopCli } from '../helpers/cli.ts';
import { layoutProblems, MIN_DIAGRAM_SCALE, openInApp, PHONE, settle, sitemapPaths } from '../helpers/phone.ts';
import { freePort } from '../helpers/ports.ts';

// The product as a user starts it: `fleetbook start` builds the site when it is missing
// or stale, serves it with the API on one port, on embedded PGlite + aedes.
describe('the site, served by fleetbook start, in Chromium', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetbook-e2e-'));
  let proc: ReturnType<typeof startSite>;
  let base: string;
  // The first embedded start prints an admin token (the demo's reads are open to localhost, writes are not).
  let admin: string | undefined;
  let browser: Browser;

  beforeAll(async () => {
    const [port, mqttPort] = [await freePort(), await freePort()];
    proc = startSite({ port, mqttPort, dataDir, demo: 'quiet' });
    ({ base, admin } = await proc.site);
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
    await expect
      .poll(() => page.getByTestId('api-status-database').getAttribute('data-state'))
      .toBe(apiHealth.database.status);
    await expect
      .poll(() => page.getByTestId('api-status-broker').getAttribute('data-state'))
      .toBe(apiHealth.broker.status);
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

  it('search: a word from a runbook’s body finds that runbook; a device id typed in the same box jumps to its page', async () => {
    // A word that only one runbook's body holds, not its title: the index has the pages' text.
    const word = 'rangefinder';
    const holders = fs.readdirSync(path.join(ROOT, 'runbooks')).filter(
      (f) =>
        f.endsWith('.mdx') &&
        fs
          .readFileSync(path.join(ROOT, 'runbooks', f), 'utf8')
          .toLowerCase()
          .includes(word),
    );
    expect(holders).toEqual(['site-survey.mdx']);
    const source = fs.readFileSync(path.join(ROOT, 'runbooks', holders[0]!), 'utf8');
    const [id, title] = [/^id: (.+)$/m.exec(source)![1]!, /^title: (.+)$/m.exec(source)![1]!];
    expect(title.toLowerCase()).not.toContain(word);

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(base + '/docs/getting-started');
    const box = page.getByPlaceholder('Search');
    await box.click();
    await box.pressSequentially(word, { delay: 20 });
    // Every key lands in the box (the fleet lookup listens to the same input).
    expect(await box.inputValue()).toBe(word);
    const hit = page
      .getByRole('option')
      .filter({ has: page.locator('mark', { hasText: new RegExp(word, 'i') }) })
      .first();
    await hit.waitFor({ timeout: 15_000 });
    await page.screenshot({ path: screenshotPath('search-runbook-body'), fullPage: false });
    await hit.click();
    await page.waitForURL((u) => u.pathname === `/runbooks/${id}`, { timeout: 10_000 });
    await expect.poll(() => page.locator('h1').first().innerText(), { timeout: 10_000 }).toBe(title);

    // A device by its id, from the registry API: Enter on the exact id opens its live page.
    const device = 'dev_farm-north-4-001';
    expect((await fetch(`${base}/api/v1/devices/${device}`)).status).toBe(200);
    await box.fill('');
    await box.click();
    await box.pressSequentially(device, { delay: 10 });
    await page.getByTestId(`search-fleet-${device}`).waitFor({ timeout: 10_000 });
    expect(await page.getByTestId('search-fleet').innerText()).toContain('device');
    await page.screenshot({ path: screenshotPath('search-device-id'), fullPage: false });
    await box.press('Enter');
    await page.waitForURL((u) => u.pathname === '/device' && u.searchParams.get('id') === device, { timeout: 10_000 });
    await expect.poll(() => page.locator('h1').first().innerText(), { timeout: 10_000 }).toBe(`device ${device}`);
    await expect
      .poll(() => page.getByTestId('device-health').first().getAttribute('data-state'), { timeout: 15_000 })
      .toBe('ready');
    await page.getByTestId('device-state').waitFor({ timeout: 10_000 });
    await page.screenshot({ path: screenshotPath('device-page'), fullPage: true });
    await page.close();
  });

  it('search on a phone: the fleet matches do not cover the handbook’s results, and a picked result closes them', async () => {
    const context = await browser.newContext(PHONE);
    const page = await context.newPage();
    await page.goto(base + '/docs/dashboards/');
    const box = page.getByPlaceholder('Search');
    await box.click();
    // "pump" is both in the fleet (sites, deployments, devices) and in the handbook's pages.
    await box.pressSequentially('pump', { delay: 20 });
    const fleet = page.getByTestId('search-fleet');
    await fleet.waitFor({ timeout: 10_000 });
    const hit = page.getByRole('option').first();
    await hit.waitFor({ timeout: 15_000 });
    await settle(page, 2_000);
    await page.screenshot({ path: screenshotPath('search-fleet-and-handbook-phone'), fullPage: false });
    // The first handbook result is on screen and is what a tap there reaches, not the fleet panel.
    const at = (await hit.boundingBox())!;
    expect(at.y + at.height / 2).toBeLessThan(PHONE.viewport!.height);
    const onTop = await page.evaluate(
      ([x, y]) => !!document.elementFromPoint(x!, y!)?.closest('[role="option"]'),
      [at.x + at.width / 2, at.y + at.height / 2],
    );
    expect(onTop).toBe(true);
    const from = page.url();
    await hit.tap();
    await page.waitForURL((u) => u.href !== from, { timeout: 10_000 });
    // The address changes at once; Docusaurus draws the new page (and the panel closes) once its
    // chunks have loaded, which on a loaded machine is later than the next line would look.
    await expect.poll(() => fleet.count(), { timeout: 10_000 }).toBe(0);
    await context.close();
  });

  it('registry pages on a phone: a site says what the registry knows of it, and every site, deployment and device a page names links to its own page', async () => {
    const api = async <T>(path: string): Promise<T> => (await (await fetch(`${base}/api/v1${path}`)).json()) as T;
    const siteId = 'site_farm-north';
    const site = await api<{
      name: string;
      customer_id: string;
      network_server: string;
      lan_notes: string;
      region: string;
    }>(`/sites/${siteId}`);
    const customer = await api<{ name: string }>(`/customers/${site.customer_id}`);
    const [dep] = (
      await api<{ items: Array<{ id: string; name: string; product_code: string; state: string }> }>(
        `/deployments?site_id=${siteId}&product_code=lorawan-gw&limit=1`,
      )
    ).items;
    const [device] = (
      await api<{ items: Array<{ id: string; serial: string | null }> }>(`/devices?deployment_id=${dep!.id}&limit=1`)
    ).items;
    expect(site.network_server && site.lan_notes && dep && device).toBeTruthy();

    const context = await browser.newContext(PHONE);
    // An operator in the browser (the runner reads its token from here): starts an execution below.
    expect(admin).toBeTruthy();
    await context.addInitScript((t) => localStorage.setItem('fleetbook.token', t), admin!);
    const page = await context.newPage();
    const fact = (kind: string, label: string) =>
      page.getByTestId(`${kind}-facts-list`).locator(`[data-fact="${label}"]`).innerText();
    const follow = async (kind: string, id: string, from = page.getByTestId(`fleet-link-${kind}-${id}`).first()) => {
      await from.click();
      await page.waitForURL((u) => u.pathname === `/${kind}` && u.searchParams.get('id') === id, { timeout: 10_000 });
      await page.getByTestId(`${kind}-facts-list`).waitFor({ timeout: 15_000 });
    };

    await page.goto(`${base}/site?id=${siteId}`);
    await page.getByTestId('site-facts-list').waitFor({ timeout: 15_000 });
    expect(await fact('site', 'Name')).toBe(site.name);
    // The customer's name comes from a read of its own, after the site's.
    await expect.poll(() => fact('site', 'Customer'), { timeout: 10_000 }).toBe(customer.name);
    expect(await fact('site', 'Network server')).toBe(site.network_server);
    expect(await fact('site', 'LAN notes')).toBe(site.lan_notes);
    expect(await fact('site', 'Radio region')).toBe(site.region);
    // The site's wall clock, as the browser (en-US) writes it: now or a minute ago, not this machine's time.
    const wall = (ms: number) =>
      new Intl.DateTimeFormat('en-US', { timeZone: 'Asia/Bangkok', hour: '2-digit', minute: '2-digit' }).format(ms);
    const shown = await fact('site', 'Time zone');
    expect([wall(Date.now()), wall(Date.now() - 60_000)].map((t) => `Asia/Bangkok · ${t} there now`)).toContain(shown);
    // Its devices by product: each product links to its catalog page.
    const products = await api<{ groups: Array<{ key: string }> }>(`/fleet/health?group_by=product&site_id=${siteId}`);
    expect(products.groups.length).toBeGreaterThan(0);
    for (const { key } of products.groups)
      await expect
        .poll(() => page.getByTestId(`fleet-health-row-${key}`).getByRole('link').first().getAttribute('href'), {
          timeout: 10_000,
        })
        .toBe(`/docs/products/${key}`);
    expect(await page.getByTestId('alert-list').count()).toBe(1);
    expect(await page.getByTestId('execution-list').count()).toBe(1);
    // Its tickets and tasks, and only its own: each open item of the site is a card on its board.
    const open = async (q: string) =>
      (await api<{ items: Array<{ id: string }> }>(`/work-items?state=open&limit=100&${q}`)).items.map((i) => i.id);
    const here = await open(`site_id=${siteId}`);
    const elsewhere = (await open('')).filter((i) => !here.includes(i));
    expect(here.length + elsewhere.length).toBeGreaterThan(0);
    const board = page.getByTestId('work-board');
    await expect.poll(() => board.getAttribute('data-count-open'), { timeout: 15_000 }).toBe(String(here.length));
    for (const item of here) expect(await board.getByTestId(`work-card-${item}`).count()).toBe(1);
    for (const item of elsewhere) expect(await board.getByTestId(`work-card-${item}`).count()).toBe(0);
    // "Devices down" with none down says what it holds, not "No device matches these filters".
    const down = await api<{ items: unknown[] }>(`/devices?site_id=${siteId}&status=down&limit=1`);
    const downTable = page.getByTestId('device-table');
    await expect
      .poll(() => downTable.getAttribute('data-state'), { timeout: 15_000 })
      .toBe(down.items.length ? 'ready' : 'empty');
    if (!down.items.length) expect(await downTable.innerText()).toContain('No device of this site is down.');
    await page.screenshot({ path: screenshotPath('site-page-phone'), fullPage: true });

    // The site's deployment board → the deployment's page: its facts, devices and runbook executions.
    await follow('deployment', dep!.id);
    // The site by its name (read of its own), its id in small type after it.
    await expect.poll(() => fact('deployment', 'Site'), { timeout: 10_000 }).toBe(`${site.name} ${siteId}`);
    expect(await fact('deployment', 'Product')).toContain(dep!.product_code);
    expect(await fact('deployment', 'State')).toContain(dep!.state);
    await expect
      .poll(() => page.getByTestId('execution-list').getAttribute('data-state'), { timeout: 15_000 })
      .toMatch(/^(ready|empty)$/);
    // Its runbooks: those of its product whose versions include its own (both lorawan-gw ">=2.0 <3"
    // runbooks of the catalog for a 2.x gateway), each with a start; starting one opens the runner
    // with this deployment picked out, and the page then offers to resume it.
    const runbookRows = page.locator('li[data-testid^="deployment-runbook-"]');
    await expect
      .poll(() => runbookRows.evaluateAll((rows) => rows.map((r) => r.getAttribute('data-testid'))), {
        timeout: 15_000,
      })
      .toEqual(['deployment-runbook-rb-lorawan-gateway-install', 'deployment-runbook-rb-site-survey']);
    await page.getByTestId('deployment-runbook-start-rb-site-survey').click();
    await page.waitForURL(
      (u) => u.pathname === '/runbooks/rb-site-survey' && u.searchParams.get('deployment') === dep!.id,
    );
    expect(await page.getByTestId('runner-deployment-search').inputValue()).toBe(dep!.id);
    await page.getByTestId(`runner-deployment-${dep!.id}`).click();
    await page.waitForURL((u) => /^run_/.test(u.searchParams.get('execution') ?? ''), { timeout: 10_000 });
    const executionId = new URL(page.url()).searchParams.get('execution')!;
    await page.goBack();
    await page.waitForURL((u) => u.pathname === '/runbooks/rb-site-survey' && !u.searchParams.has('execution'));
    await page.goto(`${base}/deployment?id=${dep!.id}`);
    const survey = page.getByTestId('deployment-runbook-rb-site-survey');
    await expect.poll(() => survey.getAttribute('data-state'), { timeout: 15_000 }).toBe('in_progress');
    expect(await page.getByTestId('deployment-runbook-resume-rb-site-survey').getAttribute('href')).toBe(
      `/runbooks/rb-site-survey?execution=${executionId}`,
    );
    // A device row → the device's page, which links back to its deployment and site.
    await page.getByTestId(`fleet-link-device-${device!.id}`).waitFor({ timeout: 15_000 });
    await follow('device', device!.id);
    await expect.poll(() => fact('device', 'Deployment'), { timeout: 10_000 }).toBe(`${dep!.name} ${dep!.id}`);
    await expect.poll(() => fact('device', 'Site'), { timeout: 10_000 }).toBe(`${site.name} ${siteId}`);
    expect(await fact('device', 'Serial')).toBe(device!.serial ?? 'not set');
    await follow('site', siteId, page.getByTestId('device-facts-list').getByTestId(`fleet-link-site-${siteId}`));
    expect(await fact('site', 'Name')).toBe(site.name);

    // An id the registry does not have: the page says so, in the shared refusal words
    // (widget-refusals.mdx), instead of an empty frame. One the API would generate (a ULID body:
    // no hyphen to break at) wraps in the heading on the phone, not cut off at its right edge.
    const nowhere = 'dep_01kbz8q3m4n5p6r7s8t9v0w1x2';
    await page.goto(`${base}/deployment?id=${nowhere}`);
    await expect
      .poll(() => page.getByTestId('deployment-facts').getAttribute('data-state'), { timeout: 15_000 })
      .toBe('unavailable');
    expect(await page.getByTestId('deployment-facts').innerText()).toContain(
      `No facts for deployment ${nowhere}: the data API answered “deployment ${nowhere} not found” (404). It answers so for an id it does not have and for one this page's token may not see.`,
    );
    const problems = await layoutProblems(page);
    const heading = await page.locator('main h1').evaluate((h) => ({
      right: Math.max(...Array.from(h.querySelectorAll('code')).map((c) => c.getBoundingClientRect().right)),
      vw: document.documentElement.clientWidth,
    }));
    expect({ cutOff: heading.right > heading.vw + 1, problems }).toEqual({ cutOff: false, problems: [] });
    // A malformed id: one message naming the id the page expected, no widget and no API request.
    const asked: string[] = [];
    page.on('request', (r) => {
      if (new URL(r.url()).pathname.startsWith('/api/v1/')) asked.push(r.url());
    });
    await page.goto(`${base}/site?id=nope`);
    await page.getByTestId('fleet-page-bad-id').waitFor({ timeout: 15_000 });
    expect(await page.getByTestId('fleet-page-bad-id').innerText()).toContain('nope is not a site id: expected site_…');
    expect(await page.locator('[data-widget]').count()).toBe(0);
    await page.waitForTimeout(1_000);
    expect(asked.filter((u) => u.includes('nope'))).toEqual([]);
    await context.close();
  });

  it('an admin edits a site on a phone: LAN notes and network server saved with If-Match and shown without a reload, a bad value refused at its field, a change made meanwhile through the API is a 412 the form shows and re-applies on; a viewer gets no Edit', async () => {
    const siteId = 'site_farm-north';
    expect(admin).toMatch(/^fbk_/);
    const api = async (method: string, body?: unknown) => {
      const res = await fetch(`${base}/api/v1/sites/${siteId}`, {
        method,
        headers: { authorization: `Bearer ${admin}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      expect(res.status).toBe(200);
      return (await res.json()) as { lan_notes: string | null; network_server: string | null; updated_at: string };
    };
    const before = await api('GET');
    expect(before.network_server).not.toBe('10.20.0.31'); // a change, not the value it has

    const context = await browser.newContext(PHONE);
    await context.addInitScript((t) => localStorage.setItem('fleetbook.token', t), admin!);
    const page = await context.newPage();
    const patches: Array<{ body: unknown; ifMatch: string | undefined }> = [];
    page.on('request', (r) => {
      if (r.method() === 'PATCH' && r.url().includes(`/api/v1/sites/${siteId}`))
        patches.push({ body: r.postDataJSON(), ifMatch: r.headers()['if-match'] });
    });
    const fact = (label: string) => page.getByTestId('site-facts-list').locator(`[data-fact="${label}"]`).innerText();
    const field = (name: string) => page.getByTestId(`site-edit-${name}`);

    await page.goto(`${base}/site?id=${siteId}`);
    await page.getByTestId('site-facts-list').waitFor({ timeout: 15_000 });
    await page.getByTestId('site-edit').tap({ timeout: 10_000 });
    await page.getByTestId('site-edit-form').waitFor();
    // Labelled fields, nothing sideways, taps of 24 px or more, and axe finds nothing blocking.
    for (const label of ['Name', 'Time zone', 'Radio region', 'Network server', 'Latitude', 'Longitude', 'LAN notes'])
      expect(await page.getByLabel(label, { exact: true }).count(), label).toBe(1);
    expect(await layoutProblems(page)).toEqual([]);
    expect(blocking(await axeScan(page, { also: ['target-size'] }))).toEqual([]);

    // A bad value: the contract's message at its field, nothing sent.
    await field('network_server').fill('not a host/');
    await page.getByTestId('site-edit-save').tap();
    await expect
      .poll(() => page.getByTestId('site-edit-network_server-error').innerText(), { timeout: 5_000 })
      .toContain('expected a host name or IPv4 address');
    expect(await field('network_server').getAttribute('aria-invalid')).toBe('true');
    expect(patches).toEqual([]);
    expect(blocking(await axeScan(page, { also: ['target-size'] }))).toEqual([]);

    // Good values: only the two changed fields go, with the ETag of the copy the form opened on.
    const notes = `${before.lan_notes ?? ''}\nvm lns-01 (VMID 101) 10.20.0.31`.trim();
    await field('network_server').fill('10.20.0.31');
    await field('lan_notes').fill(notes);
    await page.getByTestId('site-edit-save').tap();
    await page.getByTestId('site-edit-form').waitFor({ state: 'detached', timeout: 10_000 });
    expect(patches).toEqual([
      { body: { network_server: '10.20.0.31', lan_notes: notes }, ifMatch: `"${before.updated_at}"` },
    ]);
    expect(await fact('Network server')).toBe('10.20.0.31');
    expect(await fact('LAN notes')).toBe(notes); // line breaks kept
    const saved = await api('GET');
    expect(saved).toMatchObject({ network_server: '10.20.0.31', lan_notes: notes });

    // The form opens on this copy; then someone changes the site through the API. The page shows
    // their change live (the change event), and saving on the old copy is refused, not applied.
    await page.getByTestId('site-edit').tap();
    await field('network_server').fill('10.20.0.32');
    const office = `${notes}\nswitch sw-01 10.20.0.2 (office)`;
    const theirs = await api('PATCH', { lan_notes: office });
    await expect.poll(() => fact('LAN notes'), { timeout: 10_000 }).toBe(office);
    await page.getByTestId('site-edit-save').tap();
    const conflict = page.getByTestId('site-edit-conflict');
    await conflict.waitFor({ timeout: 10_000 });
    expect(await conflict.innerText()).toContain('changed by someone else since you opened it');
    expect(await conflict.locator('[data-theirs="lan_notes"]').innerText()).toBe(office);
    expect(patches.at(-1)).toEqual({ body: { network_server: '10.20.0.32' }, ifMatch: `"${saved.updated_at}"` });
    expect((await api('GET')).network_server).toBe('10.20.0.31'); // nothing of the stale save applied
    expect(await layoutProblems(page)).toEqual([]);
    expect(blocking(await axeScan(page, { also: ['target-size'] }))).toEqual([]);
    await page.getByTestId('site-facts').screenshot({ path: screenshotPath('site-edit-conflict-phone') });
    // Re-apply: my network server on top of their notes.
    await page.getByTestId('site-edit-reapply').tap();
    expect(await field('lan_notes').inputValue()).toBe(office);
    await page.getByTestId('site-edit-save').tap();
    await page.getByTestId('site-edit-form').waitFor({ state: 'detached', timeout: 10_000 });
    expect(patches.at(-1)).toEqual({ body: { network_server: '10.20.0.32' }, ifMatch: `"${theirs.updated_at}"` });
    expect(await api('GET')).toMatchObject({ network_server: '10.20.0.32', lan_notes: office });
    await expect.poll(() => fact('Network server'), { timeout: 10_000 }).toBe('10.20.0.32');
    await page.screenshot({ path: screenshotPath('site-edit-phone'), fullPage: true });
    await context.close();

    // A viewer (the demo's open localhost reads) gets no Edit.
    const viewer = await browser.newPage(PHONE);
    const whoami = viewer.waitForResponse((r) => r.url().endsWith('/api/v1/whoami'));
    await viewer.goto(`${base}/site?id=${siteId}`);
    expect((await (await whoami).json()).role).toBe('viewer');
    await viewer.getByTestId('site-facts-list').waitFor({ timeout: 15_000 });
    expect(await viewer.getByTestId('site-edit').count()).toBe(0);
    await viewer.close();
    await api('PATCH', { lan_notes: before.lan_notes, network_server: before.network_server });
  });

  it('installable: the manifest is linked and valid, its icons load at their sizes, a service worker controls the pages', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    const page = await context.newPage();
    await page.goto(base + '/runbooks');
    const href = await page.locator('link[rel="manifest"]').getAttribute('href');
    expect(href).toBeTruthy();
    const manifestRes = await fetch(new URL(href!, base));
    expect(manifestRes.status).toBe(200);
    expect(manifestRes.headers.get('content-type')).toMatch(/json/);
    const manifest = await manifestRes.json();
    expect(manifest).toMatchObject({
      name: expect.any(String),
      short_name: expect.any(String),
      display: 'standalone',
      scope: '/',
    });
    expect(manifest.short_name.length).toBeLessThanOrEqual(12);
    expect(await page.locator('meta[name="theme-color"]').getAttribute('content')).toBe(manifest.theme_color);
    expect((await fetch(new URL(manifest.start_url, base))).status).toBe(200);
    // Chromium's install criteria: a 192 px and a 512 px PNG icon, reachable, of the sizes they claim.
    const sizes: string[] = [];
    for (const icon of manifest.icons as { src: string; sizes: string; type: string }[]) {
      const res = await fetch(new URL(icon.src, base));
      expect(res.status, icon.src).toBe(200);
      const png = Buffer.from(await res.arrayBuffer());
      expect(png.subarray(1, 4).toString('ascii'), icon.src).toBe('PNG');
      expect(`${png.readUInt32BE(16)}x${png.readUInt32BE(20)}`, icon.src).toBe(icon.sizes);
      expect(icon.type).toBe('image/png');
      sizes.push(icon.sizes);
    }
    expect(sizes).toEqual(expect.arrayContaining(['192x192', '512x512']));
    // The service worker: registered for the whole site, active (its precache installed), and in
    // control of the page after a reload.
    const sw = () =>
      page.evaluate(async () => {
        const reg = await navigator.serviceWorker.ready;
        return { scope: reg.scope, state: reg.active?.state };
      });
    await expect.poll(sw, { timeout: 60_000 }).toEqual({ scope: `${base}/`, state: 'activated' });
    await page.reload();
    expect(await page.evaluate(() => navigator.serviceWorker.controller?.scriptURL ?? null)).toMatch(
      new RegExp(`^${base}/sw\\.js`),
    );
    // And Chromium's own verdict, the one behind its install prompt.
    const cdp = await context.newCDPSession(page);
    const app = (await cdp.send('Page.getAppManifest')) as { errors: { message: string }[]; url: string };
    expect(app.errors).toEqual([]);
    expect(app.url).toBe(new URL(href!, base).href);
    const { installabilityErrors } = (await cdp.send('Page.getInstallabilityErrors')) as {
      installabilityErrors: { errorId: string }[];
    };
    // Playwright's contexts are incognito profiles, where Chromium never offers to install; that is the only reason allowed.
    expect(installabilityErrors.map((e) => e.errorId).filter((id) => id !== 'in-incognito')).toEqual([]);
    await context.close();
  });

  it('accessibility (axe-core): the landing page, the API reference, the device, site and deployment pages, a docs page with wide tables and a product page on a phone, light and dark: no critical or serious finding, no landmark-unique, heading-order, image-redundant-alt or empty-table-header, and on a phone no target-size', async () => {
    const found: Record<string, ReturnType<typeof countByImpact>> = {};
    const problems: string[] = [];
    // On a phone, also axe's target-size (WCAG 2.2 AA, off by default): taps of 24×24 px, or room around them.
    const check = async (page: Page, name: string) => {
      const phone = page.viewportSize()!.width < 600;
      const findings = await axeScan(page, { also: phone ? ['target-size'] : [] });
      found[name] = countByImpact(findings);
      problems.push(...blocking(findings).map((p) => `${name}: ${p}`));
    };
    // Every live widget on the page has settled (empty and unavailable are states too).
    const settled = (page: Page) =>
      expect
        .poll(
          () =>
            page
              .locator('[data-widget]')
              .evaluateAll(
                (els) =>
                  els.length > 0 &&
                  els.every((e) => !['loading', 'placeholder'].includes(e.getAttribute('data-state') ?? '')),
              ),
          { timeout: 20_000 },
        )
        .toBe(true);
    // The registry's own pages (/device, /site, /deployment: FleetPage), opened by id.
    const device = 'dev_farm-north-4-001';
    const { site_id: site, deployment_id: deployment } = await (await fetch(`${base}/api/v1/devices/${device}`)).json();
    expect([site, deployment]).toEqual([expect.stringMatching(/^site_/), expect.stringMatching(/^dep_/)]);
    for (const dark of [false, true]) {
      const scheme = dark ? 'dark' : 'light';
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: scheme });
      const page = await context.newPage();
      await page.goto(base + '/');
      await expect
        .poll(() => page.getByTestId('api-status').getAttribute('data-state'), { timeout: 15_000 })
        .toBe('ok');
      await check(page, `landing ${scheme}`);
      await page.goto(base + '/docs/contracts/openapi');
      await expect
        .poll(() => page.getByTestId('api-reference').getAttribute('data-state'), { timeout: 15_000 })
        .toBe('ready');
      // One operation open, so its parameters, body and responses are checked too.
      await page.getByTestId('api-op-get-/api/v1/devices').locator('summary').click();
      await check(page, `api-reference ${scheme}`);
      await page.screenshot({ path: screenshotPath(`api-reference-${scheme}`), fullPage: false });
      for (const [kind, id] of [
        ['device', device],
        ['site', site],
        ['deployment', deployment],
      ] as const) {
        await page.goto(`${base}/${kind}?id=${id}`);
        await expect.poll(() => page.locator('h1').first().innerText(), { timeout: 10_000 }).toBe(`${kind} ${id}`);
        await settled(page);
        await check(page, `${kind} page ${scheme}`);
      }
      await context.close();
    }
    // A docs page whose markdown tables are wider than a phone: they scroll in their frame, which
    // the keyboard reaches.
    for (const scheme of ['light', 'dark'] as const) {
      const context = await browser.newContext({ viewport: { width: 390, height: 844 }, colorScheme: scheme });
      const page = await context.newPage();
      await page.goto(base + '/docs/getting-started');
      const tables = page.locator('.markdown table');
      const scrolling = await tables.evaluateAll((all) => all.filter((t) => t.scrollWidth > t.clientWidth).length);
      expect(scrolling).toBeGreaterThan(0);
      expect(await tables.evaluateAll((all) => all.every((t) => (t as HTMLElement).tabIndex === 0))).toBe(true);
      await check(page, `docs with wide tables ${scheme} (phone)`);
      await context.close();
    }
    // A product page: its sheet's tables (the revisions, a bill of materials per version) scroll
    // sideways on a phone, each in a focusable region named after the product and its table.
    for (const scheme of ['light', 'dark'] as const) {
      const context = await browser.newContext({ viewport: { width: 390, height: 844 }, colorScheme: scheme });
      const page = await context.newPage();
      await page.goto(base + '/docs/products/soil-probe');
      await settled(page);
      const frames = await page
        .getByTestId('product-sheet')
        .getByRole('region')
        .evaluateAll((all) =>
          all.map((e) => ({
            name: e.getAttribute('aria-label'),
            tabIndex: (e as HTMLElement).tabIndex,
            scrolls: e.scrollWidth > e.clientWidth,
          })),
        );
      expect(frames.map((f) => [f.name, f.tabIndex])).toEqual([
        ['Soil probe: revisions', 0],
        ['Soil probe: bill of materials, 1.4.2', 0],
        ['Soil probe: bill of materials, 1.3.0', 0],
      ]);
      expect(frames.filter((f) => f.scrolls).length).toBeGreaterThan(0);
      await check(page, `product page ${scheme} (phone)`);
      await page.screenshot({ path: screenshotPath(`product-page-phone-${scheme}`), fullPage: false });
      await context.close();
    }
    console.log(
      `axe (critical/serious/moderate/minor nodes): ${Object.entries(found)
        .map(([k, c]) => `${k} ${c.critical}/${c.serious}/${c.moderate}/${c.minor}`)
        .join('; ')}`,
    );
    expect(problems).toEqual([]);
  }, 300_000); // 14 pages scanned and screenshot: 20–30 s on a quiet 2-core machine, near two minutes on a loaded one

  it('on a phone (390×844, touch, light), every page of the sitemap fits its screen: nothing widens the page, no diagram is shrunk below 75 %, no control is cut off or lies on another, no tap target is under 24×24 px without room around it', async () => {
    // The registry's own pages (/device, /site, /deployment) are opened on the demo fleet's ids.
    const device = 'dev_farm-north-4-001';
    const { site_id: site, deployment_id: deployment } = await (await fetch(`${base}/api/v1/devices/${device}`)).json();
    const ids: Record<string, string> = { '/device': device, '/site': site, '/deployment': deployment };
    // Pages only: the run routes' shells (`/docs/projects/:project/runs/:run`) are patterns and
    // stay out of the sitemap (a run page's phone width is automation.test.ts's).
    const paths = await sitemapPaths(base);
    expect(paths.filter((p) => p.includes('/:'))).toEqual([]);
    expect(paths.length).toBeGreaterThan(80);
    // Every mermaid block of the handbook is a diagram the sweep must see drawn.
    const sources = ['docs', 'runbooks'].flatMap((dir) =>
      fs
        .readdirSync(path.join(ROOT, dir), { recursive: true, encoding: 'utf8' })
        .filter((f) => f.endsWith('.mdx') && !f.includes('/runs/'))
        .map((f) => fs.readFileSync(path.join(ROOT, dir, f), 'utf8')),
    );
    const mermaidBlocks = sources.reduce((n, s) => n + (s.match(/^```mermaid$/gm)?.length ?? 0), 0);

    const started = Date.now();
    const context = await browser.newContext(PHONE);
    const page = await context.newPage();
    const problems: string[] = [];
    let diagrams = 0;
    for (const p of paths) {
      const url = ids[p] ? `${p}?id=${ids[p]}` : p;
      await openInApp(page, base, url);
      expect(await page.title(), url).not.toMatch(/not found/i);
      await settle(page);
      diagrams += await page.locator('[data-diagram] svg[aria-roledescription]').count();
      problems.push(...(await layoutProblems(page)).map((problem) => `${url}: ${problem}`));
    }
    await context.close();
    console.log(`phone sweep: ${paths.length} pages, ${diagrams} diagrams in ${Date.now() - started} ms`);
    expect(problems).toEqual([]);
    expect(diagrams, 'diagrams drawn and checked, of the mermaid blocks in docs/ and runbooks/').toBeGreaterThanOrEqual(
      mermaidBlocks,
    );
  }, 300_000); // 89 pages: 25–30 s on a 2-core machine at load 8

  // What a scroll box shows: how far it scrolls, its cue (data-scroll-more, and the shadow drawn for it).
  const scrollState = (box: HTMLElement) => ({
    scrolls: box.scrollWidth > box.clientWidth + 1,
    scrollLeft: box.scrollLeft,
    more: box.getAttribute('data-scroll-more'),
    shadow: getComputedStyle(box).boxShadow,
  });
  // The widest diagram of the handbook: the LoRaWAN gateway install runbook's flowchart, 2,272 px.
  const WIDEST_DIAGRAM = '/runbooks/rb-lorawan-gateway-install';

  it('on a desktop (1280 px), a diagram wider than the column keeps legible text and scrolls in its own box; one that fits is drawn as it is', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    // A drawn diagram: its size (viewBox), the share of it drawn, its smallest label's text as drawn.
    const diagram = (box: HTMLElement) => {
      const svg = box.querySelector<SVGSVGElement>('svg[aria-roledescription]')!;
      const natural = svg.viewBox.baseVal.width;
      const scale = svg.getBoundingClientRect().width / natural;
      const labels = Array.from(svg.querySelectorAll('.nodeLabel, .edgeLabel, text')).filter((l) =>
        l.textContent?.trim(),
      );
      return {
        natural,
        column: box.clientWidth,
        scale,
        labels: labels.length,
        textPx: Math.min(...labels.map((l) => parseFloat(getComputedStyle(l).fontSize) * scale)),
        name: box.getAttribute('aria-label'),
        tabIndex: box.tabIndex,
        pageScrollsSideways: document.documentElement.scrollWidth > document.documentElement.clientWidth,
        scrolls: box.scrollWidth > box.clientWidth + 1,
      };
    };

    // It was shrunk into the 703 px column: 31 % of its size, 5 px text.
    await page.goto(base + WIDEST_DIAGRAM);
    await settle(page);
    const wide = page.locator('[data-diagram]').first();
    const w = await wide.evaluate(diagram);
    expect(w.natural, 'the diagram is wider than the column').toBeGreaterThan(2 * w.column);
    expect(w.labels).toBeGreaterThan(5);
    expect(w.scale, 'share of its size drawn').toBeGreaterThanOrEqual(MIN_DIAGRAM_SCALE - 0.01);
    expect(w.textPx, 'its smallest text, as drawn (px)').toBeGreaterThanOrEqual(11.9);
    expect(w).toMatchObject({ scrolls: true, pageScrollsSideways: false, name: 'diagram', tabIndex: 0 });
    // The keyboard scrolls it: it is a tab stop.
    await wide.focus();
    await page.keyboard.press('ArrowRight');
    await expect.poll(async () => (await wide.evaluate(scrollState)).scrollLeft).toBeGreaterThan(0);
    await page.screenshot({ path: screenshotPath('diagram-wide-desktop'), fullPage: false });

    // A diagram narrower than the column is drawn at its size, in a box that does not scroll.
    await openInApp(page, base, '/docs/dashboards/alerts');
    await settle(page);
    const s = await page.locator('[data-diagram]').first().evaluate(diagram);
    expect(s.natural).toBeLessThan(s.column);
    expect(s.scale).toBeCloseTo(1, 2);
    expect(s.scrolls).toBe(false);
    await page.close();
  });

  it('on a desktop (1280 px), a box that scrolls sideways (a diagram, a markdown table) shows a cue on the side where there is more, and a box that fits shows none', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const state = scrollState;
    // A cue is a shadow on the box's inner edge: an inset box-shadow in a colour that is not transparent.
    const drawn = (shadow: string) => /rgba?\((?!0, 0, 0, 0\))[^)]*\)[^,]*inset/.test(shadow);

    await page.goto(base + WIDEST_DIAGRAM);
    await settle(page);
    const wide = page.locator('[data-diagram]').first();
    await expect.poll(() => wide.evaluate(state)).toMatchObject({ scrolls: true, scrollLeft: 0, more: 'right' });
    expect(drawn((await wide.evaluate(state)).shadow)).toBe(true);
    await wide.focus();
    await page.keyboard.press('ArrowRight');
    await expect.poll(async () => (await wide.evaluate(state)).more).toBe('left right');
    await wide.evaluate((box) => box.scrollTo({ left: box.scrollWidth }));
    await expect.poll(async () => (await wide.evaluate(state)).more).toBe('left');

    // A diagram that fits its column: no cue.
    await openInApp(page, base, '/docs/dashboards/alerts');
    await settle(page);
    const small = await page.locator('[data-diagram]').first().evaluate(state);
    expect(small).toMatchObject({ scrolls: false, more: null });
    expect(drawn(small.shadow)).toBe(false);

    // Markdown tables: the measured table of the broker-restarts page (8 columns) scrolls in the
    // column, its three-column neighbours wrap and fit.
    await openInApp(page, base, '/docs/operating/broker-restarts');
    await settle(page);
    const tables = page.locator('.markdown table');
    expect(await tables.count()).toBe(3);
    const [first, measured, reasons] = [tables.nth(0), tables.nth(1), tables.nth(2)];
    await expect.poll(() => measured.evaluate(state)).toMatchObject({ scrolls: true, scrollLeft: 0, more: 'right' });
    expect(drawn((await measured.evaluate(state)).shadow)).toBe(true);
    for (const fits of [first, reasons]) {
      const f = await fits.evaluate(state);
      expect(f).toMatchObject({ scrolls: false, more: null });
      expect(drawn(f.shadow)).toBe(false);
    }
    await measured.evaluate((box) => box.scrollTo({ left: box.scrollWidth }));
    await expect.poll(async () => (await measured.evaluate(state)).more).toBe('left');
    await measured.scrollIntoViewIfNeeded();
    await page.screenshot({ path: screenshotPath('table-scroll-cue-desktop'), fullPage: false });
    // A wider window (1800 px: a 958 px column) fits the table: its cue goes, with no scroll or reload.
    await page.setViewportSize({ width: 1800, height: 900 });
    await expect.poll(() => measured.evaluate(state)).toMatchObject({ scrolls: false, more: null });
    await expect.poll(async () => drawn((await measured.evaluate(state)).shadow)).toBe(false); // after its fade
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
