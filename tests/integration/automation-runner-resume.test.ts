import fs from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/automation.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { startFakeProxmox, type FakeProxmox } from '../helpers/fake-proxmox.ts';
import { bearer, client, must, type Client } from '../helpers/registry.ts';
import {
  initDocsRepo,
  runCommits,
  runPages,
  slowEndpoint,
  spawnRunner,
  until,
  dirtyFiles,
  type RunnerArgs,
} from '../helpers/runner-process.ts';
import { runCli } from '../helpers/cli.ts';
import {
  backend,
  fastSpec,
  PVE_TOKEN,
  seedDeployment,
  startFakes,
  type Fakes,
  type Seeded,
} from './automation-runs-fixtures.ts';

// Issue 11, defect 6: `fleetbook runner` killed with -9 mid-run. Restarted with the same name
// and journal it picks its run up where it stopped (or, once the lease lapsed, another runner
// takes it over), and the run page and its commit are written exactly once. The runner is its
// own process here, killed for real; the API is real (PostgreSQL with TEST_DATABASE_URL).

const tmp = tempDir('arun-resume');
let t: TestApp;
let fakes: Fakes;
let base: string;
let op: Client;
let auto: Client;
let token: string;
const deps: Seeded[] = [];
let n = 0;

/** A runner's own folders: journal, and a handbook clone it commits to. */
function runnerHome(name: string) {
  const dir = path.join(tmp.dir, `${name}-${++n}`);
  const repo = path.join(dir, 'repo');
  const docsDir = initDocsRepo(repo);
  return { name, repo, docsDir, journalDir: path.join(dir, 'journal') };
}
const argsOf = (h: ReturnType<typeof runnerHome>, extra: Partial<RunnerArgs> = {}): RunnerArgs => ({
  api: base,
  token,
  name: h.name,
  journalDir: h.journalDir,
  docsDir: h.docsDir,
  lease: 20,
  ...extra,
});
const getRun = async (id: string) => must(auto.get(`/automation-runs/${id}`), 200);
const queue = async (d: Seeded, spec: Record<string, unknown>) =>
  (await must(op.post(`/deployments/${d.deployment}/automation-runs`, { spec }))).id as string;
const clones = (pve: FakeProxmox) =>
  pve.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/clone')).length;

/** What must hold after any stop and pick-up: one page, one commit, the run pointing at both, a clean work tree. */
async function expectWrittenOnce(h: ReturnType<typeof runnerHome>, runId: string) {
  const run = await getRun(runId);
  const pages = runPages(h.docsDir, runId);
  const commits = runCommits(h.repo, runId);
  expect(pages).toHaveLength(1);
  expect(commits).toHaveLength(1);
  expect(commits[0]!.subject).toBe(`run(${run.project}): ${runId} ${run.state}`);
  expect(run).toMatchObject({ commit_sha: commits[0]!.sha, page_path: path.relative(h.repo, pages[0]!) });
  expect(dirtyFiles(h.repo)).toEqual([]);
  expect(fs.readdirSync(h.journalDir).filter((f) => f.endsWith('.jsonl'))).toEqual([]);
  return { run, page: fs.readFileSync(pages[0]!, 'utf8') };
}

beforeAll(async () => {
  t = await createTestApp();
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  const admin = client(t.app, await bearer(t.ctx.db, 'admin'));
  op = client(t.app, await bearer(t.ctx.db, 'operator'));
  token = await bearer(t.ctx.db, 'automation');
  auto = client(t.app, token);
  for (const tag of ['rs-1', 'rs-2', 'rs-3', 'rs-4']) deps.push(await seedDeployment(t.ctx.db, admin, tag));
  fakes = await startFakes(tmp.dir);
});

afterAll(async () => {
  await fakes?.close();
  await t?.close();
  tmp.cleanup();
});

