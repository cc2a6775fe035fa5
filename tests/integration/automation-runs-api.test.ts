import fs from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Journal } from '../../data-api/src/automation/journal.ts';
import { runAutomation } from '../../data-api/src/automation/orchestrate.ts';
import { validateExecutionSpec } from '../../data-api/src/contracts/execution-spec.ts';
import { generateId } from '../../data-api/src/contracts/ids.ts';
import { tempDir } from '../helpers/automation.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { bearer, client, must, walk, type Client } from '../helpers/registry.ts';
import { openSse } from '../helpers/sse.ts';
import {
  backend,
  fastSpec,
  seedDeployment,
  startFakes,
  startProxy,
  type Fakes,
  type Seeded,
} from './automation-runs-fixtures.ts';

// contracts.md `/api/v1/automation-runs…` (create, append timeline entries, attach artifacts,
// finish) and "Execution spec v1" (the runner writes back the run id, a status timeline, links
// to logs and artifacts); domain.md "automation run" (states queued → running → succeeded |
// failed). The runner's own HttpRunReporter (automation/journal.ts) is the client: every call
// carries a bearer token of role automation and `Idempotency-Key: <run_id>/<n>`; a repeated key
// changes nothing; a 409 on create counts as delivered. Every write is audited and on the change
// feed (`automation.*`, subject the run, the deployment's customer and site).
// PGlite + aedes by default; PostgreSQL + Mosquitto with TEST_DATABASE_URL / TEST_MQTT_URL.

const tmp = tempDir('arun-api');
let t: TestApp;
let fakes: Fakes;
let base: string;
let admin: Client;
let tok: { automation: string; operator: string; viewer: string; otherAutomation: string; otherViewer: string };
let dep: Seeded;
let other: Seeded;
let n = 0;

const tables = [
  'automation_runs',
  'automation_run_timeline',
  'automation_run_artifacts',
  'automation_tickets',
  'automation_run_requests',
  'audit_log',
  'change_events',
  'alerts',
] as const;
async function counts(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const table of tables)
    out[table] = Number(
      (await sql<{ n: number }>`select count(*)::int as n from ${sql.table(table)}`.execute(t.ctx.db)).rows[0]!.n,
    );
  return out;
}

function writeSpec(spec: Record<string, unknown>): string {
  const file = path.join(tmp.dir, `spec-${++n}.json`);
  fs.writeFileSync(file, JSON.stringify(spec));
  return file;
}

/** `fleetbook run` as a library (runAutomation), reporting to `api`. */
async function run(
  spec: Record<string, unknown>,
  api: string,
  opts: { journal?: string; out?: (l: string) => void } = {},
) {
  const lines: string[] = [];
  const journal = opts.journal ?? path.join(tmp.dir, `journal-${++n}.jsonl`);
  const outcome = await runAutomation({
    specFile: writeSpec(spec),
    api,
    token: tok.automation,
    docsDir: path.join(tmp.dir, `docs-${n}`),
    journal,
    env: fakes.env,
    out: (l) => {
      lines.push(l);
      opts.out?.(l);
    },
    reporter: { backoffMs: 20, closeAttempts: 20, closeDelayMs: 100, requestTimeoutMs: 5000 },
  });
  return { outcome, lines, journal };
}

beforeAll(async () => {
  t = await createTestApp();
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  admin = client(t.app, await bearer(t.ctx.db, 'admin'));
  dep = await seedDeployment(t.ctx.db, admin, 'arun-a');
  other = await seedDeployment(t.ctx.db, admin, 'arun-b');
  tok = {
    automation: await bearer(t.ctx.db, 'automation'),
    operator: await bearer(t.ctx.db, 'operator'),
    viewer: await bearer(t.ctx.db, 'viewer', dep.customer),
    otherAutomation: await bearer(t.ctx.db, 'automation', other.customer),
    otherViewer: await bearer(t.ctx.db, 'viewer', other.customer),
  };
  fakes = await startFakes(tmp.dir);
});

