// `fleetbook runner`: a long-running runner. Each poll it
//  1. replays journals of earlier runs that still hold undelivered write-backs,
//  2. fires the schedule slots that are due (automation/schedules.yaml; the API makes each slot
//     fire once across runners),
//  2b. picks up the runs it left mid-run (killed, host rebooted): its progress file of each run
//     says where it stopped (POST /automation-runs/:id/resume; same runner name and journal),
//  3. claims queued runs (POST /automation-runs/claim: FOR UPDATE SKIP LOCKED, one running run
//     per deployment) up to its concurrency, and runs each with the same code as `fleetbook run`
//     (runAutomation: actions, run page, optional commit/push, write-back through the journal),
//     renewing the claim's lease with heartbeats while it runs.
//     A claim may also hand it a run whose runner stopped and whose lease lapsed: it takes it
//     over from the API's timeline. Either way ended actions are not run again and the run
//     page and commit are written once.
// Any number of runners can share one API. Each needs its own journal folder and, when it
// commits, its own clone of the repository (a work tree takes one run's commit at a time).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ActionRegistry } from '../actions/index.ts';
import { HttpRunReporter, Journal } from '../journal.ts';
import { PROGRESS_SUFFIX, resumeFromProgress, resumeFromTimeline, RunProgress, type ResumePoint } from '../progress.ts';
import { runAutomation, type AutomationRunOptions, type AutomationRunOutcome } from '../orchestrate.ts';
import { formatDiagnostic, loadSpecFile } from '../spec-file.ts';
import { LEASE_SECONDS, type AutomationRun, type ScheduleFireResult } from '../../contracts/automation-runs.ts';
import { validateExecutionSpec, formatPath } from '../../contracts/execution-spec.ts';
import { ApiCallError, RunnerClient } from './client.ts';
import { dueSlot, type Schedule } from './schedules.ts';
import { acquirePidLock } from '../../kernel/pid-lock.ts';

export const DEFAULT_JOURNAL_DIR = '.fleetbook/runner-journal';

export interface RunnerServiceOptions {
  api: string;
  token?: string;
  /** Shown on claimed runs; checked by heartbeats. Default `<hostname>-<pid>`. */
  name?: string;
  /** The docs root run pages go under (a clone of the handbook when committing). */
  docsDir: string;
  /** Where `spec:` paths of schedules are read from (the repository root). */
  root: string;
  /** Parsed automation/schedules.yaml; empty: this runner fires no schedules. */
  schedules?: Schedule[];
  /** One journal per run in here; runs with undelivered write-backs keep theirs until delivered. */
  journalDir?: string;
  commit?: boolean;
  push?: boolean;
  gitAuthor?: string;
  /** Runs at once (1 when committing: one work tree takes one run's commit at a time). */
  concurrency?: number;
  pollMs?: number;
  leaseS?: number;
  heartbeatMs?: number;
  /** Exit once nothing is queued, nothing runs and nothing is left to deliver. */
  drain?: boolean;
  env?: NodeJS.ProcessEnv;
  actions?: ActionRegistry;
  out?: (line: string) => void;
  clock?: () => Date;
  reporter?: AutomationRunOptions['reporter'];
  fetch?: typeof fetch;
}

export class RunnerConfigError extends Error {
  readonly exitCode = 2;
}

export interface RunnerStats {
  claimed: number;
  succeeded: number;
  failed: number;
  schedulesFired: number;
  pendingWritebacks: number;
  /** Runs picked up after a runner stopped mid-run: this runner's own, or another's taken over. */
  resumed: number;
}

export class RunnerService {
  readonly name: string;
  readonly stats: RunnerStats = {
    claimed: 0,
    succeeded: 0,
    failed: 0,
    schedulesFired: 0,
    pendingWritebacks: 0,
    resumed: 0,
  };
  private readonly client: RunnerClient;
  private readonly active = new Map<string, Promise<void>>();
  private readonly seenSlots = new Set<string>();
  private readonly journalDir: string;
  private readonly out: (line: string) => void;
  private readonly clock: () => Date;
  private stopping = false;
  private wake: (() => void) | undefined;
  private unlock: (() => void) | undefined;
  private loop: Promise<void> | undefined;