describe(`fleetbook runner killed mid-run (${backend()})`, () => {
  it('restarted with the same name and journal, it resumes its run: ended actions kept, the cut-off idempotent one run again, one page, one commit', async () => {
    const slow = await slowEndpoint(2500);
    const clonesBefore = clones(fakes.pve);
    try {
      const spec = fastSpec(fakes, deps[0]!);
      spec.actions[3].with.checks.push({ name: 'slow service', http: slow.url, timeout_s: 30 });
      const runId = await queue(deps[0]!, spec);
      const home = runnerHome('resume-a');
      const first = spawnRunner(argsOf(home), fakes.env);
      await until(() => slow.hits() > 0, 'the run reaches its slow health check', 60_000, first.output);
      await first.kill('SIGKILL');
      expect(runPages(home.docsDir, runId)).toEqual([]);
      expect((await getRun(runId)).state).toBe('running');

      const second = spawnRunner(argsOf(home, { drain: true }), fakes.env);
      expect(await second.exited, second.output()).toBe(0);
      expect(second.output()).toContain(`${runId} resumed after this runner stopped mid-run (pick-up 1)`);
      expect(second.output()).toContain(
        'picked up where it stopped: vm, stack, gw ended before; checks cut off mid-way',
      );
      const { run, page } = await expectWrittenOnce(home, runId);
      expect(run).toMatchObject({ state: 'succeeded', claimed_by: 'resume-a', resumes: 1, error: null });
      expect(
        run.timeline.filter((e: { message: string }) =>
          e.message.startsWith('resumed by runner resume-a after a restart'),
        ),
      ).toHaveLength(1);
      // provision_vm ran once (not repeated); the health checks (idempotent) ran again.
      expect(clones(fakes.pve) - clonesBefore).toBe(1);
      expect(slow.hits()).toBe(2);
      expect(
        run.timeline.filter(
          (e: { action_id?: string; state: string }) => e.action_id === 'vm' && e.state === 'succeeded',
        ),
      ).toHaveLength(1);
      // The page carries the first attempt's own record of the VM (its outputs came from the progress file).
      expect(page).toContain('cs-farm-north');
      expect(page).toMatch(/provision_vm/);
    } finally {
      await slow.close();
    }
  }, 120_000);

  it('a non-idempotent action cut off mid-way is not repeated: it fails as interrupted, the ticket opens, one page, one commit', async () => {
    const pve = await startFakeProxmox({ token: PVE_TOKEN, taskPolls: 40 });
    try {
      const spec = fastSpec(fakes, deps[1]!);
      Object.assign(spec.actions[0].with, { api_url: pve.url, poll_interval_s: 0.1 });
      const runId = await queue(deps[1]!, spec);
      const home = runnerHome('resume-b');
      const first = spawnRunner(argsOf(home), fakes.env);
      await until(() => clones(pve) > 0, 'provision_vm has asked for its clone', 60_000, first.output);
      await first.kill('SIGKILL');

      const second = spawnRunner(argsOf(home, { drain: true }), fakes.env);
      expect(await second.exited, second.output()).toBe(0);
      const { run } = await expectWrittenOnce(home, runId);
      expect(run).toMatchObject({ state: 'failed', resumes: 1 });
      expect(clones(pve)).toBe(1);
      const vmFailed = run.timeline.find(
        (e: { action_id?: string; state: string }) => e.action_id === 'vm' && e.state === 'failed',
      );
      expect(vmFailed.message).toBe(
        'provision_vm failed: interrupted: the runner stopped while it ran; provision_vm is not idempotent, so it is not repeated (check what it did by hand)',
      );
      expect(
        run.timeline.filter(
          (e: { action_id?: string; state: string }) => e.action_id === 'stack' && e.state === 'skipped',
        ),
      ).toHaveLength(1);
      expect(run.tickets).toEqual([expect.objectContaining({ action_id: 'vm', run_id: runId })]);
    } finally {
      await pve.close();
    }
  }, 120_000);

  it('killed between the commit and the finish: the restart finds its commit and does not commit again', async () => {
    const runId = await queue(deps[2]!, fastSpec(fakes, deps[2]!));
    const home = runnerHome('resume-c');
    // The kill lands exactly there: a post-commit hook that kills the runner (its pid is in the journal lock).
    const hook = path.join(home.repo, '.git', 'hooks', 'post-commit');
    fs.writeFileSync(hook, `#!/bin/sh\nkill -9 "$(cat '${path.join(home.journalDir, 'runner.lock')}')"\n`, {
      mode: 0o755,
    });
    const first = spawnRunner(argsOf(home), fakes.env);
    expect(await first.exited, first.output()).toBeNull(); // killed by the hook
    expect(runCommits(home.repo, runId)).toHaveLength(1);
    expect((await getRun(runId)).state).toBe('running');
    fs.rmSync(hook);

    const second = spawnRunner(argsOf(home, { drain: true }), fakes.env);
    expect(await second.exited, second.output()).toBe(0);
    expect(second.output()).toMatch(/committed before the runner stopped: [0-9a-f]{12}/);
    const { run } = await expectWrittenOnce(home, runId);
    expect(run).toMatchObject({ state: 'succeeded', resumes: 1 });
  }, 120_000);

  it('after the lease lapsed another runner takes the run over and writes it once; the stopped runner, restarted, leaves it alone', async () => {
    const slow = await slowEndpoint(2500);
    const clonesBefore = clones(fakes.pve);
    try {
      const spec = fastSpec(fakes, deps[3]!);
      spec.actions[3].with.checks.push({ name: 'slow service', http: slow.url, timeout_s: 30 });
      const runId = await queue(deps[3]!, spec);
      const a = runnerHome('takeover-a');
      const first = spawnRunner(argsOf(a, { lease: 10 }), fakes.env);
      await until(() => slow.hits() > 0, 'the run reaches its slow health check', 60_000, first.output);
      await first.kill('SIGKILL');
      // The lease lapses (10 s without heartbeats); moved on here rather than waited for.
      await sql`update automation_runs set lease_expires_at = now() - interval '1 second' where id = ${runId}`.execute(
        t.ctx.db,
      );

      const b = runnerHome('takeover-b');
      const other = spawnRunner(argsOf(b, { drain: true }), fakes.env);
      expect(await other.exited, other.output()).toBe(0);
      const { run } = await expectWrittenOnce(b, runId);
      expect(run).toMatchObject({ state: 'succeeded', claimed_by: 'takeover-b', resumes: 1 });
      expect(
        run.timeline.some((e: { message: string }) =>
          /^taken over by runner takeover-b: runner takeover-a lost/.test(e.message),
        ),
      ).toBe(true);
      expect(clones(fakes.pve) - clonesBefore).toBe(1);
      expect(slow.hits()).toBe(2);

      // The first runner comes back: the run is not its any more; it writes nothing.
      const back = spawnRunner(argsOf(a, { drain: true }), fakes.env);
      expect(await back.exited, back.output()).toBe(0);
      expect(back.output()).toContain(`${runId} not resumed:`);
      expect(runPages(a.docsDir, runId)).toEqual([]);
      expect(runCommits(a.repo, runId)).toEqual([]);
      expect((await getRun(runId)).commit_sha).toBe(run.commit_sha);
    } finally {
      await slow.close();
    }
  }, 120_000);

  it('--lease takes what the API takes (one schema): 20 s claims fine, 5 s is refused by the CLI naming the bounds', async () => {
    const refused = await runCli(['runner', '--api', base, '--lease', '5', '--drain', '--no-schedules']);
    expect(refused.code).toBe(1); // as every option the CLI refuses
    expect(refused.stderr).toContain('--lease: expected at least 10 s, got "5"');
    const home = runnerHome('lease-20');
    const ok = spawnRunner(argsOf(home, { lease: 20, drain: true }), fakes.env);
    expect(await ok.exited, ok.output()).toBe(0);
    expect(ok.output()).not.toContain('claim failed');
  }, 60_000);
});