afterAll(async () => {
  await fakes?.close();
  await t?.close();
  tmp.cleanup();
});

describe(`automation runs: the runner's write-back against the real routes (${backend()})`, () => {
  it('a whole run lands: created, its timeline in order, the artifact, the finish; audited and on the change feed', async () => {
    const { outcome, journal } = await run(fastSpec(fakes, dep), base);
    expect(outcome.exitCode).toBe(0);
    const runId = outcome.run!.run_id;
    expect(outcome.delivery).toMatchObject({ pending: 0, rejected: 0 });

    const got = await must(client(t.app, tok.viewer).get(`/automation-runs/${runId}`), 200);
    expect(got).toMatchObject({
      id: runId,
      project: 'farm-north-lorawan',
      deployment_id: dep.deployment,
      site_id: dep.site,
      customer_id: dep.customer,
      state: 'succeeded',
      source: 'runner',
      spec_digest: outcome.run!.spec_digest,
      started_at: outcome.run!.started_at,
      finished_at: outcome.run!.finished_at,
      duration_ms: outcome.run!.duration_ms,
      page_path: expect.stringMatching(
        new RegExp(`projects/farm-north-lorawan/runs/\\d{4}-\\d{2}-\\d{2}/${runId}\\.mdx$`),
      ),
      commit_sha: null,
      pushed: false,
      created_by: 'automation',
    });
    // The timeline is the runner's, entry for entry, in the order it was written.
    expect(got.timeline).toEqual(outcome.run!.timeline);
    expect(got.artifacts).toEqual([
      expect.objectContaining({ action_id: 'gw', name: 'global_conf.json', content_type: 'application/json' }),
    ]);
    expect(got.spec.actions.map((a: { id: string }) => a.id)).toEqual(['vm', 'stack', 'gw', 'checks', 'ticket']);
    // The spec as run holds the reference, never the token.
    expect(JSON.stringify(got)).not.toContain(fakes.env.PROXMOX_TOKEN);
    expect(JSON.stringify(got.spec)).toContain('env:PROXMOX_TOKEN');

    // One stored Idempotency-Key per journal call, <run_id>/<n>.
    const calls = new Journal(journal).read().filter((l) => l.type === 'call');
    const keys = (
      await t.ctx.db.selectFrom('automation_run_requests').select('key').where('run_id', '=', runId).execute()
    )
      .map((r) => r.key)
      .sort();
    expect(keys).toEqual(calls.map((c) => (c as { idempotency_key: string }).idempotency_key).sort());
    expect(keys).toContain(`${runId}/1`);

    // Audited once per write; each write on the change feed with the tenant and site.
    const audit = await t.ctx.db
      .selectFrom('audit_log')
      .select(['action', 'actor', 'customer_id'])
      .where('entity_id', '=', runId)
      .orderBy('id')
      .execute();
    expect(audit.length).toBe(calls.length);
    expect(audit[0]).toEqual({ action: 'automation_run.created', actor: 'automation', customer_id: dep.customer });
    expect(audit.at(-1)!.action).toBe('automation_run.finished');
    const events = await t.ctx.db
      .selectFrom('change_events')
      .selectAll()
      .where('subject_id', '=', runId)
      .orderBy('id')
      .execute();
    expect(events.map((e) => e.type)).toEqual(audit.map((a) => a.action.replace('automation_run.', 'automation.')));
    expect(
      events.every(
        (e) => e.customer_id === dep.customer && e.site_id === dep.site && e.subject_type === 'automation_run',
      ),
    ).toBe(true);
    expect(events.at(-1)!.payload).toMatchObject({
      run_id: runId,
      project: 'farm-north-lorawan',
      state: 'succeeded',
      page_path: got.page_path,
    });
  });

  it('the API goes down mid-run and comes back: the journal replays every call once, in order; replaying it all again changes nothing', async () => {
    const proxy = await startProxy((t.app.server.address() as AddressInfo).port);
    let wentDown = false;
    const { outcome, journal, lines } = await run(fastSpec(fakes, dep), proxy.url(), {
      out: (l) => {
        if (/^\[1\/5\] vm \(provision_vm\) succeeded/.test(l)) {
          wentDown = true;
          void proxy.down();
        }
        if (/^\[3\/5\] gw \(configure_gateway\) succeeded/.test(l)) void proxy.up();
      },
    });
    await proxy.down();
    expect(wentDown).toBe(true);
    // device_up ran while the API was back; the run succeeded and nothing is left behind.
    expect(outcome.exitCode, lines.join('\n')).toBe(0);
    expect(outcome.delivery).toMatchObject({ pending: 0, rejected: 0 });
    const all = new Journal(journal).read();
    const calls = all.filter((l) => l.type === 'call') as Array<{
      id: string;
      path: string;
      body: unknown;
      idempotency_key: string;
    }>;
    // Some calls did wait in the journal (they were sent more than once: failed, then delivered).
    expect(calls.length).toBeGreaterThan(8);
    const runId = outcome.run!.run_id;

    const got = await must(client(t.app, tok.automation).get(`/automation-runs/${runId}`), 200);
    expect(got.state).toBe('succeeded');
    expect(got.timeline).toEqual(outcome.run!.timeline); // none lost, none twice, in order
    expect(got.artifacts).toHaveLength(1);
    const applied = await t.ctx.db
      .selectFrom('automation_run_requests')
      .select(['key'])
      .where('run_id', '=', runId)
      .execute();
    expect(applied.map((r) => r.key).sort()).toEqual(calls.map((c) => c.idempotency_key).sort());

    // A crashed runner that lost its acks would send everything again: same answers, no change.
    const before = await counts();
    for (const c of calls) {
      const res = await fetch(`${base}${c.path}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${tok.automation}`,
          'idempotency-key': c.idempotency_key,
        },
        body: JSON.stringify(c.body),
      });
      expect(res.status, `${c.path} ${await res.clone().text()}`).toBeLessThan(300);
      expect(res.headers.get('idempotent-replayed')).toBe('true');
    }
    expect(await counts()).toEqual(before);
  });

  it('a repeated key with another body is a conflict (409) and writes nothing; a new key appends', async () => {
    const { outcome } = await run(fastSpec(fakes, dep, { vm: false }), base);
    const runId = outcome.run!.run_id;
    const api = client(t.app, tok.automation, { headers: { 'idempotency-key': `${runId}/2` } });
    const before = await counts();
    const res = await api.post(`/automation-runs/${runId}/artifacts`, {
      name: 'x.txt',
      path: 'docs/x.txt',
      content_type: 'text/plain',
      size: 1,
      sha256: 'b'.repeat(64),
    });
    expect(res.statusCode).toBe(409);
    expect(res.json().message).toContain(`Idempotency-Key ${runId}/2 was already used for another request`);
    expect(await counts()).toEqual(before);
  });

  it('a finished run refuses timeline entries, artifacts and tickets (409), and a second finish; nothing is written', async () => {
    const { outcome } = await run(fastSpec(fakes, dep, { vm: false }), base);
    const runId = outcome.run!.run_id;
    const api = client(t.app, tok.automation);
    const before = await counts();
    const entry = { at: new Date().toISOString(), state: 'running', message: 'late', duration_ms: 0 };
    const late = await api.post(`/automation-runs/${runId}/timeline`, { entries: [entry] });
    expect(late.statusCode).toBe(409);
    expect(late.json()).toMatchObject({
      error: 'conflict',
      message: expect.stringMatching(
        new RegExp(`automation run ${runId} is succeeded since .*: it takes no more timeline entries`),
      ),
    });
    expect(
      (
        await api.post(`/automation-runs/${runId}/artifacts`, {
          name: 'x',
          path: 'p',
          content_type: 'text/plain',
          size: 0,
          sha256: 'a'.repeat(64),
        })
      ).statusCode,
    ).toBe(409);
    expect(
      (
        await api.post(`/automation-runs/${runId}/tickets`, {
          run_id: runId,
          deployment_id: dep.deployment,
          action_id: 'gw',
          summary: 'late',
        })
      ).statusCode,
    ).toBe(409);
    const finish = {
      state: 'failed',
      started_at: entry.at,
      finished_at: entry.at,
      duration_ms: 0,
      page_path: null,
      commit_sha: null,
      pushed: false,
    };
    expect((await api.post(`/automation-runs/${runId}/finish`, finish)).statusCode).toBe(409);
    expect(await counts()).toEqual(before);
  });

  it('a failed run: the ticket is recorded with its run and deployment, and opens the "automation run failed" alert once', async () => {
    const { outcome } = await run(fastSpec(fakes, dep, { vm: false, failChecks: true }), base);
    expect(outcome.exitCode).toBe(1);
    const runId = outcome.run!.run_id;
    const got = await must(client(t.app, tok.viewer).get(`/automation-runs/${runId}`), 200);
    expect(got.state).toBe('failed');
    expect(got.tickets).toEqual([
      expect.objectContaining({
        run_id: runId,
        deployment_id: dep.deployment,
        action_id: 'checks',
        severity: 'critical',
        alert_id: expect.stringMatching(/^alr_/),
        created_by: 'automation',
      }),
    ]);
    const alerts = await must(client(t.app, tok.viewer).get(`/alerts?subject_id=${runId}`), 200);
    expect(alerts.items).toEqual([
      expect.objectContaining({
        id: got.tickets[0].alert_id,
        rule_id: 'automation_run_failed',
        subject: { type: 'automation_run', id: runId },
        customer_id: dep.customer,
        site_id: dep.site,
        state: 'open',
        severity: 'critical',
      }),
    ]);
    // The other tenant's viewer does not see the alert (it follows the deployment's customer).
    expect((await must(client(t.app, tok.otherViewer).get(`/alerts?subject_id=${runId}`), 200)).items).toEqual([]);
  });
});

