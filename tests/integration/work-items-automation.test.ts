import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAutomation } from '../../data-api/src/automation/orchestrate.ts';
import type { WorkItem } from '../../data-api/src/contracts/work-items.ts';
import { tempDir } from '../helpers/automation.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { bearer, client, must } from '../helpers/registry.ts';
import { backend, fastSpec, seedDeployment, startFakes, type Fakes, type Seeded } from './automation-runs-fixtures.ts';

// contracts.md "Execution spec v1": `open_ticket_on_failure` — on any earlier failure, an alert
// and a ticket. The ticket is a work item (domain.md) linked to the run and the deployment (and
// so its site and customer, and the "automation run failed" alert), not a record inside the run
// only. It may also go to an external tracker's webhook (our payload v1, documented in
// docs/contracts/work-items.mdx), whose key and URL the work item keeps; a tracker that is down
// does not lose the work item. The runner is the real one (runAutomation, as `fleetbook run`),
// reporting to the real API.

const TRACKER_TOKEN = 'trk-4f1c9a2e7b3d5e6f8a0b1c2d3e4f5a6b';
const tmp = tempDir('wi-automation');
let t: TestApp;
let base: string;
let fakes: Fakes;
let dep: Seeded;
let other: Seeded;
let automationToken: string;
let n = 0;

/** A tracker's incoming webhook: records what it gets, answers as told. */
const tracker = {
  server: null as http.Server | null,
  url: '',
  received: [] as Array<{ headers: http.IncomingHttpHeaders; body: any }>,
  answer: { status: 201, body: { key: 'OPS-42', url: 'https://tracker.example.com/browse/OPS-42' } as unknown },
};

async function run(ticketWith: Record<string, unknown>) {
  const spec = fastSpec(fakes, dep, { vm: false, failChecks: true });
  spec.actions = spec.actions.map((a: { type: string }) =>
    a.type === 'open_ticket_on_failure' ? { ...a, with: ticketWith } : a,
  );
  const file = path.join(tmp.dir, `spec-${++n}.json`);
  fs.writeFileSync(file, JSON.stringify(spec));
  const lines: string[] = [];
  const outcome = await runAutomation({
    specFile: file,
    api: base,
    token: automationToken,
    docsDir: path.join(tmp.dir, `docs-${n}`),
    journal: path.join(tmp.dir, `journal-${n}.jsonl`),
    env: { ...fakes.env, TRACKER_TOKEN },
    out: (l) => lines.push(l),
    reporter: { backoffMs: 20, closeAttempts: 20, closeDelayMs: 100, requestTimeoutMs: 5000 },
  });
  return { outcome, lines };
}

beforeAll(async () => {
  t = await createTestApp();
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  const admin = client(t.app, await bearer(t.ctx.db, 'admin'));
  dep = await seedDeployment(t.ctx.db, admin, 'wi-auto-a');
  other = await seedDeployment(t.ctx.db, admin, 'wi-auto-b');
  automationToken = await bearer(t.ctx.db, 'automation', null, 'ci-runner');
  fakes = await startFakes(tmp.dir);
  tracker.server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      tracker.received.push({ headers: req.headers, body: JSON.parse(body) });
      res
        .writeHead(tracker.answer.status, { 'content-type': 'application/json' })
        .end(JSON.stringify(tracker.answer.body));
    });
  });
  await new Promise<void>((r) => tracker.server!.listen(0, '127.0.0.1', () => r()));
  tracker.url = `http://127.0.0.1:${(tracker.server.address() as AddressInfo).port}/hooks/fleetbook`;
});

afterAll(async () => {
  tracker.server?.close();
  await fakes?.close();
  await t?.close();
  tmp.cleanup();
});

