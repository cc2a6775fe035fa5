import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import path from 'node:path';
import { sql } from 'kysely';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/automation.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { launchChromium, screenshotPath } from '../helpers/browser.ts';
import { ROOT, runCli } from '../helpers/cli.ts';
import { startFakeProxmox, type FakeProxmox } from '../helpers/fake-proxmox.ts';
import { bearer } from '../helpers/registry.ts';
import { createStandIns } from '../helpers/stand-ins.ts';
import { requestJson } from '../helpers/http.ts';

// The automation loop as a team meets it (contracts.md "Execution spec v1", "Run pages";
// architecture.md "automation: runner → API timeline routes → change events; runner → page
// writer → git"): a deployment created through the API; `fleetbook run --commit` runs a spec
// against the local fakes (Proxmox, stand-in ssh/docker, a TCP port, the API for device_up) and
// commits its run page into a git repository holding a small Docusaurus site; a second run is
// queued through the API ("Run spec") and run by `fleetbook runner --drain --commit`; the site
// is built from that repository and the run pages are opened in Chromium: the timeline and the
// logs show, the secrets do not (anywhere in the build).
const PVE_TOKEN = 'automation@pve!fleetbook=7d1f0c2e-5b6a-4e3d-8c9b-1a2b3c4d5e6f';
const PROJECT = 'e2e-farm';