describe(`automation runs: bad input (${backend()})`, () => {
  const create = (overrides: Record<string, unknown> = {}) => {
    const spec = validateExecutionSpec(fastSpec(fakes, dep, { vm: false }));
    if (!spec.ok) throw new Error('fixture spec invalid');
    return {
      id: generateId('automationRun'),
      project: spec.spec.project,
      deployment_id: spec.spec.deployment_id,
      product_code: spec.spec.product_code,
      product_version: spec.spec.product_version,
      spec: spec.spec,
      spec_digest: `sha256:${'0'.repeat(64)}`,
      state: 'queued',
      created_at: new Date().toISOString(),
      ...overrides,
    };
  };

  it('an unknown deployment: 400 at body.deployment_id on create, 404 on a deployment path; nothing written', async () => {
    const api = client(t.app, tok.automation);
    const before = await counts();
    const body = create();
    body.deployment_id = 'dep_nope';
    (body.spec as Record<string, unknown>).deployment_id = 'dep_nope';
    const res = await api.post('/automation-runs', body);
    expect(res.statusCode).toBe(400);
    expect(res.json().issues).toEqual([
      { path: 'body.deployment_id', message: expect.stringContaining('unknown deployment dep_nope') },
    ]);
    const queued = await client(t.app, tok.operator).post('/deployments/dep_nope/automation-runs', {
      spec: fastSpec(fakes, { deployment: 'dep_nope', gateway: dep.gateway }),
    });
    expect(queued.statusCode).toBe(404);
    expect(queued.json()).toMatchObject({ error: 'not_found', message: 'deployment dep_nope not found' });
    expect(await counts()).toEqual(before);
  });

  it('a run for an unknown deployment does not hold the journal: its create is rejected, its later calls too, the next run is delivered', async () => {
    const journal = path.join(tmp.dir, 'journal-unknown.jsonl');
    const bad = await run(fastSpec(fakes, { deployment: 'dep_ghost', gateway: dep.gateway }, { vm: false }), base, {
      journal,
    });
    expect(bad.outcome.delivery).toMatchObject({ pending: 0, delivered: 0 });
    expect(bad.outcome.delivery!.rejected).toBeGreaterThan(1);
    const good = await run(fastSpec(fakes, dep, { vm: false }), base, { journal });
    expect(good.outcome.delivery).toMatchObject({ pending: 0, rejected: 0 });
    expect(
      (await must(client(t.app, tok.automation).get(`/automation-runs/${good.outcome.run!.run_id}`), 200)).state,
    ).toBe('succeeded');
  });

  it('roles: no token 401, a viewer 403 on every write, an operator may queue but not report a runner run', async () => {
    const body = create();
    expect((await client(t.app, null).post('/automation-runs', body)).statusCode).toBe(401);
    const viewer = client(t.app, await bearer(t.ctx.db, 'viewer', null, 'plain-viewer'));
    for (const url of [
      '/automation-runs',
      '/automation-runs/arun_x/timeline',
      '/automation-runs/arun_x/finish',
      '/automation-runs/claim',
      `/deployments/${dep.deployment}/automation-runs`,
    ]) {
      expect((await viewer.post(url, {})).statusCode, url).toBe(403);
    }
    const op = client(t.app, tok.operator);
    const res = await op.post('/automation-runs', body);
    expect(res.statusCode).toBe(403);
    expect(res.json().message).toContain('requires automation');
    // Refused before the body is validated: a malformed runner body is a 403 too, not a 400.
    expect((await op.post('/automation-runs', { spec_digest: 'nope' })).statusCode).toBe(403);
    expect((await op.post(`/automation-runs/${body.id}/timeline`, { entries: [] })).statusCode).toBe(403);
  });

  it('an inline secret in a spec is a 400 naming its path (never its value); nothing is written', async () => {
    const before = await counts();
    const spec = fastSpec(fakes, dep);
    spec.actions[0].with.token = 'automation@pve!fleetbook=4c0e5a3e-1f2b-4c3d-9e8f-0a1b2c3d4e5f';
    const res = await client(t.app, tok.operator).post(`/deployments/${dep.deployment}/automation-runs`, { spec });
    expect(res.statusCode).toBe(400);
    expect(res.json().issues).toContainEqual({
      path: 'body.spec.actions[0].with.token',
      message: expect.stringContaining('spec/inline-secret'),
    });
    expect(res.body).not.toContain('4c0e5a3e');
    // The runner's create is held to the same rule.
    const body = create();
    (body.spec as any).actions[2].with.checks.push({
      mqtt: 'mqtt://127.0.0.1:1883',
      username: 'u',
      password: 'hunter2-hunter2',
    });
    const created = await client(t.app, tok.automation).post('/automation-runs', body);
    expect(created.statusCode).toBe(400);
    expect(created.json().issues).toContainEqual({
      path: 'body.spec.actions[2].with.checks[2].password',
      message: expect.stringContaining('spec/inline-secret'),
    });
    expect(created.body).not.toContain('hunter2');
    expect(await counts()).toEqual(before);
  });

  it('queue bodies: exactly one of spec_path or spec; paths stay under automation/specs/; the spec must be for the deployment', async () => {
    const op = client(t.app, tok.operator);
    const url = `/deployments/${dep.deployment}/automation-runs`;
    expect((await op.post(url, {})).json().issues).toEqual([
      { path: 'body.spec_path', message: expect.stringContaining('exactly one of spec_path') },
    ]);
    expect((await op.post(url, { spec_path: 'automation/specs/../../etc/passwd.yaml' })).statusCode).toBe(400);
    expect((await op.post(url, { spec_path: '/etc/passwd' })).json().issues[0].path).toBe('body.spec_path');
    const missing = await op.post(url, { spec_path: 'automation/specs/nope.yaml' });
    expect(missing.json().issues).toEqual([
      { path: 'body.spec_path', message: expect.stringContaining('no spec file automation/specs/nope.yaml') },
    ]);
    // The repository's spec is for dep_farm-north-1.
    const wrong = await op.post(url, { spec_path: 'automation/specs/farm-north-lorawan.yaml' });
    expect(wrong.json().issues).toEqual([
      { path: 'body.spec_path', message: `the spec is for deployment dep_farm-north-1, not ${dep.deployment}` },
    ]);
    const inline = await op.post(url, { spec: fastSpec(fakes, other) });
    expect(inline.json().issues).toEqual([
      {
        path: 'body.spec.deployment_id',
        message: `the spec is for deployment ${other.deployment}, not ${dep.deployment}`,
      },
    ]);
    const invalid = await op.post(url, { spec: { ...fastSpec(fakes, dep), surprise: 1 } });
    expect(invalid.json().issues).toEqual([
      { path: 'body.spec.surprise', message: expect.stringContaining('spec/unknown-field') },
    ]);
  });

  it('the runner body is checked against its spec; a duplicate id is 409 (the runner counts it delivered)', async () => {
    const api = client(t.app, tok.automation);
    const mismatch = await api.post('/automation-runs', create({ project: 'another-project' }));
    expect(mismatch.json().issues).toEqual([
      { path: 'body.project', message: 'expected "farm-north-lorawan", the project of body.spec' },
    ]);
    const body = create();
    await must(api.post('/automation-runs', body));
    const again = await api.post('/automation-runs', body);
    expect(again.statusCode).toBe(409);
    expect(again.json().message).toBe(`automation run ${body.id} already exists`);
  });
});

