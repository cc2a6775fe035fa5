import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, screenshotPath } from '../helpers/browser.ts';
import { startSite, stopCli } from '../helpers/cli.ts';
import { requestJson } from '../helpers/http.ts';
import { freePort } from '../helpers/ports.ts';

// widgets.md + domain.md "work item", as a team meets it: `fleetbook start --demo`, the built
// site in Debian's Chromium. An operator (lena) adds a task on the project page, moves it and
// takes it; a second browser (a viewer on the deployments dashboard) sees each change without a
// reload; a ticket opened through the API by automation appears there too; "My work" shows
// lena's items; the viewer gets no controls.
describe('the work board, live in two browsers (Chromium)', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetbook-e2e-work-'));
  let proc: ReturnType<typeof startSite>;
  let base: string;
  let browser: Browser;
  let admin: string;
  const tokens: Record<'lena' | 'viewer' | 'automation', string> = { lena: '', viewer: '', automation: '' };
  const api = (method: string, p: string, body?: unknown, token = admin) =>
    requestJson(`${base}/api/v1${p}`, { method, token, body });

  async function contextAs(token: string | null, width = 1280): Promise<BrowserContext> {
    const context = await browser.newContext({ viewport: { width, height: 900 } });
    if (token) await context.addInitScript((t) => localStorage.setItem('fleetbook.token', t), token);
    return context;
  }
  const ready = async (page: Page) => {
    const board = page.getByTestId('work-board').first();
    await expect.poll(() => board.getAttribute('data-state'), { timeout: 60_000 }).toBe('ready');
    await expect.poll(() => board.getAttribute('data-live'), { timeout: 15_000 }).toBe('online');
    return board;
  };
  const columnOf = (page: Page, id: string) =>
    page
      .getByTestId(`work-card-${id}`)
      .getAttribute('data-state', { timeout: 1_000 })
      .catch(() => null);

  beforeAll(async () => {
    const [port, mqttPort] = [await freePort(), await freePort()];
    proc = startSite({ port, mqttPort, dataDir, demo: 'live' });
    const started = await proc.site;
    base = started.base;
    admin = started.admin!;
    for (const [name, role] of [
      ['lena', 'operator'],
      ['viewer', 'viewer'],
      ['automation', 'automation'],
    ] as const) {
      const created = await api('POST', '/tokens', { name, role });
      expect(created.status).toBe(201);
      tokens[name] = created.body.token;
    }
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await stopCli(proc);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("the static HTML holds the board's placeholder; the demo's work is on it once it loads", async () => {
    const html = await (await fetch(`${base}/docs/dashboards/deployments`)).text();
    expect(html).toContain('WorkBoard: live data loads in the browser');
    const demo = (await api('GET', '/work-items?limit=500')).body.items as Array<{ id: string; state: string }>;
    expect(demo.length).toBeGreaterThanOrEqual(5);
    const context = await contextAs(tokens.viewer);
    const page = await context.newPage();
    await page.goto(`${base}/docs/dashboards/deployments`);
    const board = await ready(page);
    for (const item of demo) expect(await columnOf(page, item.id)).toBe(item.state);
    expect(await board.getAttribute('data-writer')).toBe('no');
    await context.close();
  });

  it("an operator adds, moves and takes a card on the project page; a viewer's dashboard follows live; My work shows it", async () => {
    const lenaCtx = await contextAs(tokens.lena);
    const viewerCtx = await contextAs(tokens.viewer, 1680);
    const a = await lenaCtx.newPage();
    const b = await viewerCtx.newPage();
    await a.goto(`${base}/docs/projects/farm-north-lorawan`);
    await b.goto(`${base}/docs/dashboards/deployments`);
    const boardA = await ready(a);
    const boardB = await ready(b);
    expect(await boardA.getAttribute('data-writer')).toBe('yes');
    // The viewer has no controls at all.
    expect(await b.getByTestId('work-board-new-title').count()).toBe(0);
    expect(await b.locator('[data-testid^="work-card-move-"]').count()).toBe(0);

    // Add: linked to the project's site by the board it was added on.
    const title = `Re-seal the pump house cable gland ${Date.now()}`;
    await a.getByTestId('work-board-new-title').fill(title);
    await a.getByTestId('work-board-new-submit').click();
    await expect
      .poll(async () => (await a.getByTestId('work-board-new-message').textContent()) ?? '', { timeout: 10_000 })
      .toMatch(/^wi_\w+ added$/);
    const id = /^(wi_\w+) added$/.exec((await a.getByTestId('work-board-new-message').textContent())!)![1]!;
    const created = (await api('GET', `/work-items/${id}`)).body;
    expect(created).toMatchObject({
      title,
      state: 'open',
      created_by: 'lena',
      links: { site_id: 'site_farm-north', customer_id: 'cus_greenacre' },
    });
    await expect.poll(() => columnOf(b, id), { timeout: 5_000 }).toBe('open');

    // Move: the second browser sees the card change column, without a reload.
    const moved = Date.now();
    await a.getByTestId(`work-card-move-${id}`).selectOption('in_progress');
    await expect.poll(() => columnOf(b, id), { timeout: 5_000 }).toBe('in_progress');
    const moveMs = Date.now() - moved;
    expect(await b.getByTestId('work-column-in_progress').getByTestId(`work-card-${id}`).count()).toBe(1);

    // Take it: lena becomes the owner, everywhere.
    await a.getByTestId(`work-card-take-${id}`).click();
    await expect.poll(() => b.getByTestId(`work-card-owner-${id}`).textContent(), { timeout: 5_000 }).toBe('lena');

    // A ticket automation opens through the API shows up on the viewer's board too.
    const ticket = await api(
      'POST',
      '/work-items',
      {
        kind: 'ticket',
        title: 'Run failed: checks on dep_farm-north-1',
        priority: 'urgent',
        links: { deployment_id: 'dep_farm-north-1' },
      },
      tokens.automation,
    );
    expect(ticket.status).toBe(201);
    await expect.poll(() => columnOf(b, ticket.body.id), { timeout: 5_000 }).toBe('open');
    // The site filter narrows the board without another request.
    await b.getByTestId('work-board-site').selectOption('site_farm-north');
    expect(
      await b.locator('[data-testid^="work-card-"][data-state]').evaluateAll((cards) => cards.length),
    ).toBeGreaterThan(0);
    await b.getByTestId('work-board-site').selectOption('');

    // The whole board, below the sticky navbar: a full-page shot clipped to the board.
    await b.evaluate(() => window.scrollTo(0, 0));
    const box = (await boardB.boundingBox())!;
    await b.screenshot({
      path: screenshotPath('work-board'),
      fullPage: true,
      clip: { x: box.x - 8, y: box.y - 8, width: box.width + 16, height: box.height + 16 },
    });

    // My work: lena's items, nobody else's.
    const mine = await lenaCtx.newPage();
    await mine.goto(`${base}/docs/dashboards/my-work`);
    const myBoard = await ready(mine);
    expect(await columnOf(mine, id)).toBe('in_progress');
    expect(await mine.getByTestId(`work-card-${ticket.body.id}`).count()).toBe(0);
    expect(await myBoard.getAttribute('data-count-in_progress')).toBe('1');
    await mine.screenshot({ path: screenshotPath('work-board-my-work'), fullPage: false });
    console.log(`work board: a move in one browser reached the other in ${moveMs} ms`);
    await lenaCtx.close();
    await viewerCtx.close();
  });

  it('a runbook item raises a ticket: linked to the execution, its item and deployment; it lands on the board', async () => {
    const exec = await api(
      'POST',
      '/runbook-executions',
      { runbook_id: 'rb-practice-first-execution', deployment_id: 'dep_farm-north-2' },
      tokens.lena,
    );
    expect(exec.status).toBe(201);
    const context = await contextAs(tokens.lena);
    const page = await context.newPage();
    await page.goto(`${base}/runbooks/rb-practice-first-execution?execution=${exec.body.id}`);
    await page.getByTestId('runner-raise-ppe').click({ timeout: 60_000 });
    await page.getByTestId('runner-raise-title-ppe').fill('No hard hats in the site store');
    await page.getByTestId('runner-raise-save-ppe').click();
    const raised = await page.getByTestId('runner-raised-ppe').textContent({ timeout: 10_000 });
    const id = /Ticket (wi_\w+) raised/.exec(raised ?? '')![1]!;
    expect((await api('GET', `/work-items/${id}`)).body).toMatchObject({
      kind: 'ticket',
      origin: 'runbook',
      title: 'No hard hats in the site store',
      links: {
        runbook_execution_id: exec.body.id,
        runbook_item_id: 'ppe',
        deployment_id: 'dep_farm-north-2',
        site_id: 'site_farm-north',
        customer_id: 'cus_greenacre',
      },
    });
    const board = await context.newPage();
    await board.goto(`${base}/docs/projects/farm-north-lorawan`);
    await ready(board);
    expect(await columnOf(board, id)).toBe('open');
    await context.close();
  });
});