describe(`open_ticket_on_failure opens a work item (${backend()})`, () => {
  it('a failed action: a ticket linked to the run, the deployment, its site, customer and alert; sent to the tracker, which names it', async () => {
    const { outcome, lines } = await run({
      severity: 'warning',
      owner: 'oncall-lora',
      tracker: { url: tracker.url, system: 'jira', token: { secret: 'env:TRACKER_TOKEN' } },
    });
    expect(outcome.exitCode).toBe(1);
    expect(outcome.delivery).toMatchObject({ pending: 0, rejected: 0 });
    const runId = outcome.run!.run_id;
    const viewer = client(t.app, await bearer(t.ctx.db, 'viewer', dep.customer));

    const items: WorkItem[] = (await must(viewer.get(`/work-items?automation_run_id=${runId}`), 200)).items;
    expect(items).toHaveLength(1);
    const item = items[0]!;
    const got = await must(viewer.get(`/automation-runs/${runId}`), 200);
    expect(got.tickets).toEqual([
      expect.objectContaining({ work_item_id: item.id, action_id: 'checks', severity: 'warning' }),
    ]);
    expect(item).toMatchObject({
      kind: 'ticket',
      state: 'open',
      origin: 'automation',
      priority: 'high',
      owner: 'oncall-lora',
      created_by: 'ci-runner',
      title: expect.stringContaining('farm-north-lorawan: action "checks" (run_health_checks) failed'),
      description: expect.stringContaining(
        `Automation run ${runId} (project farm-north-lorawan, deployment ${dep.deployment}) failed at action "checks"`,
      ),
      links: {
        automation_run_id: runId,
        deployment_id: dep.deployment,
        site_id: dep.site,
        customer_id: dep.customer,
        alert_id: got.tickets[0].alert_id,
        device_id: null,
        runbook_execution_id: null,
        runbook_item_id: null,
      },
      external_ref: { system: 'jira', key: 'OPS-42', url: 'https://tracker.example.com/browse/OPS-42' },
    });
    expect(item.links.alert_id).toMatch(/^alr_/);
    // The deployment's list shows it too: that is where the on-call person looks.
    expect(
      (await must(viewer.get(`/work-items?deployment_id=${dep.deployment}&state=open`), 200)).items.map(
        (i: WorkItem) => i.id,
      ),
    ).toContain(item.id);

    // The tracker got our payload v1, with the token as a bearer and the item's id and API URL.
    expect(tracker.received).toHaveLength(1);
    const sent = tracker.received[0]!;
    expect(sent.headers.authorization).toBe(`Bearer ${TRACKER_TOKEN}`);
    expect(sent.body).toEqual({
      schema_version: 1,
      event: 'work_item.opened',
      work_item: {
        id: item.id,
        kind: 'ticket',
        title: item.title,
        priority: 'high',
        owner: 'oncall-lora',
        state: 'open',
      },
      run: {
        id: runId,
        project: 'farm-north-lorawan',
        deployment_id: dep.deployment,
        failed_action: { id: 'checks', type: 'run_health_checks', error: expect.stringContaining('closed port') },
      },
      api_url: `${base}/api/v1/work-items/${item.id}`,
    });
    // The secret never reaches the output, and the run page names the work item.
    expect(lines.join('\n')).not.toContain(TRACKER_TOKEN);
    const page = fs.readFileSync(outcome.page!, 'utf8');
    expect(page).toContain(`(work item \`${item.id}\`, OPS\\-42)`); // MDX-escaped key
    expect(page).not.toContain(TRACKER_TOKEN);

    // Audited and on the change feed, for the deployment's customer only.
    const events = await t.ctx.db
      .selectFrom('change_events')
      .select(['type', 'customer_id', 'site_id'])
      .where('subject_id', '=', item.id)
      .execute();
    expect(events).toEqual([{ type: 'work_item.created', customer_id: dep.customer, site_id: dep.site }]);
    const otherViewer = client(t.app, await bearer(t.ctx.db, 'viewer', other.customer));
    expect((await otherViewer.get(`/work-items/${item.id}`)).statusCode).toBe(404);
    expect((await must(otherViewer.get(`/work-items?automation_run_id=${runId}`), 200)).items).toEqual([]);
  });

  it('a tracker that is down does not lose the ticket: the work item is opened without an external ref, the log says why', async () => {
    tracker.answer = { status: 503, body: { error: 'maintenance' } };
    const { outcome } = await run({ tracker: { url: tracker.url, system: 'jira' } });
    expect(outcome.exitCode).toBe(1);
    const runId = outcome.run!.run_id;
    const ticketAction = outcome.run!.actions.find((a) => a.type === 'open_ticket_on_failure')!;
    expect(ticketAction.state).toBe('succeeded');
    expect(ticketAction.log.join('\n')).toContain('tracker jira did not take the ticket: the tracker answered 503');
    const items: WorkItem[] = (
      await must(client(t.app, automationToken).get(`/work-items?automation_run_id=${runId}`), 200)
    ).items;
    expect(items).toEqual([
      expect.objectContaining({
        kind: 'ticket',
        priority: 'urgent',
        external_ref: null,
        origin: 'automation',
        links: expect.objectContaining({ deployment_id: dep.deployment }),
      }),
    ]);
  });

  it('a run that succeeds opens no work item', async () => {
    const before = (
      await must(client(t.app, automationToken).get(`/work-items?deployment_id=${dep.deployment}&limit=500`), 200)
    ).items.length;
    const spec = fastSpec(fakes, dep, { vm: false });
    const file = path.join(tmp.dir, `spec-ok.json`);
    fs.writeFileSync(file, JSON.stringify(spec));
    const outcome = await runAutomation({
      specFile: file,
      api: base,
      token: automationToken,
      docsDir: path.join(tmp.dir, 'docs-ok'),
      journal: path.join(tmp.dir, 'journal-ok.jsonl'),
      env: fakes.env,
      out: () => {},
    });
    expect(outcome.exitCode).toBe(0);
    expect(
      (await must(client(t.app, automationToken).get(`/work-items?deployment_id=${dep.deployment}&limit=500`), 200))
        .items,
    ).toHaveLength(before);
  });
});
