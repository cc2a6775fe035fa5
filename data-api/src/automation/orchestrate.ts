// `fleetbook run`: load → (plan | run → run page → git → finish write-back → flush the journal).
// The CLI file stays thin; tests drive this directly or through the CLI.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import type { ActionRegistry } from './actions/index.ts';
import { commitRun, GitError, type CommitRunResult } from './git.ts';
import { formatMs } from './http.ts';
import { HttpRunReporter, Journal, MemoryRunReporter, type DeliveryStatus, type HttpRunReporterOptions, type RunReporter } from './journal.ts';
import { runPagePaths, sanitizeText, writeRunIndex, writeRunPage } from './run-page.ts';
import { planRun, runSpec, type RunRecord } from './runner.ts';
import { formatDiagnostic, loadSpecFile, specDigest } from './spec-file.ts';
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
    const top = execFileSync('git', ['rev-parse', '--show-toplevel'], { cwd: path.dirname(file), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
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
    out(`fleetbook: ${opts.specFile} is not a valid execution spec (${loaded.diagnostics.length} error${loaded.diagnostics.length === 1 ? '' : 's'}); nothing was run`);
    return { exitCode: 2 };
  }
  const spec = loaded.spec;

  if (opts.dryRun) {
    out(`dry run of ${opts.specFile}: ${spec.project} · ${spec.deployment_id} · ${spec.product_code} ${spec.product_version} · ${spec.actions.length} actions · ${specDigest(spec)}`);
    const steps = planRun(spec, { env, actions: opts.actions });
    let problems = 0;
    for (const step of steps) {
      out(`[${step.index}/${steps.length}] ${step.id} (${step.type}) timeout ${step.timeout_s} s${step.attempts > 1 ? `, up to ${step.attempts} attempts` : ''}`);
      for (const l of step.lines) out(`      ${line(l)}`);
      for (const p of step.problems) out(`      problem: ${line(p)}`);
      problems += step.problems.length;
    }
    out(problems ? `dry run: ${problems} problem${problems === 1 ? '' : 's'}; the run would fail` : 'dry run: valid; nothing was changed');
    return { exitCode: problems ? 1 : 0 };
  }

  const reporter: RunReporter & { status?: () => DeliveryStatus } = opts.api
    ? new HttpRunReporter({ api: opts.api, token: opts.token, journal: new Journal(opts.journal ?? DEFAULT_JOURNAL), ...opts.reporter })
    : new MemoryRunReporter();

  let header = false;
  const run = await runSpec({
    spec,
    reporter,
    ...(opts.runId ? { runId: opts.runId } : {}),
    env,
    actions: opts.actions,
    artifactsDir: (runId, started) => runPagePaths(opts.docsDir, spec.project, runId, started).artifactsDir,
    artifactPath: repoRelative,
    onProgress: ({ entry, action, index, total }) => {
      if (!header) {
        header = true;
        out(`fleetbook run ${line(spec.project)} · ${spec.deployment_id} · ${spec.product_code} ${spec.product_version} · ${total} actions`);
      }
      if (!action || entry.state === 'queued') return;
      const tag = `[${index}/${total}] ${action.id} (${action.type})`;
      if (entry.state === 'running') out(`${tag} ${entry.attempt && entry.attempt > 1 ? `attempt ${entry.attempt}` : 'running'}`);
      else if (entry.state === 'skipped') out(`${tag} skipped: ${line(entry.message.replace(/^\S+ skipped: /, ''))}`);
      else {
        const detail = entry.state === 'failed' ? action.error : action.summary;
        out(`${tag} ${entry.state} in ${formatMs(entry.duration_ms)}${detail ? `: ${line(detail)}` : ''}`);
      }
    },
  });
  out(`run ${run.run_id} ${run.state} in ${formatMs(run.duration_ms)}`);

  let exitCode: 0 | 1 = run.state === 'succeeded' ? 0 : 1;
  const written = writeRunPage(run, { docsRoot: opts.docsDir });
  out(`page    ${path.relative(process.cwd(), written.paths.page)}`);

  let commit: CommitRunResult | undefined;
  if (opts.commit || opts.push) {
    try {
      commit = await commitRun({
        cwd: written.paths.dayDir,
        files: written.files,
        project: spec.project,
        runId: run.run_id,
        state: run.state,
        author: opts.gitAuthor,
        push: opts.push,
        env,
        regenerable: [written.paths.index],
        regenerate: () => void writeRunIndex(opts.docsDir, spec.project),
        log: (l) => out(`git     ${l}`),
        ...(opts.gitBackoffMs !== undefined ? { backoffMs: opts.gitBackoffMs } : {}),
      });
    } catch (err) {
      if (!(err instanceof GitError)) throw err;
      out(`fleetbook: ${err.message}`);
      exitCode = 1;
    }
  }

  await reporter
    .finishRun(run.run_id, {
      state: run.state,
      started_at: run.started_at,
      finished_at: run.finished_at,
      duration_ms: run.duration_ms,
      page_path: repoRelative(written.paths.page),
      commit_sha: commit?.sha ?? null,
      pushed: commit?.pushed ?? false,
    })
    .catch((err: Error) => out(`fleetbook: finish write-back failed: ${err.message}`));
  const delivery = await reporter.close();
  if (opts.api) {
    out(
      `api     ${delivery.delivered} write-back${delivery.delivered === 1 ? '' : 's'} delivered, ${delivery.pending} pending${delivery.rejected ? `, ${delivery.rejected} rejected` : ''} (journal ${delivery.journal})`,
    );
    if (delivery.pending > 0) out(`api     the API did not take them all (${line(delivery.lastError ?? 'unreachable')}); they stay in the journal and are replayed by the next run or fleetbook run --replay`);
  }
  return { exitCode, run, page: written.paths.page, ...(commit ? { commit } : {}), delivery };
}

/** `fleetbook run --replay`: deliver the journal's pending write-backs, in order. */
export async function replayJournal(opts: { api: string; token?: string; journal?: string; out: (line: string) => void; reporter?: AutomationRunOptions['reporter'] }): Promise<0 | 1> {
  const journal = new Journal(opts.journal ?? DEFAULT_JOURNAL);
  const before = journal.pending().length;
  const reporter = new HttpRunReporter({ api: opts.api, token: opts.token, journal, ...opts.reporter });
  const status = await reporter.close();
  opts.out(`replayed ${status.delivered} of ${before} pending write-backs; ${status.pending} still pending${status.rejected ? `, ${status.rejected} rejected` : ''} (journal ${journal.file})`);
  if (status.pending > 0 && status.lastError) opts.out(`last error: ${line(status.lastError)}`);
  return status.pending > 0 ? 1 : 0;
}