  constructor(private readonly opts: RunnerServiceOptions) {
    this.name = opts.name ?? `${os.hostname()}-${process.pid}`;
    this.client = new RunnerClient({ api: opts.api, token: opts.token, fetch: opts.fetch });
    this.journalDir = path.resolve(opts.journalDir ?? DEFAULT_JOURNAL_DIR);
    this.out = opts.out ?? (() => {});
    this.clock = opts.clock ?? (() => new Date());
    if ((opts.commit || opts.push) && (opts.concurrency ?? 1) > 1) {
      throw new RunnerConfigError(
        '--concurrency above 1 cannot be combined with --commit or --push: a work tree takes one run at a time (start more runners, each with its own clone)',
      );
    }
  }

  private get concurrency() {
    return Math.max(1, this.opts.concurrency ?? 1);
  }

  /** Runs until stop() (or, with drain, until there is nothing left to do). */
  start(): Promise<void> {
    this.unlock = lockJournalDir(this.journalDir);
    this.out(
      `runner ${this.name}: ${this.opts.api} · ${this.concurrency} at a time · ${this.opts.schedules?.length ?? 0} schedule${this.opts.schedules?.length === 1 ? '' : 's'} · journals in ${this.journalDir}`,
    );
    this.loop = this.run().finally(() => {
      this.unlock?.();
      this.unlock = undefined;
    });
    return this.loop;
  }

