import fs from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunnerService, type RunnerServiceOptions } from '../../data-api/src/automation/runner-service/service.ts';
import { loadSpecFile } from '../../data-api/src/automation/spec-file.ts';
import {
  dueSlot,
  loadSchedules,
  parseSchedules,
  type Schedule,
} from '../../data-api/src/automation/runner-service/schedules.ts';
import { tempDir } from '../helpers/automation.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { bearer, client, must, type Client } from '../helpers/registry.ts';
import { backend, fastSpec, seedDeployment, startFakes, type Fakes, type Seeded } from './automation-runs-fixtures.ts';

// `fleetbook runner` (service mode): runners claim queued runs through
// `POST /api/v1/automation-runs/claim` (FOR UPDATE SKIP LOCKED; one running run per deployment;
// safe with any number of runners), run them with the runner code of `fleetbook run` (write-back
// through the journal), and fire automation/schedules.yaml slots once across runners (a slot is
// a unique (schedule_id, fire_time) row). A claim lapses without heartbeats: the next claim takes
// the run over (tests/integration/automation-runner-resume.test.ts runs that with real runners);
// after MAX_RUN_RESUMES pick-ups it fails as lost.
// PGlite + aedes by default; PostgreSQL + Mosquitto with TEST_DATABASE_URL / TEST_MQTT_URL (where
// the runners' claims really race on separate connections).

const tmp = tempDir('arun-runners');
let t: TestApp;
let fakes: Fakes;
let base: string;
let admin: Client;
let op: Client;
let auto: Client;
let automationToken: string;
const deps: Seeded[] = [];
let n = 0;

function runner(name: string, extra: Partial<RunnerServiceOptions> = {}): RunnerService {
  const dir = path.join(tmp.dir, `${name}-${++n}`);
  return new RunnerService({
    api: base,
    token: automationToken,
    name,
    docsDir: path.join(dir, 'docs'),
    root: path.resolve(__dirname, '../..'),
    journalDir: path.join(dir, 'journal'),
    concurrency: 2,
    pollMs: 50,
    heartbeatMs: 200,
    drain: true,
    env: fakes.env,
    reporter: { backoffMs: 20, closeAttempts: 5, closeDelayMs: 50 },
    ...extra,
  });
}

const queue = async (d: Seeded, spec = fastSpec(fakes, d)) =>
  (await must(op.post(`/deployments/${d.deployment}/automation-runs`, { spec }))).id as string;

beforeAll(async () => {
  t = await createTestApp();
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  admin = client(t.app, await bearer(t.ctx.db, 'admin'));
  op = client(t.app, await bearer(t.ctx.db, 'operator'));
  automationToken = await bearer(t.ctx.db, 'automation');
  auto = client(t.app, automationToken);
  for (const tag of ['rn-1', 'rn-2', 'rn-3', 'rn-4']) deps.push(await seedDeployment(t.ctx.db, admin, tag));
  fakes = await startFakes(tmp.dir);
});

afterAll(async () => {
  await fakes?.close();
  await t?.close();
  tmp.cleanup();
});