describe(`automation runs: reads, queue, tenancy, live updates (${backend()})`, () => {
  it('queued runs: from a spec file (via the deployment) or inline (via POST /automation-runs); listed by state; specs listed', async () => {
    // A spec file for this deployment, in an automation/specs/ the API reads.
    const root = path.join(tmp.dir, 'repo');
    fs.mkdirSync(path.join(root, 'automation/specs/nightly'), { recursive: true });
    fs.writeFileSync(
      path.join(root, 'automation/specs/nightly/a.json'),
      JSON.stringify(fastSpec(fakes, dep, { vm: false })),
    );
    fs.writeFileSync(
      path.join(root, 'automation/specs/broken.yaml'),
      `spec_version: 1\ndeployment_id: ${dep.deployment}\nactions: []\n`,
    );
    t.ctx.automationRoot = root;
    try {
      const op = client(t.app, tok.operator);
      const fromFile = await must(
        op.post(`/deployments/${dep.deployment}/automation-runs`, { spec_path: 'automation/specs/nightly/a.json' }),
      );
      expect(fromFile).toMatchObject({
        state: 'queued',
        source: 'queue',
        spec_ref: 'automation/specs/nightly/a.json',
        created_by: 'operator',
        deployment_id: dep.deployment,
        customer_id: dep.customer,
      });
      expect(fromFile.timeline).toEqual([
        expect.objectContaining({
          state: 'queued',
          message: 'queued by operator (automation/specs/nightly/a.json): waiting for a runner',
        }),
      ]);
      const inline = await must(
        client(t.app, tok.automation).post('/automation-runs', {
          state: 'queued',
          deployment_id: dep.deployment,
          spec: fastSpec(fakes, dep, { vm: false }),
        }),
      );
      expect(inline).toMatchObject({ state: 'queued', spec_ref: 'inline', source: 'queue' });
      const queued = await must(
        client(t.app, tok.viewer).get(`/automation-runs?state=queued&deployment_id=${dep.deployment}`),
        200,
      );
      // (newest first; the runner-reported run of an earlier case is queued too: its runner never ran it)
      expect(queued.items.map((r: { id: string }) => r.id).slice(0, 2)).toEqual([inline.id, fromFile.id]);
      expect(queued.items[0].spec).toBeUndefined();

      const specs = await must(client(t.app, tok.viewer).get(`/automation-specs?deployment_id=${dep.deployment}`), 200);
      expect(specs.items).toEqual([
        expect.objectContaining({
          path: 'automation/specs/broken.yaml',
          valid: false,
          deployment_id: dep.deployment,
          problems: expect.arrayContaining([
            expect.stringMatching(/^automation\/specs\/broken\.yaml:\d+:\d+ {2}.* spec\//),
          ]),
        }),
        expect.objectContaining({
          path: 'automation/specs/nightly/a.json',
          valid: true,
          project: 'farm-north-lorawan',
          actions: expect.arrayContaining([{ id: 'gw', type: 'configure_gateway' }]),
        }),
      ]);
    } finally {
      delete t.ctx.automationRoot;
    }
  });

  it("lists newest first with keyset pages and filters; a tenant sees only its deployments' runs (404 for the others)", async () => {
    await run(fastSpec(fakes, other, { vm: false, project: 'other-project' }), base);
    const mine = await walk<{ id: string; customer_id: string; project: string }>(
      client(t.app, tok.viewer),
      '/automation-runs',
      2,
    );
    expect(mine.length).toBeGreaterThan(3);
    expect(mine.every((r) => r.customer_id === dep.customer)).toBe(true);
    expect(mine.map((r) => r.id)).toEqual([...mine.map((r) => r.id)].sort().reverse());
    const theirs = await must(client(t.app, tok.otherViewer).get('/automation-runs'), 200);
    expect(theirs.items.map((r: { project: string }) => r.project)).toEqual(['other-project']);
    expect((await client(t.app, tok.otherViewer).get(`/automation-runs/${mine[0]!.id}`)).statusCode).toBe(404);
    // A scoped automation token cannot write to another customer's run either.
    const entry = { at: new Date().toISOString(), state: 'running', message: 'x', duration_ms: 0 };
    expect(
      (await client(t.app, tok.otherAutomation).post(`/automation-runs/${mine[0]!.id}/timeline`, { entries: [entry] }))
        .statusCode,
    ).toBe(404);
    const byProject = await must(
      client(t.app, await bearer(t.ctx.db, 'viewer', null, 'all-viewer')).get(
        '/automation-runs?project=other-project&state=succeeded',
      ),
      200,
    );
    expect(byProject.items).toHaveLength(1);
    expect((await client(t.app, tok.viewer).get('/automation-runs?state=done')).json().issues[0].path).toBe(
      'querystring.state',
    );
    expect((await client(t.app, tok.viewer).get('/automation-runs?cursor=nope')).json().issues).toEqual([
      { path: 'querystring.cursor', message: expect.any(String) },
    ]);
  });

  it('live: a viewer subscribed to automation:<run> gets each write as it lands; the other tenant hears nothing', async () => {
    const runId = generateId('automationRun');
    const sub = await openSse(`${base}/api/v1/stream?topics=automation:${runId}`, {
      authorization: `Bearer ${tok.viewer}`,
    });
    const theirs = await openSse(`${base}/api/v1/stream?topics=automation`, {
      authorization: `Bearer ${tok.otherViewer}`,
    });
    try {
      await expect.poll(() => sub.of('ready').length).toBe(1);
      await expect.poll(() => theirs.of('ready').length).toBe(1);
      const queued = await must(
        client(t.app, tok.operator).post(`/deployments/${dep.deployment}/automation-runs`, {
          id: runId,
          spec: fastSpec(fakes, dep, { vm: false }),
        }),
      );
      expect(queued.id).toBe(runId);
      const entry = { at: new Date().toISOString(), state: 'running', message: 'run started', duration_ms: 0 };
      await must(client(t.app, tok.automation).post(`/automation-runs/${runId}/timeline`, { entries: [entry] }));
      await expect.poll(() => sub.of('change').length).toBe(2);
      const [first, second] = sub.of('change').map((e) => JSON.parse(e.data));
      expect(first).toMatchObject({
        type: 'automation.queued',
        subject: { type: 'automation_run', id: runId },
        site_id: dep.site,
        payload: { project: 'farm-north-lorawan', state: 'queued' },
      });
      expect(second).toMatchObject({ type: 'automation.timeline', payload: { state: 'running', entries: [entry] } });
      await new Promise((r) => setTimeout(r, 200));
      expect(theirs.of('change')).toEqual([]);
    } finally {
      await sub.close();
      await theirs.close();
    }
  });
});