  /** Stops claiming; the runs in progress finish (their pages and write-backs included). */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      let claimedAny = false;
      try {
        await this.replayJournals();
        await this.resumeInterrupted();
        await this.tickSchedules();
        claimedAny = await this.fill();
      } catch (err) {
        this.out(`runner: ${(err as Error).message}`);
      }
      if (this.opts.drain && !claimedAny && this.active.size === 0) {
        const left = this.pendingJournals().length;
        this.stats.pendingWritebacks = left;
        // Runs held back by another runner's run of the same deployment are still to do.
        const waiting = await this.client.queuedCount().catch(() => 1);
        if ((left === 0 && waiting === 0) || this.stopping) break;
      }
      if (this.stopping) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.opts.pollMs ?? 5000);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
    await Promise.all(this.active.values());
    this.stats.pendingWritebacks = this.pendingJournals().length;
  }

  /** Claims until the runner is full or nothing is queued; true when it claimed something. */
  async fill(): Promise<boolean> {
    let claimed = false;
    while (!this.stopping && this.active.size < this.concurrency) {
      let run: AutomationRun | null;
      try {
        run = await this.client.claim({ runner: this.name, lease_s: this.opts.leaseS ?? 300 });
      } catch (err) {
        this.out(`runner: claim failed: ${(err as Error).message}`);
        return claimed;
      }
      if (!run) return claimed;
      claimed = true;
      this.stats.claimed++;
      if (run.resumes > 0) {
        // A run whose runner stopped and whose lease lapsed: taken over where the API says it stopped.
        this.stats.resumed++;
        this.launch(run, this.resumePointOf(run));
      } else this.launch(run);
    }
    return claimed;
  }

  private launch(run: AutomationRun, resume?: ResumePoint): void {
    const id = run.id;
    const p = this.execute(run, resume)
      .catch((err: Error) => this.out(`${id} runner error: ${err.message}`))
      .finally(() => {
        this.active.delete(id);
        this.wake?.();
      });
    this.active.set(id, p);
  }

  /** Where a picked-up run goes on: this runner's own progress file when it has one, else the API's timeline. */
  private resumePointOf(run: AutomationRun): ResumePoint {
    const own = resumeFromProgress(RunProgress.for(this.journalDir, run.id).read(), run);
    return (
      own ?? resumeFromTimeline(run, (run.spec as { actions?: Array<{ id: string; type: string }> }).actions ?? [])
    );
  }

  /**
   * Runs this runner left mid-run (a kill -9, a reboot): each has a progress file here and no
   * finish yet. Its write-backs are delivered first (replayJournals), then the API is asked for
   * it back (same runner name), and it goes on where it stopped.
   */
  async resumeInterrupted(): Promise<void> {
    let files: string[];
    try {
      files = fs.readdirSync(this.journalDir).filter((n) => n.endsWith(PROGRESS_SUFFIX));
    } catch {
      return;
    }
    for (const name of files) {
      if (this.stopping || this.active.size >= this.concurrency) return;
      const runId = name.slice(0, -PROGRESS_SUFFIX.length);
      if (this.active.has(runId)) continue;
      // The API's timeline must hold everything this runner sent before it stopped.
      if (new Journal(path.join(this.journalDir, `${runId}.jsonl`)).pending().length > 0) continue;
      let run: AutomationRun;
      try {
        run = await this.client.resume(runId, {
          runner: this.name,
          lease_s: this.opts.leaseS ?? LEASE_SECONDS.default,
        });
      } catch (err) {
        if (err instanceof ApiCallError && (err.status === 409 || err.status === 404)) {
          // Finished, or taken over by another runner after the lease lapsed: not ours any more.
          this.out(`${runId} not resumed: ${err.message}`);
          RunProgress.for(this.journalDir, runId).remove();
          continue;
        }
        this.out(`${runId} resume: ${(err as Error).message}`);
        return; // the API is away: next poll
      }
      this.stats.resumed++;
      this.out(`${runId} resumed after this runner stopped mid-run (pick-up ${run.resumes})`);
      this.launch(run, this.resumePointOf(run));
    }
  }

  /** Fires every due slot this runner has not reported yet; the API says whether it was first. */
  async tickSchedules(now = this.clock()): Promise<ScheduleFireResult[]> {
    const results: ScheduleFireResult[] = [];
    for (const schedule of this.opts.schedules ?? []) {
      const slot = dueSlot(schedule, now, 2 * (this.opts.pollMs ?? 5000));
      if (!slot) continue;
      const key = `${schedule.id}@${slot.toISOString()}`;
      if (this.seenSlots.has(key)) continue;
      let spec: Record<string, unknown> | undefined;
      if (schedule.spec) {
        const loaded = loadSpecFile(path.join(this.opts.root, schedule.spec));
        if (!loaded.ok) {
          this.seenSlots.add(key);
          for (const d of loaded.diagnostics)
            this.out(`schedule ${schedule.id}: ${formatDiagnostic({ ...d, file: schedule.spec })}`);
          this.out(`schedule ${schedule.id}: slot ${slot.toISOString()} skipped: ${schedule.spec} is not a valid spec`);
          continue;
        }
        spec = loaded.spec as unknown as Record<string, unknown>;
      }
      try {
        const result = await this.client.fireSchedule({
          schedule_id: schedule.id,
          fire_time: slot.toISOString(),
          runner: this.name,
          ...(spec ? { spec, spec_path: schedule.spec } : { health_checks: schedule.health_checks }),
        });
        this.seenSlots.add(key);
        results.push(result);
        if (result.fired) {
          this.stats.schedulesFired++;
          this.out(
            `schedule ${schedule.id}: slot ${result.fire_time} fired: ${result.run_ids.length} run${result.run_ids.length === 1 ? '' : 's'} queued${result.skipped.length ? `, ${result.skipped.length} skipped (${result.skipped.map((s) => `${s.deployment_id}: ${s.reason}`).join('; ')})` : ''}`,
          );
        }
      } catch (err) {
        // A 4xx will not get better: report it once. Otherwise try again next poll, within the window.
        if (
          err instanceof ApiCallError &&
          err.status >= 400 &&
          err.status < 500 &&
          err.status !== 401 &&
          err.status !== 404 &&
          err.status !== 429
        )
          this.seenSlots.add(key);
        this.out(`schedule ${schedule.id}: ${(err as Error).message}`);
      }
    }
    return results;
  }

  private async execute(run: AutomationRun, resume?: ResumePoint): Promise<void> {
    const tag = (l: string) => this.out(`${run.id} ${l}`);
    fs.mkdirSync(this.journalDir, { recursive: true });
    const journal = path.join(this.journalDir, `${run.id}.jsonl`);
    const progress = RunProgress.for(this.journalDir, run.id);
    if (!resume) progress.remove();
    tag(`${resume ? 'picked up' : 'claimed'}: ${run.project} · ${run.deployment_id} · ${run.spec_ref ?? 'inline'}`);
    // Another runner took the run over (this one was away longer than its lease): stop, write nothing.
    let released: string | null = null;
    const heartbeat = setInterval(() => {
      this.client.heartbeat(run.id, this.name).catch((err: Error) => {
        if (err instanceof ApiCallError && err.status === 409) released = err.message;
        tag(`heartbeat: ${err.message}`);
      });
    }, this.opts.heartbeatMs ?? 30_000);
    try {
      const checked = validateExecutionSpec(run.spec);
      let outcome: AutomationRunOutcome;
      if (!checked.ok) {
        // The spec was valid when queued; this runner's version reads it differently.
        const why = checked.issues.map((i) => `${formatPath(i.path)}: ${i.message}`).join('; ');
        tag(`invalid spec for this runner: ${why}`);
        await this.failUnrunnable(run, journal, `this runner (${this.name}) cannot run the spec: ${why}`);
        this.stats.failed++;
        return;
      }
      outcome = await runAutomation({
        specFile: run.spec_ref ?? run.id,
        spec: checked.spec,
        runId: run.id,
        api: this.opts.api,
        token: this.opts.token,
        docsDir: this.opts.docsDir,
        journal,
        commit: this.opts.commit,
        push: this.opts.push,
        gitAuthor: this.opts.gitAuthor,
        env: this.opts.env,
        actions: this.opts.actions,
        reporter: this.opts.reporter,
        out: tag,
        progress,
        ...(resume ? { resume } : {}),
        released: () => released,
      });
      if (outcome.run?.state === 'succeeded') this.stats.succeeded++;
      else this.stats.failed++;
      // The finish is journaled: what is left is delivery (replayJournals), not running.
      progress.remove();
      if (outcome.delivery && outcome.delivery.pending === 0) fs.rmSync(journal, { force: true });
    } finally {
      clearInterval(heartbeat);
    }
  }

  /** A claimed run this runner cannot execute: a failed timeline entry and a finish, through the journal. */
  private async failUnrunnable(run: AutomationRun, journal: string, message: string) {
    const reporter = new HttpRunReporter({
      api: this.opts.api,
      token: this.opts.token,
      journal: new Journal(journal),
      ...this.opts.reporter,
    });
    const now = this.clock().toISOString();
    await reporter.appendTimeline(run.id, [
      { at: now, state: 'failed', message: message.slice(0, 4000), duration_ms: 0 },
    ]);
    await reporter.finishRun(run.id, {
      state: 'failed',
      started_at: run.started_at ?? now,
      finished_at: now,
      duration_ms: 0,
      page_path: null,
      commit_sha: null,
      pushed: false,
    });
    const status = await reporter.close();
    if (status.pending === 0) fs.rmSync(journal, { force: true });
  }

  private pendingJournals(): string[] {
    let names: string[] = [];
    try {
      names = fs.readdirSync(this.journalDir).filter((n) => n.endsWith('.jsonl') && !n.endsWith(PROGRESS_SUFFIX));
    } catch {
      return [];
    }
    return names
      .map((n) => path.join(this.journalDir, n))
      .filter((file) => !this.active.has(path.basename(file, '.jsonl')) && new Journal(file).pending().length > 0);
  }

  /** Journals of earlier runs (this process or a previous one) with write-backs the API has not taken yet. */
  async replayJournals(): Promise<void> {
    for (const file of this.pendingJournals()) {
      const reporter = new HttpRunReporter({
        api: this.opts.api,
        token: this.opts.token,
        journal: new Journal(file),
        ...this.opts.reporter,
        closeAttempts: 0,
      });
      const status = await reporter.close();
      if (status.pending === 0) {
        this.out(
          `runner: delivered ${status.delivered} pending write-back${status.delivered === 1 ? '' : 's'} of ${path.basename(file, '.jsonl')}`,
        );
        fs.rmSync(file, { force: true });
      } else break; // the API is still away: keep the order, try next poll
    }
  }
}

/** One runner per journal folder: a pid file, taken over when its process is gone. */
function lockJournalDir(dir: string): () => void {
  fs.mkdirSync(dir, { recursive: true });
  return acquirePidLock(
    path.join(dir, 'runner.lock'),
    (pid) =>
      new RunnerConfigError(
        `the journal folder ${dir} is in use by runner process ${pid}: give each runner its own --journal-dir`,
      ),
    () => new RunnerConfigError(`cannot lock the journal folder ${dir}`),
  );
}
