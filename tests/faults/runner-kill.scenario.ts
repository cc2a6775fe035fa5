import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createToken } from '../../data-api/src/kernel/auth/service.ts';
import { Journal } from '../../data-api/src/automation/journal.ts';
import { settleLedger, startPublishers, type FaultRig } from '../helpers/fault-rig.ts';
import {
  initDocsRepo,
  runCommits,
  runPages,
  slowEndpoint,
  spawnRunner,
  until,
  type RunnerArgs,
} from '../helpers/runner-process.ts';

/**
 * kill -9 of `fleetbook runner` in the middle of a run (tests/faults/process-faults.test.ts and
 * `npm run bench -- --only faults`), against fleetbook in production mode while devices publish.
 * The run's second action (a health check held 3 s by a slow endpoint) is running when the
 * runner dies; the runner is started again with the same name and journal. It must resume the
 * run: the first action not repeated, the cut-off check run again, one run page, one commit,
 * every write-back delivered, and the ingest (another process) untouched: no reading lost.
 */
export interface RunnerKillFigures {
  fault: string;
  /** Readings published during the scenario: acknowledged by the broker, lost, stored twice. */
  accepted: number;
  lost: number;
  storedTwice: number;
  runState: string;
  resumes: number;
  /** Run pages of the run in the runner's clone, and commits of it. */
  runPages: number;
  commits: number;
  /** Times the action that had ended before the kill ran (1: not repeated). */
  firstActionRuns: number;
  /** Write-backs left undelivered in the runner's journal folder afterwards. */
  writebacksPending: number;
  /** kill → the runner started again. */
  downSeconds: number;
  /** Restart → the run finished in the API with its page and commit: the recovery. */
  recoverySeconds: number;
  /** Baseline: runner start → the same spec run to the end without a fault (null when not measured). */
  baselineSeconds: number | null;
}

export const RUNNER_KILL_NAME = 'runner kill -9 mid-run, restarted with the same name and journal';

export async function runRunnerKill(
  rig: FaultRig,
  run: { slowMs?: number; downMs?: number; baseline?: boolean } = {},
): Promise<RunnerKillFigures> {
  const fleetbook = rig.fleetbook;
  if (!fleetbook) throw new Error('start fleetbook on the rig first');
  const t = randomBytes(3).toString('hex');
  const db = rig.database.handle.db;
  const admin = (await createToken(db, { name: `faults-admin-${t}`, role: 'admin' })).token;
  const operator = (await createToken(db, { name: `faults-operator-${t}`, role: 'operator' })).token;
  const automation = (await createToken(db, { name: `faults-runner-${t}`, role: 'automation' })).token;
  const api = async (token: string, method: string, url: string, body?: unknown) => {
    const res = await fetch(`${fleetbook.url}/api/v1${url}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const json = await res.json();
    if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  const deployment = `dep_faults-${t}`;
  await api(admin, 'POST', '/deployments', {
    id: deployment,
    site_id: rig.devices[0]!.site,
    product_code: 'lorawan-gw',
    product_version: '2.1.0',
    state: 'live',
  });

  const slow = await slowEndpoint(run.slowMs ?? 3000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetbook-runner-kill-'));
  const repo = path.join(dir, 'repo');
  const docsDir = initDocsRepo(repo);
  const journalDir = path.join(dir, 'journal');
  const args: RunnerArgs = {
    api: fleetbook.url,
    token: automation,
    name: `faults-runner-${t}`,
    journalDir,
    docsDir,
    lease: 10,
  };
  const spec = {
    spec_version: 1,
    project: 'faults',
    deployment_id: deployment,
    product_code: 'lorawan-gw',
    product_version: '2.1.0',
    actions: [
      { id: 'gw', type: 'configure_gateway', with: { region: 'AS923_1', server: 'cs-faults', port: 1700 } },
      {
        id: 'checks',
        type: 'run_health_checks',
        with: {
          checks: [{ name: 'slow service', http: slow.url, timeout_s: 30 }, { tcp: `127.0.0.1:${rig.mosquitto.port}` }],
        },
      },
      { id: 'ticket', type: 'open_ticket_on_failure' },
    ],
  };
  const queue = async () =>
    (await api(operator, 'POST', `/deployments/${deployment}/automation-runs`, { spec })).id as string;
  const runOf = (id: string) => api(automation, 'GET', `/automation-runs/${id}`);

  try {
    let baselineSeconds: number | null = null;
    if (run.baseline) {
      const id = await queue();
      const t0 = Date.now();
      const plain = spawnRunner({ ...args, drain: true });
      if ((await plain.exited) !== 0) throw new Error(`the baseline runner failed:\n${plain.output()}`);
      baselineSeconds = (Date.now() - t0) / 1000;
      if ((await runOf(id)).state !== 'succeeded')
        throw new Error(`the baseline run did not succeed:\n${plain.output()}`);
    }

    const publishers = await startPublishers(rig);
    try {
      const id = await queue();
      const hitsBefore = slow.hits();
      const first = spawnRunner(args);
      await until(() => slow.hits() > hitsBefore, 'the run reaches its slow health check', 60_000, first.output);
      const tKill = Date.now();
      await first.kill('SIGKILL');
      await new Promise((r) => setTimeout(r, run.downMs ?? 500));
      const tSpawn = Date.now();
      const second = spawnRunner({ ...args, drain: true });
      let finished: {
        state: string;
        commit_sha: string | null;
        resumes: number;
        timeline: Array<{ action_id?: string; state: string }>;
      } | null = null;
      await until(
        async () => {
          const r = await runOf(id);
          if (r.state !== 'succeeded' && r.state !== 'failed') return false;
          finished = r;
          return true;
        },
        'the resumed run finishes',
        120_000,
        second.output,
      );
      const tDone = Date.now();
      if ((await second.exited) !== 0) throw new Error(`the restarted runner failed:\n${second.output()}`);
      await publishers.stop();
      const { accepted, lost, storedTwice } = await settleLedger(rig, publishers.ledger);
      const done = finished!;
      const journals = fs.readdirSync(journalDir).filter((f) => f.endsWith('.jsonl'));
      return {
        fault: RUNNER_KILL_NAME,
        accepted: accepted.length,
        lost: lost.length,
        storedTwice,
        runState: done.state,
        resumes: done.resumes,
        runPages: runPages(docsDir, id).length,
        commits: runCommits(repo, id).length,
        firstActionRuns: done.timeline.filter((e) => e.action_id === 'gw' && e.state === 'running').length,
        writebacksPending: journals.reduce((n, f) => n + new Journal(path.join(journalDir, f)).pending().length, 0),
        downSeconds: (tSpawn - tKill) / 1000,
        recoverySeconds: (tDone - tSpawn) / 1000,
        baselineSeconds,
      };
    } finally {
      await publishers.stop(0).catch(() => {});
    }
  } finally {
    await slow.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