describe('automation runs: API → runner → git → site → Chromium', () => {
  const tmp = tempDir('e2e-automation');
  const repo = path.join(tmp.dir, 'site');
  let t: TestApp;
  let base: string;
  let pve: FakeProxmox;
  let tcp: net.Server;
  let tcpPort: number;
  let browser: Browser;
  let staticServer: http.Server;
  let siteUrl: string;
  let automationToken: string;
  let operatorToken: string;
  const runs: Record<'cli' | 'queued', { id: string; page: string }> = {
    cli: { id: '', page: '' },
    queued: { id: '', page: '' },
  };
  const env: Record<string, string> = {};

  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=Seed', '-c', 'user.email=seed@example.com', ...args], {
      cwd: repo,
      encoding: 'utf8',
    }).trim();
  const api = (method: string, p: string, token: string, body?: unknown) =>
    requestJson(`${base}/api/v1${p}`, { method, token, body });

  function makeSiteRepo() {
    // A tiny Docusaurus site (classic preset, broken links fail the build), as a git repository.
    fs.mkdirSync(path.join(repo, 'docs'), { recursive: true });
    const nm = path.join(repo, 'node_modules');
    fs.mkdirSync(nm);
    for (const entry of fs.readdirSync(path.join(ROOT, 'node_modules'))) {
      if (entry === '.cache' || entry === '.bin') continue;
      fs.symlinkSync(path.join(ROOT, 'node_modules', entry), path.join(nm, entry));
    }
    fs.writeFileSync(
      path.join(repo, 'docusaurus.config.js'),
      `module.exports = {
  title: 'automation e2e', url: 'http://localhost', baseUrl: '/', trailingSlash: false,
  onBrokenLinks: 'throw', onBrokenAnchors: 'throw', markdown: { hooks: { onBrokenMarkdownLinks: 'throw' } },
  future: { v4: true, faster: true },
  presets: [['classic', { docs: { path: 'docs', routeBasePath: '/' }, blog: false, pages: false, theme: {} }]],
};\n`,
    );
    fs.writeFileSync(path.join(repo, 'package.json'), '{ "name": "automation-e2e-site", "private": true }\n');
    fs.writeFileSync(path.join(repo, '.gitignore'), 'node_modules\nbuild\n.docusaurus\n.fleetbook\n');
    fs.writeFileSync(
      path.join(repo, 'docs/index.mdx'),
      `# Handbook\n\n[Runs of ${PROJECT}](./projects/${PROJECT}/runs/index.mdx)\n`,
    );
    execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: repo });
    git('add', '.');
    git('commit', '-q', '-m', 'seed');
  }

  function spec(deployment: string, gateway: string) {
    return {
      spec_version: 1,
      project: PROJECT,
      deployment_id: deployment,
      product_code: 'lorawan-gw',
      product_version: '2.1.0',
      targets: { gateways: [gateway] },
      actions: [
        {
          id: 'vm',
          type: 'provision_vm',
          with: {
            api_url: pve.url,
            node: 'pve1',
            template_vmid: 9000,
            name: 'cs-e2e',
            ip: '10.0.0.21/24',
            poll_interval_s: 0.02,
            token: { secret: 'env:PROXMOX_TOKEN' },
          },
        },
        { id: 'stack', type: 'deploy_compose_stack', with: { stack: 'chirpstack', host: 'cs-e2e', user: 'ops' } },
        { id: 'gw', type: 'configure_gateway', with: { region: 'AS923_1', server: 'cs-e2e', port: 1700 } },
        {
          id: 'checks',
          type: 'run_health_checks',
          with: {
            checks: [
              { name: 'network server port', tcp: `127.0.0.1:${tcpPort}` },
              { device_up: gateway, timeout_s: 10 },
            ],
          },
        },
        { id: 'ticket', type: 'open_ticket_on_failure' },
      ],
    };
  }

  beforeAll(async () => {
    makeSiteRepo();
    t = await createTestApp();
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    pve = await startFakeProxmox({ token: PVE_TOKEN, taskPolls: 1 });
    tcp = net.createServer((s) => s.end());
    tcpPort = await new Promise<number>((r) =>
      tcp.listen(0, '127.0.0.1', () => r((tcp.address() as AddressInfo).port)),
    );
    // docker compose over ssh: the stand-in prints what a careless tool might, the token included.
    const bin = createStandIns(path.join(tmp.dir, 'bin'), {
      ssh: {
        stdout: [
          ' Container chirpstack-1  Started',
          `debug: Authorization: PVEAPIToken=${PVE_TOKEN}`,
          '<script>alert(1)</script> {not: jsx} `ticks`',
        ],
      },
    });
    Object.assign(env, {
      PROXMOX_TOKEN: PVE_TOKEN,
      PATH: bin.path,
      FLEETBOOK_GIT_AUTHOR: 'Fleet Runner <runner@fleetbook.example>',
    });
    automationToken = await bearer(t.ctx.db, 'automation');
    operatorToken = await bearer(t.ctx.db, 'operator');
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    staticServer?.close();
    tcp?.close();
    await pve?.close();
    await t?.close();
    tmp.cleanup();
  });

  it('creates a deployment through the API, then `fleetbook run --commit` runs a spec into the repository', async () => {
    const admin = await bearer(t.ctx.db, 'admin');
    expect((await api('POST', '/customers', admin, { id: 'cus_e2e', name: 'E2E Farms' })).status).toBe(201);
    expect(
      (await api('POST', '/sites', admin, { id: 'site_e2e', customer_id: 'cus_e2e', name: 'E2E Farm' })).status,
    ).toBe(201);
    const dep = await api('POST', '/deployments', admin, {
      id: 'dep_e2e',
      site_id: 'site_e2e',
      product_code: 'lorawan-gw',
      product_version: '2.1.0',
      state: 'installing',
    });
    expect(dep.status).toBe(201);
    expect(
      (
        await api('POST', '/devices', admin, {
          id: 'gw_e2e-1',
          deployment_id: 'dep_e2e',
          site_id: 'site_e2e',
          product_code: 'lorawan-gw',
          role: 'gateway',
        })
      ).status,
    ).toBe(201);
    // The gateway's heartbeat, as the ingest would record it.
    await sql`update devices set status = 'up', observed_state = '{"status":"up"}'::jsonb where id = 'gw_e2e-1'`.execute(
      t.ctx.db,
    );

    const specFile = path.join(tmp.dir, 'e2e-spec.json');
    fs.writeFileSync(specFile, JSON.stringify(spec('dep_e2e', 'gw_e2e-1'), null, 2));
    const res = await runCli(
      [
        'run',
        specFile,
        '--commit',
        '--api',
        base,
        '--token',
        automationToken,
        '--docs-dir',
        path.join(repo, 'docs'),
        '--journal',
        path.join(tmp.dir, 'journal.jsonl'),
      ],
      env,
      120_000,
    );
    expect(res.stderr).toBe('');
    expect(res.code, res.stdout).toBe(0);
    const id = /run (arun_\w+) succeeded in/.exec(res.stdout)![1]!;
    expect(git('log', '-1', '--format=%s|%an')).toBe(`run(${PROJECT}): ${id} succeeded|Fleet Runner`);
    expect(git('status', '--porcelain')).toBe('');

    const got = await api('GET', `/automation-runs/${id}`, operatorToken);
    expect(got.body).toMatchObject({
      id,
      state: 'succeeded',
      deployment_id: 'dep_e2e',
      customer_id: 'cus_e2e',
      commit_sha: git('rev-parse', 'HEAD'),
      pushed: false,
    });
    expect(got.body.page_path).toMatch(new RegExp(`^docs/projects/${PROJECT}/runs/\\d{4}-\\d{2}-\\d{2}/${id}\\.mdx$`));
    expect(JSON.stringify(got.body)).not.toContain(PVE_TOKEN);
    runs.cli = { id, page: got.body.page_path };
  }, 180_000);

  it('"Run spec": a run queued through the API is claimed and run by `fleetbook runner --drain --commit`', async () => {
    const queued = await api('POST', '/deployments/dep_e2e/automation-runs', operatorToken, {
      spec: spec('dep_e2e', 'gw_e2e-1'),
    });
    expect(queued.status).toBe(201);
    expect(queued.body).toMatchObject({ state: 'queued', source: 'queue', spec_ref: 'inline' });
    const id = queued.body.id as string;
    const res = await runCli(
      [
        'runner',
        '--api',
        base,
        '--token',
        automationToken,
        '--name',
        'e2e-runner',
        '--docs-dir',
        path.join(repo, 'docs'),
        '--no-schedules',
        '--journal-dir',
        path.join(tmp.dir, 'runner-journal'),
        '--commit',
        '--drain',
        '--poll',
        '0.2',
      ],
      env,
      120_000,
    );
    expect(res.code, `${res.stdout}\n${res.stderr}`).toBe(0);
    expect(res.stdout).toContain(`${id} claimed: ${PROJECT} · dep_e2e · inline`);
    expect(res.stdout).toContain('runner e2e-runner: 1 claimed, 1 succeeded, 0 failed, 0 slots fired');
    expect(git('log', '-1', '--format=%s')).toBe(`run(${PROJECT}): ${id} succeeded`);
    const got = await api('GET', `/automation-runs/${id}`, operatorToken);
    expect(got.body).toMatchObject({
      state: 'succeeded',
      claimed_by: 'e2e-runner',
      commit_sha: git('rev-parse', 'HEAD'),
    });
    runs.queued = { id, page: got.body.page_path };
  }, 180_000);

  it('the site builds from the repository; no file of the build holds the secret', async () => {
    const res = await new Promise<{ code: number; out: string }>((resolve) => {
      execFile(
        process.execPath,
        [path.join(ROOT, 'node_modules/@docusaurus/core/bin/docusaurus.mjs'), 'build', repo, '--no-minify'],
        {
          cwd: repo,
          env: { ...process.env, NODE_ENV: 'production', DOCUSAURUS_TELEMETRY_DISABLED: '1' },
          maxBuffer: 64 << 20,
          timeout: 400_000,
        },
        (err, stdout, stderr) =>
          resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: `${stdout}\n${stderr}` }),
      );
    });
    expect(res.code, res.out.slice(-3000)).toBe(0);
    const build = path.join(repo, 'build');
    for (const entry of fs.readdirSync(build, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile()) continue;
      const text = fs.readFileSync(path.join(entry.parentPath, entry.name), 'utf8');
      expect(text.includes(PVE_TOKEN) || text.includes('7d1f0c2e-5b6a'), path.join(entry.parentPath, entry.name)).toBe(
        false,
      );
    }
    // Serve the build as a static host would (trailingSlash: false → <route>.html).
    staticServer = http.createServer((req, res) => {
      const p = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
      const candidates = [p, `${p}.html`, path.join(p, 'index.html')].map((c) => path.join(build, c));
      const file = candidates.find((c) => c.startsWith(build) && fs.existsSync(c) && fs.statSync(c).isFile());
      if (!file) {
        res.statusCode = 404;
        return res.end('not found');
      }
      const type =
        {
          '.html': 'text/html',
          '.js': 'text/javascript',
          '.css': 'text/css',
          '.json': 'application/json',
          '.txt': 'text/plain',
        }[path.extname(file)] ?? 'application/octet-stream';
      res.setHeader('content-type', `${type}; charset=utf-8`);
      fs.createReadStream(file).pipe(res);
    });
    await new Promise<void>((r) => staticServer.listen(0, '127.0.0.1', () => r()));
    siteUrl = `http://127.0.0.1:${(staticServer.address() as AddressInfo).port}`;
  }, 420_000);

  it('the run page in Chromium: summary, timeline and logs show; the token does not; hostile log text stays text', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const route = runs.cli.page.replace(/^docs\//, '/').replace(/\.mdx$/, '');
    const res = await page.goto(siteUrl + route);
    expect(res?.status()).toBe(200);
    const article = page.locator('article');
    await expect.poll(() => article.locator('h1').innerText()).toBe(`Run ${runs.cli.id}`);
    const text = await article.innerText();
    expect(text).toContain('succeeded');
    // The timeline, action by action.
    const timeline = page.locator('table').nth(1);
    const rows = await timeline.locator('tbody tr').allInnerTexts();
    expect(rows.some((r) => /vm\s+running\s+.*provision_vm started/.test(r))).toBe(true);
    expect(rows.some((r) => /checks\s+succeeded\s+.*run_health_checks succeeded: 2 checks passed/.test(r))).toBe(true);
    expect(rows.at(-1)).toMatch(/\(run\)\s+succeeded\s+.*run succeeded: 4 of 5 actions ran/);
    // The logs: each action's, as written; the token is redacted by name.
    expect(text).toContain('Container chirpstack-1  Started');
    expect(text).toContain('debug: Authorization: PVEAPIToken=[redacted env:PROXMOX_TOKEN]');
    expect(text).toContain('<script>alert(1)</script> {not: jsx} `ticks`');
    expect(text).toMatch(/clone task UPID:pve1:/);
    expect(text).toContain('secret: env:PROXMOX_TOKEN'); // the configuration snapshot keeps the reference
    const html = await page.content();
    expect(html).not.toContain(PVE_TOKEN);
    expect(await page.locator('article script').count()).toBe(0);
    await page.screenshot({ path: screenshotPath('automation-run-page'), fullPage: true });

    // The project's run index lists both runs, newest first, linking to their pages.
    await page.goto(`${siteUrl}/projects/${PROJECT}/runs`);
    const index = page.locator('article table tbody tr');
    await expect.poll(() => index.count()).toBe(2);
    expect(await index.nth(0).innerText()).toContain(runs.queued.id);
    expect(await index.nth(1).innerText()).toContain(runs.cli.id);
    await page.screenshot({ path: screenshotPath('automation-run-index'), fullPage: true });
    await index.nth(0).locator('a').click();
    await expect.poll(() => page.locator('article h1').innerText()).toBe(`Run ${runs.queued.id}`);
    await page.close();
  }, 120_000);

  it('on a phone, the run tables scroll sideways in named frames the keyboard reaches; the page itself does not', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    const page = await context.newPage();
    const route = runs.cli.page.replace(/^docs\//, '/').replace(/\.mdx$/, '');
    for (const [url, names] of [
      [siteUrl + route, ['Actions', 'Timeline']],
      [`${siteUrl}/projects/${PROJECT}/runs`, ['Runs']],
    ] as const) {
      await page.goto(url);
      await page.locator('article h1').waitFor();
      const frames = await page.locator('article table').evaluateAll((tables) =>
        tables.map((t) => {
          const frame = t.parentElement!;
          return {
            name: frame.getAttribute('aria-label'),
            role: frame.getAttribute('role'),
            tabIndex: frame.tabIndex,
            overflowX: getComputedStyle(frame).overflowX,
            scrolls: frame.scrollWidth > frame.clientWidth,
            // The table keeps its width inside the frame: the frame scrolls, not the table.
            tableClipped: t.scrollWidth > t.clientWidth,
            tableWider: t.scrollWidth > frame.clientWidth,
          };
        }),
      );
      expect(frames.map((f) => f.name)).toEqual(names);
      for (const f of frames) {
        expect(f, url).toMatchObject({ role: 'region', tabIndex: 0, overflowX: 'auto', tableClipped: false });
        expect(f.scrolls, url).toBe(f.tableWider);
      }
      expect(frames.some((f) => f.scrolls)).toBe(true);
      // Nothing beyond the page's width.
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    }
    // The timeline's frame, by keyboard: focused with Tab (as any focusable element), scrolled with the arrow keys.
    await page.goto(siteUrl + route);
    const timeline = page.getByRole('region', { name: 'Timeline' });
    await timeline.focus();
    expect(await timeline.evaluate((e) => document.activeElement === e && e.scrollLeft)).toBe(0);
    await timeline.press('ArrowRight');
    await expect.poll(() => timeline.evaluate((e) => e.scrollLeft)).toBeGreaterThan(0);
    await timeline.evaluate((e) => (e.scrollLeft = 0));
    await page.screenshot({ path: screenshotPath('automation-run-page-phone'), fullPage: true });
    await context.close();
  }, 60_000);
});
