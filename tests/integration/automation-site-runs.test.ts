import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { automationPlanSchema } from '../../data-api/src/contracts/automation-runs.ts';
import { generateId } from '../../data-api/src/contracts/ids.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { tempDir } from '../helpers/automation.ts';
import { bearer, client, must, type Client } from '../helpers/registry.ts';

// Issue 16, "Runs from the site" and "Run pages live at once", at the API and site server:
// POST /automation-plans is the dry run a project page shows before queueing (tree, what the
// conditions skip for this site, missing secrets); /docs/projects/<p>/runs/<run_id> answers at
// once: the live shell while no build holds the run's page, a redirect to the static page after.
const SPEC = `spec_version: 1
project: plan-farm
deployment_id: dep_plan-eu
product_code: lorawan-gw
product_version: 2.1.0
actions:
  - id: a
    type: run_health_checks
    depends_on: []
    with: { checks: [ { tcp: "127.0.0.1:1700" } ] }
  - id: b
    type: configure_gateway
    depends_on: [a]
    with: { region: EU868, server: cs-plan }
  - id: c
    type: run_health_checks
    depends_on: [a]
    when: { "in": ["AS923", { "var": "site.region" }] }
    with: { checks: [ { http: "http://cs-plan:8080", expect_status: 200 } ] }
  - id: d
    type: provision_vm
    depends_on: [b, c]
    with: { node: pve1, template_vmid: 9000, name: cs-plan, ip: 10.0.0.21/24, token: { secret: "env:FLEETBOOK_TEST_NO_SUCH_TOKEN" } }
`;

