// `fleetbook run`: load → (plan | run → run page → git → finish write-back → flush the journal).
// The CLI file stays thin; tests drive this directly or through the CLI.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { ActionRegistry } from './actions/index.ts';
import { commitRun, findRunCommit, GitError, pushExistingRunCommit, type CommitRunResult } from './git.ts';
import { formatMs } from './http.ts';
import {
  HttpRunReporter,
  Journal,
  MemoryRunReporter,
  type DeliveryStatus,
  type HttpRunReporterOptions,
  type RunReporter,
} from './journal.ts';
import { regenerateRunIndex } from './run-index.ts';
import { runPagePaths, sanitizeText, writeRunPage } from './run-page.ts';
import { loadConditionData } from './condition-context.ts';
import type { ResumePoint, RunProgress } from './progress.ts';
import { planRun, RunReleasedError, runSpec, type RunRecord } from './runner.ts';
import { stepTree } from '../contracts/step-tree.ts';
import { formatDiagnostic, loadSpecFile, specDigest } from './spec-file.ts';
import type { ConditionData } from '../contracts/condition.ts';
import type { ExecutionSpec } from '../contracts/execution-spec.ts';

export const DEFAULT_JOURNAL = '.fleetbook/automation-journal.jsonl';

export interface AutomationRunOptions {
  /** The spec file; with `spec` given, only a label for the output. */
  specFile: string;
  /** An already validated spec (a runner service runs the spec a claimed run carries). */
  spec?: ExecutionSpec;
  /** The run id (a claimed run has one already); default: a new arun_ id. */
  runId?: string;
  dryRun?: boolean;
  commit?: boolean;
  push?: boolean;
  api?: string;
  token?: string;
  docsDir: string;
  journal?: string;
  gitAuthor?: string;
  env?: NodeJS.ProcessEnv;
  /** One line of terminal output. */
  out: (line: string) => void;
  actions?: ActionRegistry;
  reporter?: Partial<Pick<HttpRunReporterOptions, 'requestTimeoutMs' | 'closeAttempts' | 'closeDelayMs' | 'backoffMs'>>;
  gitBackoffMs?: number;
  /** The runner's progress file of this run (a runner service keeps one per claimed run). */
  progress?: RunProgress;
  /** Pick up a run its runner left mid-run (automation/progress.ts). */
  resume?: ResumePoint;
  /** A reason once this runner no longer holds the run: it stops and writes no page, commit or finish. */
  released?: () => string | null;
}

export interface AutomationRunOutcome {
  exitCode: 0 | 1 | 2;
  run?: RunRecord;
  page?: string;
  commit?: CommitRunResult;
  delivery?: DeliveryStatus;
}

const line = (s: string) => sanitizeText(s).replace(/\n/g, ' ');

