import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linkNodeModules } from '../../bench/site-build.ts';
import { tempDir } from '../helpers/automation.ts';
import { launchChromium, screenshotPath } from '../helpers/browser.ts';
import { ROOT, runCli, startSite, stopCli } from '../helpers/cli.ts';
import { requestJson } from '../helpers/http.ts';
import { freePort } from '../helpers/ports.ts';

// Issue 16 end to end, as a team meets it: fleetbook started from a checkout of the handbook
// (a throwaway copy, so the test can edit and commit in it). An operator picks a spec on the
// project page, sees its dry-run plan (the tree; the condition skips a step for this AS923
// site) and queues it; a runner service claims it and commits its run page; the page follows
// the run live; the run page answers 200 the moment the run ends (drawn from the API); a
// runbook is edited; one background build later the static run page is served, the open page
// is told a newer build is ready, and the runbook shows the edit, without a restart. A viewer
// sees no button.
const PROJECT = 'farm-north-lorawan';
const DEPLOYMENT = 'dep_farm-north-1';
const SPEC_PATH = 'automation/specs/e2e-tree.yaml';
const RUNBOOK = 'runbooks/practice-first-execution.mdx';
const EDITED = 'Edited while fleetbook runs: this line came from the repository';

describe('automation from the site: queue, follow, run page live then static, the site follows the repository', () => {
  const tmp = tempDir('e2e-site-runs');
  const repo = path.join(tmp.dir, 'handbook');
  let proc: ReturnType<typeof startSite>;
  let base: string;
  let browser: Browser;
  let slow: http.Server;
  const tokens: Record<'admin' | 'operator' | 'viewer' | 'automation', string> = {
    admin: '',
    operator: '',
    viewer: '',
    automation: '',
  };
  let operator: { context: BrowserContext; page: Page };
  let runId = '';
  let runEndedAt = 0;

  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=Seed', '-c', 'user.email=seed@example.com', ...args], {
      cwd: repo,
      encoding: 'utf8',
    }).trim();
  const api = (token: string, method: string, url: string, body?: unknown) =>
    requestJson(`${base}/api/v1${url}`, { method, token, body });
  const health = async () =>
    (await (await fetch(`${base}/api/v1/health`)).json()) as { build: { status: string; built_at: string | null } };
  const open = async (token: string) => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.addInitScript((t) => localStorage.setItem('fleetbook.token', t), token);
    return { context, page: await context.newPage() };
  };

  /** A copy of this checkout's files (tracked and new), as its own git repository. */
  function copyHandbook(port: number) {
    const files = execFileSync('git', ['ls-files', '-z', '-co', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' })
      .split('\0')
      .filter(Boolean);
    for (const rel of files) {
      const from = path.join(ROOT, rel);
      if (!fs.existsSync(from) || !fs.statSync(from).isFile()) continue;
      fs.mkdirSync(path.dirname(path.join(repo, rel)), { recursive: true });
      fs.copyFileSync(from, path.join(repo, rel));
    }
    linkNodeModules(repo);
    // a → {b, c} → d; c only for EU868 sites (Farm North is AS923_1: skipped); b and d take ~1.5 s each.
    const check = (url: string) => `{ checks: [ { http: "${url}", expect_status: 200 } ] }`;
    fs.writeFileSync(
      path.join(repo, SPEC_PATH),
      `spec_version: 1
project: ${PROJECT}
deployment_id: ${DEPLOYMENT}
product_code: lorawan-gw
product_version: 2.1.0
actions:
  - id: a
    type: run_health_checks
    depends_on: []
    with: ${check(`http://127.0.0.1:${port}/fast`)}
  - id: b
    type: run_health_checks
    depends_on: [a]
    with: ${check(`http://127.0.0.1:${port}/slow`)}
  - id: c
    type: run_health_checks
    depends_on: [a]
    when: { "in": ["EU868", { "var": "site.region" }] }
    with: ${check(`http://127.0.0.1:${port}/fast`)}
  - id: d
    type: run_health_checks
    depends_on: [b, c]
    with: ${check(`http://127.0.0.1:${port}/slow`)}
  - id: ticket
    type: open_ticket_on_failure
`,
    );
    execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: repo });
    git('add', '-A');
    git('commit', '-q', '-m', 'seed');
  }

  beforeAll(async () => {
    slow = http.createServer((req, res) => setTimeout(() => res.end('ok'), req.url === '/slow' ? 1500 : 0));
    await new Promise<void>((r) => slow.listen(0, '127.0.0.1', () => r()));
    copyHandbook((slow.address() as AddressInfo).port);
    const [port, mqttPort] = [await freePort(), await freePort()];
    proc = startSite({
      port,
      mqttPort,
      dataDir: path.join(tmp.dir, 'data'),
      demo: 'live',
      env: { LOG_LEVEL: 'info', FLEETBOOK_SITE_DEBOUNCE_MS: '3000' },
      checkout: repo,
    });
    const started = await proc.site;
    base = started.base;
    tokens.admin = started.admin!;
    for (const role of ['operator', 'viewer', 'automation'] as const) {
      const res = await api(tokens.admin, 'POST', '/tokens', { name: `e2e-${role}`, role });
      expect(res.status).toBe(201);
      tokens[role] = res.body.token;
    }
    browser = await launchChromium();
    operator = await open(tokens.operator);
  }, 900_000);

  afterAll(async () => {
    await browser?.close();
    await stopCli(proc);
    slow?.close();
    tmp.cleanup();
  });

  it('an operator picks the spec, sees the plan (the tree, c skipped for this AS923 site) and queues it; the page follows the run live', async () => {
    const { page } = operator;
    await page.goto(`${base}/docs/projects/${PROJECT}`);
    const widget = page.getByTestId('run-spec');
    await expect.poll(() => widget.getAttribute('data-role'), { timeout: 30_000 }).toBe('operator');
    await page.getByTestId('run-spec-select').selectOption(SPEC_PATH);
    const plan = page.getByTestId('run-spec-plan');
    await plan.waitFor({ timeout: 30_000 });
    expect(await plan.getAttribute('data-mode')).toBe('tree');
    expect(await plan.getAttribute('data-skipped')).toBe('c');
    expect(await page.getByTestId('plan-step-c').getAttribute('data-verdict')).toBe('skipped');
    await plan.locator('.docusaurus-mermaid-container svg').first().waitFor({ timeout: 20_000 });
    await plan.screenshot({ path: screenshotPath('run-spec-plan') });

    await page.getByTestId('run-spec-button').click();
    const queued = page.getByTestId('run-spec-queued');
    await queued.waitFor({ timeout: 15_000 });
    runId = (await queued.getAttribute('data-run'))!;
    expect(runId).toMatch(/^arun_/);
    const state = queued.getByTestId('run-timeline-state');
    await expect.poll(() => state.getAttribute('data-status'), { timeout: 15_000 }).toBe('queued');

    // A runner service claims it and commits its page into the handbook repository.
    const runner = runCli(
      [
        'runner',
        '--api',
        base,
        '--token',
        tokens.automation,
        '--name',
        'e2e-runner',
        '--docs-dir',
        path.join(repo, 'docs'),
        '--root',
        repo,
        '--no-schedules',
        '--journal-dir',
        path.join(tmp.dir, 'journal'),
        '--commit',
        '--drain',
        '--poll',
        '0.2',
      ],
      {},
      180_000,
    );
    await expect.poll(() => state.getAttribute('data-status'), { timeout: 60_000, interval: 100 }).toBe('running');
    const done = await runner;
    runEndedAt = Date.now();
    expect(done.code, `${done.stdout}\n${done.stderr}`).toBe(0);
    expect(done.stdout).toContain('1 claimed, 1 succeeded, 0 failed');
    await expect.poll(() => state.getAttribute('data-status'), { timeout: 15_000 }).toBe('succeeded');
    const tree = queued.getByTestId('run-tree');
    await expect
      .poll(async () => JSON.parse((await tree.getAttribute('data-states')) ?? '{}'), { timeout: 15_000 })
      .toEqual({ a: 'succeeded', b: 'succeeded', c: 'skipped', d: 'succeeded', ticket: 'skipped' });
    expect(git('log', '-1', '--format=%s')).toBe(`run(${PROJECT}): ${runId} succeeded`);
  }, 240_000);

  it('the run page answers 200 the moment the run ends, drawn from the API with the step tree', async () => {
    const url = `${base}/docs/projects/${PROJECT}/runs/${runId}`;
    const res = await fetch(url, { redirect: 'manual' });
    const answeredMs = Date.now() - runEndedAt;
    expect(res.status).toBe(200);
    console.log(`run end → run page 200: ${answeredMs} ms (includes the runner's exit and this check)`);

    // Edit a runbook now: the run page's commit and this edit are picked up by one background build.
    const file = path.join(repo, RUNBOOK);
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(/^# (.*)$/m, `# $1\n\n${EDITED}.`));

    const { page } = operator;
    await page.getByTestId('run-spec-page-link').click();
    await page.waitForURL(`**/runs/${runId}`);
    const live = page.getByTestId('live-run-page');
    await live.waitFor({ timeout: 20_000 });
    expect(await live.getAttribute('data-state')).toBe('live');
    const tree = page.getByTestId('run-tree');
    await expect
      .poll(async () => JSON.parse((await tree.getAttribute('data-states')) ?? '{}'), { timeout: 20_000 })
      .toMatchObject({ c: 'skipped', d: 'succeeded' });
    await tree.locator('svg').first().waitFor({ timeout: 20_000 });
    await page.screenshot({ path: screenshotPath('run-page-live-tree'), fullPage: true });
  }, 120_000);

  it('after one background build: the static run page is served, open pages hear of it, the edited runbook shows — no restart', async () => {
    const before = (await health()).build.built_at;
    const runbookPage = await operator.context.newPage();
    await runbookPage.goto(`${base}/runbooks/rb-practice-first-execution`);
    expect(await runbookPage.locator('article').innerText()).not.toContain(EDITED);

    const started = Date.now();
    await expect
      .poll(async () => (await health()).build.built_at !== before && (await health()).build.status === 'ready', {
        timeout: 600_000,
        interval: 1000,
      })
      .toBe(true);
    console.log(
      `background build after the run page commit and the runbook edit: ${((Date.now() - started) / 1000).toFixed(1)} s after the edit was noticed`,
    );

    // The page that was open is told a newer build is ready.
    await runbookPage.getByTestId('new-build-banner').waitFor({ timeout: 30_000 });
    await runbookPage.reload();
    await expect.poll(() => runbookPage.locator('article').innerText(), { timeout: 15_000 }).toContain(EDITED);

    // The short run URL now redirects to the static page, which the build holds.
    const res = await fetch(`${base}/docs/projects/${PROJECT}/runs/${runId}`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    const location = res.headers.get('location')!;
    expect(location).toMatch(new RegExp(`^/docs/projects/${PROJECT}/runs/\\d{4}-\\d{2}-\\d{2}/${runId}$`));
    const page = await operator.context.newPage();
    const staticRes = await page.goto(`${base}${location}`);
    expect(staticRes?.status()).toBe(200);
    // The shell is prerendered at the route's pattern: the page is drawn once the browser has its MDX.
    await page.locator('[data-testid="run-page"][data-state="ready"]').waitFor({ timeout: 20_000 });
    expect(await page.locator('h1').first().innerText()).toBe(`Run ${runId}`);
    await page.locator('.docusaurus-mermaid-container svg').first().waitFor({ timeout: 20_000 });
    await page.screenshot({ path: screenshotPath('run-page-static-tree'), fullPage: false });
    await page.close();
    await runbookPage.close();
  }, 700_000);

  it('a viewer sees the specs but no button', async () => {
    const viewer = await open(tokens.viewer);
    await viewer.page.goto(`${base}/docs/projects/${PROJECT}`);
    const widget = viewer.page.getByTestId('run-spec');
    await expect.poll(() => widget.getAttribute('data-role'), { timeout: 30_000 }).toBe('viewer');
    await viewer.page.getByTestId('run-spec-readonly').waitFor();
    expect(await viewer.page.getByTestId('run-spec-button').count()).toBe(0);
    expect(await viewer.page.getByTestId('run-spec-select').count()).toBe(0);
    // The runs widget links every run to its page.
    await viewer.page.getByTestId(`run-link-${runId}`).first().waitFor({ timeout: 20_000 });
    expect(await viewer.page.getByTestId(`run-link-${runId}`).first().getAttribute('href')).toBe(
      `/docs/projects/${PROJECT}/runs/${runId}`,
    );
    await viewer.context.close();
  }, 60_000);
});