describe('runs from the site: the plan, and run pages served at once', () => {
  const tmp = tempDir('site-runs');
  const siteDir = path.join(tmp.dir, 'build');
  let t: TestApp;
  let admin: Client, operator: Client, viewer: Client, other: Client;

  beforeAll(async () => {
    fs.mkdirSync(path.join(tmp.dir, 'automation', 'specs'), { recursive: true });
    fs.writeFileSync(path.join(tmp.dir, 'automation', 'specs', 'plan.yaml'), SPEC);
    // A built site as Docusaurus leaves it: the live run shell and a home page.
    fs.mkdirSync(path.join(siteDir, 'docs', 'projects', ':project', 'runs'), { recursive: true });
    fs.writeFileSync(
      path.join(siteDir, 'docs', 'projects', ':project', 'runs', ':run.html'),
      '<!doctype html><title>live run shell</title>',
    );
    fs.writeFileSync(path.join(siteDir, 'index.html'), '<!doctype html><title>home</title>');
    t = await createTestApp({
      siteDir,
      automationRoot: tmp.dir,
      siteStatus: () => ({ status: 'ready', builtAt: new Date().toISOString() }),
    });
    admin = client(t.app, await bearer(t.ctx.db, 'admin'));
    operator = client(t.app, await bearer(t.ctx.db, 'operator'));
    viewer = client(t.app, await bearer(t.ctx.db, 'viewer'));
    await must(admin.post('/customers', { id: 'cus_plan', name: 'Plan farms' }));
    await must(admin.post('/customers', { id: 'cus_plan-other', name: 'Other' }));
    await must(admin.post('/sites', { id: 'site_plan-eu', customer_id: 'cus_plan', name: 'EU farm', region: 'EU868' }));
    await must(
      admin.post('/deployments', {
        id: 'dep_plan-eu',
        site_id: 'site_plan-eu',
        product_code: 'lorawan-gw',
        product_version: '2.1.0',
        state: 'installing',
      }),
    );
    other = client(t.app, await bearer(t.ctx.db, 'operator', 'cus_plan-other'));
  });
  afterAll(async () => {
    await t?.close();
    tmp.cleanup();
  });

  it('an operator gets the plan: the tree, c skipped by its condition for this EU868 site, the missing secret', async () => {
    const res = await operator.post('/automation-plans', { spec_path: 'automation/specs/plan.yaml' });
    expect(res.statusCode, res.body).toBe(200);
    const plan = automationPlanSchema.parse(res.json());
    expect(plan).toMatchObject({
      project: 'plan-farm',
      deployment_id: 'dep_plan-eu',
      mode: 'tree',
      max_parallel: 4,
      skipped: ['c'],
      missing_secrets: 1,
    });
    expect(plan.steps.map((s) => [s.id, s.needs, s.condition?.verdict ?? 'always'])).toEqual([
      ['a', [], 'always'],
      ['b', ['a'], 'always'],
      ['c', ['a'], 'skipped'],
      ['d', ['b', 'c'], 'always'],
    ]);
    expect(plan.steps[2]!.condition).toEqual({
      text: '{"in":["AS923",{"var":"site.region"}]}',
      verdict: 'skipped',
      value: false,
    });
    expect(plan.steps[3]!.missing_secrets).toEqual([
      { ref: 'env:FLEETBOOK_TEST_NO_SUCH_TOKEN', problem: expect.stringContaining('FLEETBOOK_TEST_NO_SUCH_TOKEN') },
    ]);
    expect(plan.mermaid).toContain('s_a --> s_c');
    expect(plan.mermaid).toContain('class s_c skipped');
  });

  it('viewers get 403; a bad path is a 400 at body.spec_path; another tenant does not see the deployment (404)', async () => {
    expect((await viewer.post('/automation-plans', { spec_path: 'automation/specs/plan.yaml' })).statusCode).toBe(403);
    const bad = await operator.post('/automation-plans', { spec_path: '../etc/passwd' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().issues[0].path).toBe('body.spec_path');
    expect((await other.post('/automation-plans', { spec_path: 'automation/specs/plan.yaml' })).statusCode).toBe(404);
  });

  it('a run page URL answers the live shell at once, then redirects to the static page once a build holds it', async () => {
    const runId = generateId('automationRun');
    const url = `/docs/projects/plan-farm/runs/${runId}`;
    const live = await t.app.inject({ method: 'GET', url });
    expect(live.statusCode).toBe(200);
    expect(live.body).toContain('live run shell');
    expect(live.headers['cache-control']).toBe('no-cache');

    const day = new Date().toISOString().slice(0, 10);
    fs.mkdirSync(path.join(siteDir, 'docs', 'projects', 'plan-farm', 'runs', day), { recursive: true });
    fs.writeFileSync(
      path.join(siteDir, 'docs', 'projects', 'plan-farm', 'runs', day, `${runId}.html`),
      '<!doctype html><title>static run page</title>',
    );
    const moved = await t.app.inject({ method: 'GET', url });
    expect(moved.statusCode).toBe(302);
    expect(moved.headers.location).toBe(`/docs/projects/plan-farm/runs/${day}/${runId}`);
    const page = await t.app.inject({ method: 'GET', url: moved.headers.location as string });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('static run page');

    // fleetbook's build holds a run page as its MDX beside the URL and one shell that draws it
    // (plugins/run-pages): the run URL redirects there, and the page URL answers the shell.
    const mdxRun = generateId('automationRun');
    const mdxUrl = `/docs/projects/plan-farm/runs/${mdxRun}`;
    expect((await t.app.inject({ method: 'GET', url: mdxUrl })).body).toContain('live run shell');
    fs.mkdirSync(path.join(siteDir, 'docs', 'projects', ':project', 'runs', ':day'), { recursive: true });
    fs.writeFileSync(
      path.join(siteDir, 'docs', 'projects', ':project', 'runs', ':day', ':run.html'),
      '<!doctype html><title>run page shell</title>',
    );
    fs.writeFileSync(path.join(siteDir, 'docs', 'projects', 'plan-farm', 'runs', day, `${mdxRun}.mdx`), '# Run\n');
    const toPage = await t.app.inject({ method: 'GET', url: mdxUrl });
    expect(toPage.statusCode).toBe(302);
    expect(toPage.headers.location).toBe(`/docs/projects/plan-farm/runs/${day}/${mdxRun}`);
    const shell = await t.app.inject({ method: 'GET', url: toPage.headers.location as string });
    expect(shell.statusCode).toBe(200);
    expect(shell.body).toContain('run page shell');
    expect((await t.app.inject({ method: 'GET', url: `${toPage.headers.location}.mdx` })).body).toBe('# Run\n');
    // A day URL of a run the build does not hold: 404, not the shell.
    expect(
      (
        await t.app.inject({
          method: 'GET',
          url: `/docs/projects/plan-farm/runs/${day}/${generateId('automationRun')}`,
        })
      ).statusCode,
    ).toBe(404);

    // A folded month: one shell for all months, its rows as JSON beside the URL.
    const archive = path.join(siteDir, 'docs', 'projects', ':project', 'runs', 'archive');
    fs.mkdirSync(archive, { recursive: true });
    fs.writeFileSync(path.join(archive, ':month.html'), '<!doctype html><title>month shell</title>');
    expect(
      (await t.app.inject({ method: 'GET', url: '/docs/projects/plan-farm/runs/archive/2025-01' })).statusCode,
    ).toBe(404);
    fs.mkdirSync(path.join(siteDir, 'docs', 'projects', 'plan-farm', 'runs', 'archive'), { recursive: true });
    fs.writeFileSync(
      path.join(siteDir, 'docs', 'projects', 'plan-farm', 'runs', 'archive', '2025-01.json'),
      '{"project":"plan-farm","month":"2025-01","runs":[]}',
    );
    const month = await t.app.inject({ method: 'GET', url: '/docs/projects/plan-farm/runs/archive/2025-01' });
    expect(month.statusCode).toBe(200);
    expect(month.body).toContain('month shell');

    // Not a run id: the ordinary 404 path.
    expect((await t.app.inject({ method: 'GET', url: '/docs/projects/plan-farm/runs/not-a-run' })).statusCode).toBe(
      404,
    );
  });
});