describe(`runner services (${backend()})`, () => {
  it('two runners, ten queued runs: each runs exactly once, never two at a time for one deployment', async () => {
    const ids: string[] = [];
    for (const [i, count] of [3, 3, 2, 2].entries()) for (let k = 0; k < count; k++) ids.push(await queue(deps[i]!));
    // Watch the database while they run: never two claimed running runs of one deployment.
    let overlap = 0;
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const rows = await sql<{
          n: number;
        }>`select count(*)::int as n from automation_runs where state = 'running' and claimed_by is not null group by deployment_id having count(*) > 1`.execute(
          t.ctx.db,
        );
        overlap += rows.rows.length;
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    const a = runner('runner-a');
    const b = runner('runner-b');
    await Promise.all([a.start(), b.start()]);
    watching = false;
    await watcher;
    expect(overlap).toBe(0);
    expect(a.stats.claimed + b.stats.claimed).toBe(10);
    expect(a.stats.claimed).toBeGreaterThan(0);
    expect(b.stats.claimed).toBeGreaterThan(0);
    expect(a.stats.pendingWritebacks + b.stats.pendingWritebacks).toBe(0);

    const runs = await t.ctx.db.selectFrom('automation_runs').selectAll().where('id', 'in', ids).execute();
    const failures = await t.ctx.db
      .selectFrom('automation_run_timeline')
      .select(['run_id', 'message'])
      .where('run_id', 'in', ids)
      .where('state', '=', 'failed')
      .execute();
    expect(failures).toEqual([]);
    expect(runs.map((r) => r.state)).toEqual(ids.map(() => 'succeeded'));
    for (const r of runs) {
      expect(['runner-a', 'runner-b']).toContain(r.claimed_by);
      expect(r.page_path).toMatch(new RegExp(`${r.id}\\.mdx$`));
    }
    // Claimed once each (one claim audit per run); the runner's create hit the existing run (409: delivered).
    const claims = await t.ctx.db
      .selectFrom('audit_log')
      .select(['entity_id'])
      .where('action', '=', 'automation_run.claimed')
      .where('entity_id', 'in', ids)
      .execute();
    expect(claims.map((c) => c.entity_id).sort()).toEqual([...ids].sort());
    // Per deployment, runs start in the order they were queued, each after the one before it finished.
    for (const d of deps) {
      const mine = runs.filter((r) => r.deployment_id === d.deployment).sort((x, y) => +x.claimed_at! - +y.claimed_at!);
      expect(mine.map((r) => r.id)).toEqual(ids.filter((id) => mine.some((r) => r.id === id)));
      for (let i = 1; i < mine.length; i++)
        expect(+mine[i]!.claimed_at!).toBeGreaterThanOrEqual(+mine[i - 1]!.finished_at!);
    }
    // One page per run, written by the runner that ran it.
    const pages = [a, b].flatMap((r) => {
      const dir = (r as unknown as { opts: RunnerServiceOptions }).opts.docsDir;
      return fs.existsSync(dir)
        ? fs
            .readdirSync(dir, { recursive: true })
            .map(String)
            .filter((f) => /arun_\w+\.mdx$/.test(f))
        : [];
    });
    expect(pages.map((p) => path.basename(p, '.mdx')).sort()).toEqual([...ids].sort());
    // The timeline shows the queue, the claim and the runner's own entries.
    const one = await must(auto.get(`/automation-runs/${ids[0]}`), 200);
    expect(one.timeline.slice(0, 2)).toEqual([
      expect.objectContaining({ state: 'queued', message: expect.stringContaining('queued by operator (inline)') }),
      expect.objectContaining({ state: 'running', message: `claimed by runner ${one.claimed_by}` }),
    ]);
    expect(one.timeline.at(-1)).toMatchObject({ state: 'succeeded', message: expect.stringMatching(/^run succeeded/) });
  }, 120_000);

  it('claims racing at once hand out distinct runs, at most one per deployment, and none twice', async () => {
    const ids = [
      await queue(deps[0]!),
      await queue(deps[0]!),
      await queue(deps[1]!),
      await queue(deps[1]!),
      await queue(deps[2]!),
    ];
    const claims = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        fetch(`${base}/api/v1/automation-runs/claim`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${automationToken}` },
          body: JSON.stringify({ runner: `racer-${i}` }),
        }).then(async (r) => ({
          status: r.status,
          body: (await r.json()) as { run: { id: string; deployment_id: string } | null },
        })),
      ),
    );
    expect(claims.every((c) => c.status === 200)).toBe(true);
    const got = claims.map((c) => c.body.run).filter((r): r is { id: string; deployment_id: string } => r !== null);
    expect(got.map((r) => r.deployment_id).sort()).toEqual([
      deps[0]!.deployment,
      deps[1]!.deployment,
      deps[2]!.deployment,
    ]);
    expect(new Set(got.map((r) => r.id)).size).toBe(3);
    // The oldest run of each deployment went first.
    expect(got.map((r) => r.id).sort()).toEqual([ids[0], ids[2], ids[4]].sort());
    // Finish them; the next run of deployment 1 can then be claimed.
    const now = new Date().toISOString();
    for (const r of got)
      await must(
        auto.post(`/automation-runs/${r.id}/finish`, {
          state: 'failed',
          started_at: now,
          finished_at: now,
          duration_ms: 0,
          page_path: null,
          commit_sha: null,
          pushed: false,
        }),
        200,
      );
    const next = await must(
      auto.post('/automation-runs/claim', { runner: 'racer-x', deployment_id: deps[0]!.deployment }),
      200,
    );
    expect(next.run.id).toBe(ids[1]);
    for (const id of [ids[1]!, ids[3]!]) {
      if (id === ids[3])
        expect((await must(auto.post('/automation-runs/claim', { runner: 'racer-y' }), 200)).run.id).toBe(id);
      await must(
        auto.post(`/automation-runs/${id}/finish`, {
          state: 'failed',
          started_at: now,
          finished_at: now,
          duration_ms: 0,
          page_path: null,
          commit_sha: null,
          pushed: false,
        }),
        200,
      );
    }
  });

  it('a schedule slot fires once with two runners; its runs are run once', async () => {
    // A live deployment without devices is skipped by the health-check job.
    const empty = await seedDeployment(t.ctx.db, admin, 'rn-empty');
    await t.ctx.db.deleteFrom('devices').where('deployment_id', '=', empty.deployment).execute();
    const file = parseSchedules(
      `schedules_version: 1
schedules:
  - id: every-minute-health
    cron: "* * * * *"
    health_checks: { project: fleet-health, timeout_s: 5 }
  - id: hourly-spec
    cron: "0 * * * *"
    timezone: Asia/Bangkok
    spec: automation/specs/hourly.json
`,
      'schedules.yaml',
    );
    expect(file.ok).toBe(true);
    const schedules = (file as { schedules: Schedule[] }).schedules;
    // The spec schedule reads its file from the runner's checkout (root).
    const root = path.join(tmp.dir, 'root');
    fs.mkdirSync(path.join(root, 'automation/specs'), { recursive: true });
    fs.writeFileSync(
      path.join(root, 'automation/specs/hourly.json'),
      JSON.stringify(fastSpec(fakes, deps[3]!, { vm: false, project: 'hourly' })),
    );

    const now = new Date();
    now.setUTCMinutes(0, 30, 0); // 30 s after an hourly slot: both schedules are due
    const a = runner('sched-a', { schedules, root });
    const b = runner('sched-b', { schedules, root });
    const [ra, rb] = await Promise.all([a.tickSchedules(now), b.tickSchedules(now)]);
    for (const id of ['every-minute-health', 'hourly-spec']) {
      const both = [...ra, ...rb].filter((r) => r.schedule_id === id);
      expect(both).toHaveLength(2);
      expect(both.filter((r) => r.fired)).toHaveLength(1);
      expect(both[0]!.run_ids).toEqual(both[1]!.run_ids);
      expect(both[0]!.fire_time).toBe(new Date(Math.floor(now.getTime() / 3_600_000) * 3_600_000).toISOString());
    }
    const slots = await t.ctx.db.selectFrom('automation_schedule_fires').selectAll().execute();
    expect(slots.map((s) => s.schedule_id).sort()).toEqual(['every-minute-health', 'hourly-spec']);
    const health = slots.find((s) => s.schedule_id === 'every-minute-health')!;
    // One run per live deployment with devices (rn-1..4; other files' fleets are not in this database).
    expect(health.run_ids).toHaveLength(4);
    expect(health.skipped).toEqual([{ deployment_id: empty.deployment, reason: 'no devices' }]);

    // The same runner ticking again within the slot, or a runner started later, queues nothing more.
    expect(await a.tickSchedules(new Date(now.getTime() + 10_000))).toEqual([]);
    const late = await runner('sched-c', { schedules, root }).tickSchedules(new Date(now.getTime() + 20_000));
    expect(late.every((r) => !r.fired)).toBe(true);
    expect(await t.ctx.db.selectFrom('automation_schedule_fires').select('schedule_id').execute()).toHaveLength(2);

    // Both runners drain the queue: every scheduled run once.
    await Promise.all([runner('drain-a').start(), runner('drain-b').start()]);
    const runIds = slots.flatMap((s) => s.run_ids);
    const runs = await t.ctx.db
      .selectFrom('automation_runs')
      .select(['id', 'state', 'source', 'schedule_id', 'project', 'spec_ref'])
      .where('id', 'in', runIds)
      .execute();
    expect(runs).toHaveLength(5);
    expect(runs.every((r) => r.state === 'succeeded' && r.source === 'schedule')).toBe(true);
    expect(runs.filter((r) => r.project === 'fleet-health')).toHaveLength(4);
    expect(runs.find((r) => r.project === 'hourly')).toMatchObject({
      spec_ref: 'automation/specs/hourly.json',
      schedule_id: 'hourly-spec',
    });
    const claims = await t.ctx.db
      .selectFrom('audit_log')
      .select('entity_id')
      .where('action', '=', 'automation_run.claimed')
      .where('entity_id', 'in', runIds)
      .execute();
    expect(claims).toHaveLength(5);
    // A generated health-check run checks each device of its deployment.
    const generated = await must(auto.get(`/automation-runs/${health.run_ids[0]}`), 200);
    expect(generated.spec.actions[0]).toMatchObject({
      type: 'run_health_checks',
      with: { checks: [expect.objectContaining({ device_up: expect.stringMatching(/^gw_rn-/), timeout_s: 5 })] },
    });
  }, 120_000);

  it("dueSlot: the latest slot within the catch-up window, in the schedule's time zone", () => {
    const parsed = parseSchedules(
      'schedules_version: 1\nschedules:\n  - { id: bkk, cron: "0 2 * * *", timezone: Asia/Bangkok, catch_up_s: 600, spec: automation/specs/a.yaml }\n',
      's.yaml',
    );
    const s = (parsed as { schedules: Schedule[] }).schedules[0]!;
    expect(dueSlot(s, new Date('2025-05-01T19:00:00.000Z'))?.toISOString()).toBe('2025-05-01T19:00:00.000Z'); // 02:00 in Bangkok
    expect(dueSlot(s, new Date('2025-05-01T19:09:59.000Z'))?.toISOString()).toBe('2025-05-01T19:00:00.000Z');
    expect(dueSlot(s, new Date('2025-05-01T19:10:01.000Z'))).toBeNull();
    expect(dueSlot({ ...s, enabled: false }, new Date('2025-05-01T19:00:00.000Z'))).toBeNull();
    // The repository's own schedules file is valid, and names spec files that are.
    const repo = loadSchedules(path.resolve(__dirname, '../../automation/schedules.yaml'));
    expect(repo.ok ? repo.schedules.map((x) => x.id) : repo.problems).toEqual([
      'nightly-health-checks',
      'weekly-report',
    ]);
    const weekly = (repo as { schedules: Schedule[] }).schedules[1]!.spec!;
    expect(loadSpecFile(path.resolve(__dirname, '../..', weekly)).ok).toBe(true);
    // Problems point at their line and column.
    const bad = parseSchedules(
      'schedules_version: 1\nschedules:\n  - id: x\n    cron: "61 * * * *"\n    spec: automation/specs/a.yaml\n',
      'bad.yaml',
    );
    expect(bad.ok ? [] : bad.problems).toEqual([
      'bad.yaml:4:5  schedules[0].cron: not a cron expression: Constraint error, got value 61 expected range 0-59',
    ]);
  });

  it('a runner that stops sending heartbeats: the next claim takes the run over; its old runner is refused; after 3 pick-ups it fails as lost (alert)', async () => {
    const d = deps[3]!;
    const lostId = await queue(d);
    const nextId = await queue(d);
    const claimed = await must(
      auto.post('/automation-runs/claim', { runner: 'ghost', lease_s: 30, deployment_id: d.deployment }),
      200,
    );
    expect(claimed.run).toMatchObject({ id: lostId, state: 'running', claimed_by: 'ghost', resumes: 0 });
    expect(
      (await must(auto.post(`/automation-runs/${lostId}/heartbeat`, { runner: 'ghost' }), 200)).lease_expires_at,
    ).toEqual(expect.any(String));
    // Nothing else of this deployment is handed out while ghost holds its run, and nobody else may resume it.
    expect(
      (await must(auto.post('/automation-runs/claim', { runner: 'other', deployment_id: d.deployment }), 200)).run,
    ).toBeNull();
    const early = await auto.post(`/automation-runs/${lostId}/resume`, { runner: 'other' });
    expect(early.statusCode).toBe(409);
    expect(early.json().message).toContain(`automation run ${lostId} is held by runner ghost until`);
    const lapse = () =>
      sql`update automation_runs set lease_expires_at = now() - interval '1 second' where id = ${lostId}`.execute(
        t.ctx.db,
      );
    await lapse();

    // The lapsed run comes before the queued one: taken over, still running, a timeline entry says by whom.
    const taken = await must(
      auto.post('/automation-runs/claim', { runner: 'other', lease_s: 10, deployment_id: d.deployment }),
      200,
    );
    expect(taken.run).toMatchObject({ id: lostId, state: 'running', claimed_by: 'other', resumes: 1, error: null });
    expect(taken.run.timeline.at(-1)).toMatchObject({
      state: 'running',
      message: expect.stringMatching(
        /^taken over by runner other: runner ghost lost \(no heartbeat or write-back since .*\) \(pick-up 1 of at most 3\)$/,
      ),
    });
    const hb = await auto.post(`/automation-runs/${lostId}/heartbeat`, { runner: 'ghost' });
    expect(hb.statusCode).toBe(409);
    expect(hb.json().message).toContain(
      `automation run ${lostId} is not held by runner ghost (state running, claimed by other`,
    );
    // Its holder may resume it at any time (a restart); a lapsed run anyone may.
    expect(
      await must(auto.post(`/automation-runs/${lostId}/resume`, { runner: 'other', lease_s: 10 }), 200),
    ).toMatchObject({ claimed_by: 'other', resumes: 2 });
    await lapse();
    expect(await must(auto.post(`/automation-runs/${lostId}/resume`, { runner: 'third' }), 200)).toMatchObject({
      claimed_by: 'third',
      resumes: 3,
    });
    await lapse();

    // A run that stopped its runner 3 times is not handed out again: it fails as lost, and the queued one is next.
    const after = await must(
      auto.post('/automation-runs/claim', { runner: 'other', deployment_id: d.deployment }),
      200,
    );
    expect(after.run.id).toBe(nextId);
    const lost = await must(auto.get(`/automation-runs/${lostId}`), 200);
    expect(lost).toMatchObject({
      state: 'failed',
      error: expect.stringMatching(
        /^runner third lost: no heartbeat or write-back since .* \(lease 300 s\), after 3 pick-ups \(at most 3\)$/,
      ),
      lease_expires_at: null,
    });
    expect(lost.timeline.at(-1)).toMatchObject({
      state: 'failed',
      message: expect.stringContaining('runner third lost'),
    });
    const alerts = await must(
      client(t.app, await bearer(t.ctx.db, 'viewer', null, 'v')).get(`/alerts?subject_id=${lostId}`),
      200,
    );
    expect(alerts.items).toEqual([
      expect.objectContaining({ rule_id: 'automation_run_failed', state: 'open', customer_id: d.customer }),
    ]);
    const late = await auto.post(`/automation-runs/${lostId}/resume`, { runner: 'third' });
    expect(late.statusCode).toBe(409);
    expect(late.json().message).toContain(
      `automation run ${lostId} cannot be resumed: it is failed (runner third lost`,
    );
    const entry = { at: new Date().toISOString(), state: 'running', message: 'late', duration_ms: 0 };
    expect((await auto.post(`/automation-runs/${lostId}/timeline`, { entries: [entry] })).statusCode).toBe(409);
    const now = new Date().toISOString();
    await must(
      auto.post(`/automation-runs/${nextId}/finish`, {
        state: 'succeeded',
        started_at: now,
        finished_at: now,
        duration_ms: 0,
        page_path: null,
        commit_sha: null,
        pushed: false,
      }),
      200,
    );
  });

  it('a claim lease outside 10 s to one day is a 400 naming lease_s, as `fleetbook runner --lease` refuses it', async () => {
    for (const [lease_s, message] of [
      [9, 'expected at least 10 s'],
      [86_401, 'expected at most 86400 s (one day)'],
      [20.5, 'expected whole seconds'],
    ] as const) {
      const res = await auto.post('/automation-runs/claim', { runner: 'bounds', lease_s, deployment_id: 'dep_none' });
      expect(res.statusCode).toBe(400);
      expect(JSON.stringify(res.json())).toContain('lease_s');
      expect(JSON.stringify(res.json())).toContain(message);
    }
    expect(
      (
        await must(
          auto.post('/automation-runs/claim', { runner: 'bounds', lease_s: 20, deployment_id: 'dep_none' }),
          200,
        )
      ).run,
    ).toBeNull();
  });
});