function repoRelative(file: string): string {
  try {
    const top = execFileSync('git', ['rev-parse', '--show-toplevel'], {
      cwd: path.dirname(file),
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    return path.relative(top, file).split(path.sep).join('/');
  } catch {
    return path.relative(process.cwd(), file).split(path.sep).join('/');
  }
}

export async function runAutomation(opts: AutomationRunOptions): Promise<AutomationRunOutcome> {
  const { out } = opts;
  const env = opts.env ?? process.env;
  const loaded = opts.spec ? ({ ok: true, spec: opts.spec } as const) : loadSpecFile(opts.specFile);
  if (!loaded.ok) {
    for (const d of loaded.diagnostics) out(formatDiagnostic(d));
    out(
      `fleetbook: ${opts.specFile} is not a valid execution spec (${loaded.diagnostics.length} error${loaded.diagnostics.length === 1 ? '' : 's'}); nothing was run`,
    );
    return { exitCode: 2 };
  }
  const spec = loaded.spec;

  // Only a spec with conditions needs the registry's view of its deployment.
  const conditions = spec.actions.some((a) => a.when !== undefined)
    ? await loadConditionData(spec, opts.api, opts.token)
    : { data: undefined, warning: undefined };
  if (conditions.warning) out(`fleetbook: ${conditions.warning}`);

  if (opts.dryRun) return dryRun(opts, spec, env, conditions.data);

  const reporter: RunReporter & { status?: () => DeliveryStatus } = opts.api
    ? new HttpRunReporter({
        api: opts.api,
        token: opts.token,
        journal: new Journal(opts.journal ?? DEFAULT_JOURNAL),
        ...opts.reporter,
        ...(opts.resume ? { keyScope: `resume-${opts.resume.attempt}` } : {}),
      })
    : new MemoryRunReporter();

  let header = false;
  const resume = opts.resume;
  if (resume) {
    const ended = spec.actions.filter((a) => resume.ended.has(a.id)).map((a) => a.id);
    out(
      `picked up where it stopped: ${ended.length ? `${ended.join(', ')} ended before` : 'no action had ended'}` +
        `${resume.interrupted.size ? `; ${[...resume.interrupted].join(', ')} cut off mid-way` : ''}`,
    );
  }
  const released = () => opts.released?.() ?? null;
  let run: RunRecord;
  try {
    run = await runSpec({
      spec,
      reporter,
      checkpoint: (l) => opts.progress?.append(l),
      ...(resume ? { resume } : {}),
      released,
      ...(opts.runId ? { runId: opts.runId } : {}),
      env,
      actions: opts.actions,
      context: conditions.data,
      artifactsDir: (runId, started) => runPagePaths(opts.docsDir, spec.project, runId, started).artifactsDir,
      artifactPath: repoRelative,
      onProgress: ({ entry, action, index, total }) => {
        if (!header) {
          header = true;
          out(
            `fleetbook run ${line(spec.project)} · ${spec.deployment_id} · ${spec.product_code} ${spec.product_version} · ${total} actions`,
          );
        }
        if (!action || entry.state === 'queued') return;
        const tag = `[${index}/${total}] ${action.id} (${action.type})`;
        if (entry.state === 'running')
          out(`${tag} ${entry.attempt && entry.attempt > 1 ? `attempt ${entry.attempt}` : 'running'}`);
        else if (entry.state === 'skipped') out(`${tag} skipped: ${line(entry.message.replace(/^\S+ skipped: /, ''))}`);
        else {
          const detail = entry.state === 'failed' ? action.error : action.summary;
          out(`${tag} ${entry.state} in ${formatMs(entry.duration_ms)}${detail ? `: ${line(detail)}` : ''}`);
        }
      },
    });
  } catch (err) {
    if (!(err instanceof RunReleasedError)) throw err;
    return stopReleased(err.message, reporter, out);
  }
  out(`run ${run.run_id} ${run.state} in ${formatMs(run.duration_ms)}`);
  const gone = released();
  if (gone) return stopReleased(`run ${run.run_id} is no longer held by this runner: ${gone}`, reporter, out);

  let exitCode: 0 | 1 = run.state === 'succeeded' ? 0 : 1;
  // A picked-up run may have been committed before its runner stopped (between the commit and
  // the finish write-back): then that commit is the run's, and neither page nor commit is redone.
  const committed =
    opts.commit || opts.push ? await earlierCommit(opts.docsDir, spec.project, run.run_id, resume, env) : null;
  const paths = runPagePaths(opts.docsDir, spec.project, run.run_id, run.started_at);
  let written: ReturnType<typeof writeRunPage> | undefined;
  if (committed)
    out(
      `page    ${path.relative(process.cwd(), paths.page)} (committed before the runner stopped: ${committed.sha.slice(0, 12)})`,
    );
  else {
    written = writeRunPage(run, { docsRoot: opts.docsDir, gitWebUrl: env.FLEETBOOK_GIT_WEB_URL });
    // Files an action cut off by the stop left in the run's folder belong to the run too.
    if (resume)
      for (const f of filesUnder(written.paths.artifactsDir)) if (!written.files.includes(f)) written.files.push(f);
    opts.progress?.append({ type: 'page', page: written.paths.page });
    out(`page    ${path.relative(process.cwd(), written.paths.page)}`);
  }

  const committedRun = await commitRunPage(opts, spec, run, env, committed, written);
  const commit = committedRun.commit;
  if (committedRun.failed) exitCode = 1;

  await reporter
    .finishRun(run.run_id, {
      state: run.state,
      started_at: run.started_at,
      finished_at: run.finished_at,
      duration_ms: run.duration_ms,
      page_path: repoRelative(paths.page),
      commit_sha: commit?.sha ?? null,
      pushed: commit?.pushed ?? false,
    })
    .catch((err: Error) => out(`fleetbook: finish write-back failed: ${err.message}`));
  const delivery = await reporter.close();
  if (opts.api) {
    out(
      `api     ${delivery.delivered} write-back${delivery.delivered === 1 ? '' : 's'} delivered, ${delivery.pending} pending${delivery.rejected ? `, ${delivery.rejected} rejected` : ''} (journal ${delivery.journal})`,
    );
    if (delivery.pending > 0)
      out(
        `api     the API did not take them all (${line(delivery.lastError ?? 'unreachable')}); they stay in the journal and are replayed by the next run or fleetbook run --replay`,
      );
  }
  return { exitCode, run, page: paths.page, ...(commit ? { commit } : {}), delivery };
}

/** The commit a picked-up run made before its runner stopped: from its progress, else from git history. */
async function earlierCommit(
  docsDir: string,
  project: string,
  runId: string,
  resume: ResumePoint | undefined,
  env: NodeJS.ProcessEnv,
) {
  if (!resume) return null;
  if (resume.commit) return resume.commit;
  const found = await findRunCommit(docsDir, project, runId, env);
  return found ? { sha: found.sha, pushed: false } : null;
}

/** Another runner holds the run now: what was journaled is delivered, nothing more is written. */
async function stopReleased(
  message: string,
  reporter: RunReporter,
  out: (line: string) => void,
): Promise<AutomationRunOutcome> {
  out(`fleetbook: ${message}; it writes no page, commit or finish`);
  return { exitCode: 1, delivery: await reporter.close() };
}

function filesUnder(dir: string): string[] {
  try {
    return fs
      .readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => path.join(e.parentPath, e.name));
  } catch {
    return [];
  }
}

/** `fleetbook run --replay`: deliver the journal's pending write-backs, in order. */
export async function replayJournal(opts: {
  api: string;
  token?: string;
  journal?: string;
  out: (line: string) => void;
  reporter?: AutomationRunOptions['reporter'];
}): Promise<0 | 1> {
  const journal = new Journal(opts.journal ?? DEFAULT_JOURNAL);
  const before = journal.pending().length;
  const reporter = new HttpRunReporter({ api: opts.api, token: opts.token, journal, ...opts.reporter });
  const status = await reporter.close();
  opts.out(
    `replayed ${status.delivered} of ${before} pending write-backs; ${status.pending} still pending${status.rejected ? `, ${status.rejected} rejected` : ''} (journal ${journal.file})`,
  );
  if (status.pending > 0 && status.lastError) opts.out(`last error: ${line(status.lastError)}`);
  return status.pending > 0 ? 1 : 0;
}

/** `--dry-run`: the plan of each action (its tree position, condition, timeout, attempts) and its problems; nothing runs. */
function dryRun(
  opts: AutomationRunOptions,
  spec: ExecutionSpec,
  env: NodeJS.ProcessEnv,
  context: ConditionData | undefined,
): AutomationRunOutcome {
  const { out } = opts;
  out(
    `dry run of ${opts.specFile}: ${spec.project} · ${spec.deployment_id} · ${spec.product_code} ${spec.product_version} · ${spec.actions.length} actions · ${specDigest(spec)}`,
  );
  const tree = stepTree(spec.actions);
  out(
    tree.mode === 'sequence'
      ? 'a sequence: each action waits for the one before it'
      : `a tree: up to ${spec.max_parallel} actions at once`,
  );
  const steps = planRun(spec, { env, actions: opts.actions, context });
  let problems = 0;
  for (const step of steps) {
    const after = tree.mode === 'tree' && step.needs.length ? ` after ${step.needs.join(', ')}` : '';
    const cond = step.condition
      ? step.condition.verdict === 'at_run_time'
        ? ` · when ${step.condition.text} (decided at run time)`
        : ` · when ${step.condition.text} → ${JSON.stringify(step.condition.value)}: ${step.condition.verdict === 'runs' ? 'runs' : 'skipped'}`
      : '';
    out(
      `[${step.index}/${steps.length}] ${step.id} (${step.type})${after}${cond} timeout ${step.timeout_s} s${step.attempts > 1 ? `, up to ${step.attempts} attempts` : ''}`,
    );
    for (const l of step.lines) out(`      ${line(l)}`);
    for (const p of step.problems) out(`      problem: ${line(p)}`);
    problems += step.problems.length;
  }
  out(
    problems
      ? `dry run: ${problems} problem${problems === 1 ? '' : 's'}; the run would fail`
      : 'dry run: valid; nothing was changed',
  );
  return { exitCode: problems ? 1 : 0 };
}

/**
 * The run page's commit: the one made before a stopped runner's finish write-back (pushed now
 * when it was not), or a new one of the page just written (`--commit`, `--push`).
 */
async function commitRunPage(
  opts: AutomationRunOptions,
  spec: ExecutionSpec,
  run: RunRecord,
  env: NodeJS.ProcessEnv,
  committed: Awaited<ReturnType<typeof earlierCommit>>,
  written: ReturnType<typeof writeRunPage> | undefined,
): Promise<{ commit?: CommitRunResult; failed: boolean }> {
  const { out } = opts;
  let commit: CommitRunResult | undefined;
  let failed = false;
  const message = `run(${spec.project}): ${run.run_id} ${run.state}`;
  // Pushing the earlier commit or making a new one: a git failure is reported and fails the run;
  // anything else is a bug and throws.
  const tryCommit = async (make: () => Promise<CommitRunResult>) => {
    try {
      commit = await make();
      opts.progress?.append({ type: 'committed', sha: commit.sha, pushed: commit.pushed });
    } catch (err) {
      if (!(err instanceof GitError)) throw err;
      out(`fleetbook: ${err.message}`);
      failed = true;
    }
  };
  const gitOpts = {
    project: spec.project,
    runId: run.run_id,
    state: run.state,
    author: opts.gitAuthor,
    env,
    log: (l: string) => out(`git     ${l}`),
    ...(opts.gitBackoffMs !== undefined ? { backoffMs: opts.gitBackoffMs } : {}),
  };
  if (committed && (!opts.push || committed.pushed)) {
    commit = { sha: committed.sha, message, pushed: committed.pushed, attempts: 0 };
  } else if (committed) {
    await tryCommit(() => pushExistingRunCommit({ ...gitOpts, cwd: opts.docsDir, files: [], message }));
  } else if (written && (opts.commit || opts.push)) {
    await tryCommit(() =>
      commitRun({
        ...gitOpts,
        cwd: written.paths.dayDir,
        files: written.files,
        push: opts.push,
        // The index files of the run's commit: a rebase conflict there is resolved by regenerating them.
        regenerable: written.indexFiles,
        regenerate: () => void regenerateRunIndex(opts.docsDir, spec.project, { gitWebUrl: env.FLEETBOOK_GIT_WEB_URL }),
      }),
    );
  }
  return { ...(commit ? { commit } : {}), failed };
}
