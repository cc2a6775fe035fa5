// The runner: the spec's step tree (contracts/step-tree.ts), each action with a timeout and
// (idempotent actions only) retries. States: run queued → running → succeeded | failed; action
// queued → running → succeeded | failed | skipped. Actions whose dependencies are done start at
// once, up to max_parallel at a time. Before an action starts its `when` is evaluated over the
// deployment, site, product, spec and the outputs of earlier actions: false skips it (recorded
// with the value), and a skipped-by-condition dependency counts as done. A failed action skips
// everything that depends on it (other branches go on) and fails the run; then every
// open_ticket_on_failure action runs (they are skipped when nothing failed).
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { actionDefinition, type ActionSpec, type ExecutionSpec } from '../contracts/execution-spec.ts';
import { generateId } from '../contracts/ids.ts';
import type { OpenTicketBody } from '../contracts/automation-write-back.ts';
import { defaultActions, type ActionRegistry } from './actions/index.ts';
import { ActionError, type ActionContext, type ActionResult } from './actions/types.ts';
import { formatMs, sleep } from './http.ts';
import type { RunReporter } from './journal.ts';
import type { ProgressLine, ResumePoint } from './progress.ts';
import { SecretResolver, secretRefsIn } from './secrets.ts';
import { specDigest } from './spec-file.ts';
import { buildConditionData, conditionText, evaluateCondition, type ConditionData } from '../contracts/condition.ts';
import { stepTree, TICKET_ACTION } from '../contracts/step-tree.ts';
import type { SkipInfo, TimelineEntry } from '../contracts/automation-timeline.ts';
import { Timeline } from './timeline.ts';
import type { ActionRecord, ArtifactRecord } from './records.ts';

export { TICKET_ACTION };

export interface RunRecord {
  run_id: string;
  project: string;
  deployment_id: string;
  product_code: string;
  product_version: string;
  spec: ExecutionSpec;
  spec_digest: string;
  state: 'succeeded' | 'failed';
  started_at: string;
  finished_at: string;
  duration_ms: number;
  actions: ActionRecord[];
  timeline: TimelineEntry[];
  artifacts: ArtifactRecord[];
  tickets: OpenTicketBody[];
  /** The API the run reported to (links on the run page). */
  api?: string;
  /** Write-back calls that threw (the HTTP reporter journals instead of throwing). */
  warnings: string[];
}

export interface ProgressEvent {
  entry: TimelineEntry;
  action?: ActionRecord;
  /** 1-based position of the action in the spec. */
  index?: number;
  total: number;
}

export interface RunOptions {
  spec: ExecutionSpec;
  reporter: RunReporter;
  actions?: ActionRegistry;
  env?: NodeJS.ProcessEnv;
  runId?: string;
  clock?: () => Date;
  /** Where artifacts of this run are written (default: a folder under the OS temp dir). */
  artifactsDir?: (runId: string, startedAt: Date) => string;
  /** How an artifact's path is reported to the API (default: relative to the working directory). */
  artifactPath?: (file: string) => string;
  onProgress?: (event: ProgressEvent) => void;
  onLog?: (actionId: string, line: string) => void;
  /** Multiplies retry delays (tests use 0). */
  retryDelayScale?: number;
  /** What `when` conditions read (deployment, site, product); default: what the spec says of them. */
  context?: ConditionData;
  /** Overrides the spec's max_parallel. */
  maxParallel?: number;
  /** Each start and end of the run's actions, for the runner's progress file (automation/progress.ts). */
  checkpoint?: (line: ProgressLine) => void;
  /** Pick up a run its runner left mid-run: ended actions are kept, not run again. */
  resume?: ResumePoint;
  /** Asked before starting an action: a reason when this runner no longer holds the run (it stops). */
  released?: () => string | null;
}

/** The runner no longer holds the run (another runner took it over): it stops, writing nothing more. */
export class RunReleasedError extends Error {
  constructor(
    readonly runId: string,
    reason: string,
  ) {
    super(`run ${runId} is no longer held by this runner: ${reason}`);
    this.name = 'RunReleasedError';
  }
}

function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** Runs a validated spec. Never throws for an action's failure: the record says what happened. */
export async function runSpec(opts: RunOptions): Promise<RunRecord> {
  const run = new SpecRun(opts);
  await run.announce();
  await run.restoreResumed();
  await run.runTree();
  await run.runTickets();
  return run.finish();
}

/** One run of a spec, step by step: announce, pick up what a stopped runner ended, the tree, the tickets, the record. */
class SpecRun {
  private readonly spec: ExecutionSpec;
  private readonly reporter: RunReporter;
  private readonly registry: ActionRegistry;
  private readonly clock: () => Date;
  private readonly env: NodeJS.ProcessEnv;
  private readonly runId: string;
  private readonly resume: ResumePoint | undefined;
  private readonly started: Date;
  private readonly checkpoint: (line: ProgressLine) => void;
  private readonly secrets: SecretResolver;
  private readonly warnings: string[] = [];
  private readonly artifacts: ArtifactRecord[] = [];
  private readonly tickets: OpenTicketBody[] = [];
  private readonly outputs: Record<string, Record<string, unknown>> = {};
  private readonly total: number;
  private readonly records: ActionRecord[];
  private readonly conditionData: ConditionData;
  private readonly artifactsDir: string;
  private readonly artifactPath: (file: string) => string;
  private readonly timeline: Timeline;
  /** The first failure (in time): what open_ticket_on_failure reports and the run's message names. */
  private failure: { action_id: string; type: string; error: string } | undefined;
  // The tree: start every action whose dependencies are done, up to max_parallel at a time.
  private readonly byId: Map<string, { record: ActionRecord; action: ActionSpec }>;
  private readonly steps: ActionRecord[];
  private readonly limit: number;
  /** Action id → the action whose failure it inherits (itself when it failed). */
  private readonly failedRoot = new Map<string, string>();
  private readonly running = new Set<Promise<void>>();
  private readonly begun = new Set<string>();
  private readonly settled = new Set<string>();

  constructor(private readonly opts: RunOptions) {
    const spec = (this.spec = opts.spec);
    this.reporter = opts.reporter;
    this.registry = opts.actions ?? defaultActions;
    this.clock = opts.clock ?? (() => new Date());
    this.env = opts.env ?? process.env;
    const runId = (this.runId = opts.runId ?? generateId('automationRun'));
    this.resume = opts.resume;
    const started = (this.started = this.resume ? new Date(this.resume.startedAt) : this.clock());
    this.checkpoint = opts.checkpoint ?? (() => {});
    this.secrets = new SecretResolver(this.env);
    this.total = spec.actions.length;
    const tree = stepTree(spec.actions);
    this.records = spec.actions.map((a, i) => ({
      id: a.id,
      type: a.type,
      state: 'queued',
      attempts: 0,
      duration_ms: 0,
      log: [],
      needs: tree.nodes[i]!.needs,
    }));
    this.conditionData = opts.context ?? specConditionData(spec);
    this.artifactsDir = opts.artifactsDir?.(runId, started) ?? path.join(os.tmpdir(), 'fleetbook-artifacts', runId);
    this.artifactPath =
      opts.artifactPath ?? ((file: string) => path.relative(process.cwd(), file).split(path.sep).join('/'));

    // Trackers that wrap the reporter: the caller (CLI) sees progress, the API sees the timeline.
    this.timeline = new Timeline(this.clock, (entry) => {
      const i = entry.action_id === undefined ? -1 : spec.actions.findIndex((a) => a.id === entry.action_id);
      opts.onProgress?.({ entry, total: this.total, ...(i >= 0 ? { action: this.records[i], index: i + 1 } : {}) });
    });
    // A picked-up run goes on from the API's timeline (the pick-up is its last entry).
    if (this.resume) this.timeline.entries.push(...this.resume.timeline);

    this.byId = new Map(this.records.map((r, i) => [r.id, { record: r, action: spec.actions[i]! }]));
    this.steps = this.records.filter((r) => r.type !== TICKET_ACTION);
    this.limit = Math.max(1, opts.maxParallel ?? spec.max_parallel ?? 4);
  }

  private async safe(what: string, call: () => Promise<void>): Promise<void> {
    try {
      await call();
    } catch (err) {
      this.warnings.push(`${what}: ${errorMessage(err)}`);
    }
  }

  private async emit(entry: Omit<TimelineEntry, 'at'>): Promise<void> {
    const e = this.timeline.add(entry);
    await this.safe('timeline write-back', () => this.reporter.appendTimeline(this.runId, [e]));
  }

  /** A new run: created at the API, every action queued, the run running. (A picked-up run was announced before.) */
  async announce(): Promise<void> {
    if (this.resume) return;
    const { spec, runId, started, reporter, timeline, total } = this;
    this.checkpoint({ type: 'started', run_id: runId, started_at: started.toISOString() });
    await this.safe('create run write-back', () =>
      reporter.createRun({
        id: runId,
        project: spec.project,
        deployment_id: spec.deployment_id,
        product_code: spec.product_code,
        product_version: spec.product_version,
        spec: spec as unknown as Record<string, unknown>,
        spec_digest: specDigest(spec),
        state: 'queued',
        created_at: started.toISOString(),
      }),
    );
    const queued = [
      timeline.add({
        state: 'queued',
        message: `run queued: ${total} action${total === 1 ? '' : 's'}`,
        duration_ms: 0,
      }),
      ...spec.actions.map((a) =>
        timeline.add({ action_id: a.id, state: 'queued', message: `${a.type} queued`, duration_ms: 0 }),
      ),
    ];
    await this.safe('timeline write-back', () => reporter.appendTimeline(runId, queued));
    await this.emit({ state: 'running', message: 'run started', duration_ms: 0 });
  }

  /** One action, with its timeout and (idempotent actions) retries; false when it failed. */
  private async runAction(action: ActionSpec, record: ActionRecord): Promise<boolean> {
    const def = actionDefinition(action.type);
    const log = (line: string) => {
      const clean = this.secrets.scrub(line);
      record.log.push(clean);
      this.opts.onLog?.(action.id, clean);
    };
    const timeoutS = action.timeout_s ?? def?.defaultTimeoutS ?? 300;
    const { retries = 0, retry_delay_s: retryDelayS = 5 } = action as { retries?: number; retry_delay_s?: number };
    const maxAttempts = def?.idempotent ? 1 + retries : 1;
    const startedAt = this.clock();
    record.started_at = startedAt.toISOString();
    const elapsed = () => this.clock().getTime() - startedAt.getTime();

    const ticketsBefore = this.tickets.length;
    const ended = () =>
      this.checkpoint({
        type: 'action_ended',
        record,
        artifacts: this.artifacts.filter((a) => a.action_id === action.id),
        tickets: this.tickets.slice(ticketsBefore),
      });
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      record.attempts = attempt;
      record.state = 'running';
      this.checkpoint({ type: 'action_started', action_id: action.id, attempt });
      await this.emit({
        action_id: action.id,
        state: 'running',
        message: attempt === 1 ? `${action.type} started` : `${action.type} attempt ${attempt} of ${maxAttempts}`,
        duration_ms: elapsed(),
        ...(maxAttempts > 1 ? { attempt } : {}),
      });
      const outcome = await this.attempt(action, attempt, timeoutS, log);
      if ('error' in outcome) {
        if (attempt < maxAttempts) {
          log(`attempt ${attempt} of ${maxAttempts} failed: ${outcome.error}; retrying in ${retryDelayS} s`);
          await sleep(retryDelayS * 1000 * (this.opts.retryDelayScale ?? 1));
          continue;
        }
        log(`failed: ${outcome.error}`);
        record.state = 'failed';
        record.error = outcome.error;
        record.finished_at = this.clock().toISOString();
        record.duration_ms = elapsed();
        await this.emit({
          action_id: action.id,
          state: 'failed',
          message: `${action.type} failed: ${outcome.error}`,
          duration_ms: record.duration_ms,
          ...(maxAttempts > 1 ? { attempt } : {}),
        });
        ended();
        return false;
      }
      const result = outcome.result;
      record.state = 'succeeded';
      record.finished_at = this.clock().toISOString();
      record.duration_ms = elapsed();
      if (result?.outputs) {
        record.outputs = result.outputs;
        this.outputs[action.id] = result.outputs;
      }
      if (result?.summary) record.summary = this.secrets.scrub(result.summary);
      await this.emit({
        action_id: action.id,
        state: 'succeeded',
        message: `${action.type} succeeded${record.summary ? `: ${record.summary}` : ''}`,
        duration_ms: record.duration_ms,
        ...(maxAttempts > 1 ? { attempt } : {}),
      });
      ended();
      return true;
    }
    return false;
  }

  /** One attempt of an action, cut off at its timeout: its result, or the (scrubbed) reason it failed. */
  private async attempt(
    action: ActionSpec,
    attempt: number,
    timeoutS: number,
    log: (line: string) => void,
  ): Promise<{ result: ActionResult | void } | { error: string }> {
    const mod = this.registry[action.type];
    const ctrl = new AbortController();
    const timeoutError = new ActionError(`timed out after ${formatMs(timeoutS * 1000)}`);
    const timer = setTimeout(() => ctrl.abort(timeoutError), timeoutS * 1000);
    let result: ActionResult | void;
    try {
      if (!mod) throw new ActionError(`no module for action type ${action.type}`);
      const ctx = this.actionContext(action, attempt, ctrl.signal, log);
      // An action that ignores its signal still cannot hold the run past its timeout.
      result = await Promise.race([
        mod.execute(ctx),
        new Promise<never>((_, reject) =>
          ctrl.signal.addEventListener('abort', () => reject(ctrl.signal.reason), { once: true }),
        ),
      ]);
    } catch (err) {
      clearTimeout(timer);
      return { error: this.secrets.scrub(ctrl.signal.aborted ? timeoutError.message : errorMessage(err)) };
    }
    clearTimeout(timer);
    return { result };
  }

  /** What an action's module sees: its `with`, the run, the secrets, the outputs so far, a reporter that records tickets, artifacts. */
  private actionContext(
    action: ActionSpec,
    attempt: number,
    signal: AbortSignal,
    log: (line: string) => void,
  ): ActionContext {
    const { reporter, runId, tickets, artifacts } = this;
    return {
      runId,
      spec: this.spec,
      action,
      with: action.with,
      attempt,
      signal,
      log,
      secrets: this.secrets,
      reporter: {
        api: reporter.api,
        createRun: (b) => reporter.createRun(b),
        appendTimeline: (r, e) => reporter.appendTimeline(r, e),
        attachArtifact: (r, a) => reporter.attachArtifact(r, a),
        finishRun: (r, b) => reporter.finishRun(r, b),
        openTicket: async (t) => {
          tickets.push(t);
          await reporter.openTicket(t);
        },
        setDeviceRefs: (r) => reporter.setDeviceRefs(r),
        close: () => reporter.close(),
      },
      env: this.env,
      outputs: this.outputs,
      ...(this.failure ? { failure: this.failure } : {}),
      artifact: async (name, content, contentType = 'application/octet-stream') => {
        const safeName = name.replace(/[^A-Za-z0-9._-]/g, '_');
        const file = path.join(this.artifactsDir, action.id, safeName);
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, content);
        const buf = typeof content === 'string' ? Buffer.from(content) : content;
        const rec: ArtifactRecord = {
          action_id: action.id,
          name: safeName,
          file,
          content_type: contentType,
          size: buf.length,
          sha256: createHash('sha256').update(buf).digest('hex'),
        };
        artifacts.push(rec);
        await this.safe('artifact write-back', () =>
          reporter.attachArtifact(runId, {
            name: rec.name,
            action_id: rec.action_id,
            path: this.artifactPath(file),
            content_type: rec.content_type,
            size: rec.size,
            sha256: rec.sha256,
          }),
        );
        return file;
      },
    };
  }

  private async skip(record: ActionRecord, why: string, info: SkipInfo): Promise<void> {
    record.state = 'skipped';
    record.skip = info;
    record.log.push(`skipped: ${why}`);
    await this.emit({
      action_id: record.id,
      state: 'skipped',
      message: `${record.type} skipped: ${why}`,
      duration_ms: 0,
      skip: info,
    });
    this.checkpoint({ type: 'action_ended', record, artifacts: [], tickets: [] });
  }

  /**
   * A picked-up run: an action that ended before the runner stopped keeps its record (true); one
   * cut off mid-way is repeated when idempotent (false: run it), and otherwise fails without
   * being repeated (true): provisioning a VM twice is worse than asking a person to look.
   */
  private async resumed(action: ActionSpec, record: ActionRecord): Promise<boolean> {
    const resume = this.resume;
    const done = resume?.ended.get(action.id);
    if (done) {
      // In place: the scheduler holds this very object.
      Object.assign(record, done.record, { needs: record.needs });
      this.artifacts.push(...done.artifacts);
      this.tickets.push(...done.tickets);
      if (done.record.outputs) this.outputs[action.id] = done.record.outputs;
      return true;
    }
    if (!resume?.interrupted.has(action.id)) return false;
    if (actionDefinition(action.type)?.idempotent) {
      record.log.push('the runner stopped while this action ran; it is idempotent, so it runs again');
      return false;
    }
    const error = `interrupted: the runner stopped while it ran; ${action.type} is not idempotent, so it is not repeated (check what it did by hand)`;
    Object.assign(record, { state: 'failed', error, attempts: 1, finished_at: this.clock().toISOString() });
    record.log.push(`failed: ${error}`);
    await this.emit({
      action_id: action.id,
      state: 'failed',
      message: `${action.type} failed: ${error}`,
      duration_ms: 0,
    });
    this.checkpoint({ type: 'action_ended', record, artifacts: [], tickets: [] });
    return true;
  }

  /** A picked-up run: the steps that already ended count as begun and settled (their failures as failures). */
  async restoreResumed(): Promise<void> {
    if (!this.resume) return;
    for (const record of this.steps) {
      const { action } = this.byId.get(record.id)!;
      if (!(await this.resumed(action, record))) continue;
      this.begun.add(record.id);
      this.settled.add(record.id);
      if (record.state === 'failed') {
        this.failedRoot.set(record.id, record.id);
        this.failure ??= { action_id: record.id, type: record.type, error: record.error ?? 'failed' };
      } else if (record.state === 'skipped' && record.skip?.reason === 'dependency_failed') {
        this.failedRoot.set(record.id, record.skip.action_id ?? record.id);
      }
    }
  }

  /** Starts an action: its `when` first (false: skipped), then the action itself. */
  private start(record: ActionRecord): void {
    this.begun.add(record.id);
    const { action } = this.byId.get(record.id)!;
    const p = (async () => {
      if (!(await this.when(action, record))) return;
      const ok = await this.runAction(action, record);
      if (!ok) {
        this.failedRoot.set(action.id, action.id);
        this.failure ??= { action_id: action.id, type: action.type, error: record.error ?? 'failed' };
      }
    })().finally(() => {
      this.settled.add(record.id);
      this.running.delete(p);
    });
    this.running.add(p);
  }

  /** The action's `when` over the deployment, site, product, spec and outputs: true to run it (skipped or failed otherwise). */
  private async when(action: ActionSpec, record: ActionRecord): Promise<boolean> {
    if (action.when === undefined) return true;
    const data = { ...this.conditionData, spec: specFacts(this.spec), outputs: this.outputs };
    let verdict: { value: unknown; passed: boolean };
    try {
      verdict = evaluateCondition(action.when, data);
    } catch (err) {
      record.state = 'failed';
      record.error = `the when condition could not be evaluated: ${errorMessage(err)}`;
      record.log.push(`failed: ${record.error}`);
      await this.emit({
        action_id: action.id,
        state: 'failed',
        message: `${action.type} failed: ${record.error}`,
        duration_ms: 0,
      });
      this.failedRoot.set(action.id, action.id);
      this.failure ??= { action_id: action.id, type: action.type, error: record.error };
      return false;
    }
    if (!verdict.passed) {
      const condition = conditionText(action.when);
      await this.skip(record, `when ${condition} gave ${JSON.stringify(verdict.value)}`, {
        reason: 'condition',
        condition,
        value: verdict.value as SkipInfo['value'],
      });
      return false;
    }
    return true;
  }

  /** The tree: every action whose dependencies are done starts, up to the limit; what waits for a failure is skipped. */
  async runTree(): Promise<void> {
    const { steps, begun, settled, failedRoot, running } = this;
    let releasedBecause: string | null = null;
    for (;;) {
      // Another runner holds the run now: start nothing more; what runs finishes, then stop.
      releasedBecause ??= this.opts.released?.() ?? null;
      // Skip (at once, transitively) what waits for a failure; start what is ready.
      let progressed = !releasedBecause;
      while (progressed) {
        progressed = false;
        for (const record of steps) {
          if (begun.has(record.id)) continue;
          const failedDep = (record.needs ?? []).find((d) => failedRoot.has(d));
          if (failedDep !== undefined) {
            const root = failedRoot.get(failedDep)!;
            begun.add(record.id);
            failedRoot.set(record.id, root);
            await this.skip(record, `action "${root}" failed`, { reason: 'dependency_failed', action_id: root });
            settled.add(record.id);
            progressed = true;
            continue;
          }
          if (running.size >= this.limit) continue;
          if ((record.needs ?? []).every((d) => settled.has(d))) {
            this.start(record);
            progressed = true;
          }
        }
      }
      if (running.size === 0) break;
      await Promise.race(running);
    }
    if (releasedBecause) throw new RunReleasedError(this.runId, releasedBecause);
    for (const record of steps) {
      // Only an invalid graph leaves actions behind (validation refuses cycles): say so, do not hang.
      if (!begun.has(record.id))
        await this.skip(record, 'its dependencies never finished', { reason: 'dependency_failed' });
    }
  }

  /** After the tree: every open_ticket_on_failure runs when something failed, and is skipped otherwise. */
  async runTickets(): Promise<void> {
    const { spec, records } = this;
    for (let i = 0; i < spec.actions.length; i++) {
      const action = spec.actions[i]!;
      if (action.type !== TICKET_ACTION) continue;
      if (await this.resumed(action, records[i]!)) continue;
      const gone = this.opts.released?.();
      if (gone) throw new RunReleasedError(this.runId, gone);
      if (!this.failure) await this.skip(records[i]!, 'nothing failed', { reason: 'nothing_failed' });
      else await this.runAction(action, records[i]!);
    }
  }

  /** The run's last timeline entry, and its record. */
  async finish(): Promise<RunRecord> {
    const { spec, records, total, failure, started } = this;
    const finished = this.clock();
    const state = failure ? 'failed' : 'succeeded';
    const duration = finished.getTime() - started.getTime();
    await this.emit({
      state,
      message: failure
        ? `run failed: action "${failure.action_id}" failed`
        : `run succeeded: ${records.filter((r) => r.state === 'succeeded').length} of ${total} action${total === 1 ? '' : 's'} ran`,
      duration_ms: duration,
    });

    return {
      run_id: this.runId,
      project: spec.project,
      deployment_id: spec.deployment_id,
      product_code: spec.product_code,
      product_version: spec.product_version,
      spec,
      spec_digest: specDigest(spec),
      state,
      started_at: started.toISOString(),
      finished_at: finished.toISOString(),
      duration_ms: duration,
      actions: records,
      timeline: this.timeline.entries,
      artifacts: this.artifacts,
      tickets: this.tickets,
      ...(this.reporter.api ? { api: this.reporter.api.base } : {}),
      warnings: this.warnings,
    };
  }
}

/** What the spec itself says of the deployment and product: the condition data without an API. */
export function specConditionData(spec: ExecutionSpec): ConditionData {
  return buildConditionData({
    fallback: {
      deployment_id: spec.deployment_id,
      product_code: spec.product_code,
      product_version: spec.product_version,
    },
  });
}

/** `spec` in a condition: the spec's own facts (not its actions). */
function specFacts(spec: ExecutionSpec): Record<string, unknown> {
  return {
    project: spec.project,
    deployment_id: spec.deployment_id,
    product_code: spec.product_code,
    product_version: spec.product_version,
    targets: spec.targets,
  };
}

export interface PlanStep {
  index: number;
  id: string;
  type: string;
  lines: string[];
  timeout_s: number;
  attempts: number;
  /** Secret references that cannot be resolved right now (the run would fail). */
  problems: string[];
  /** What it waits for (the previous action in a sequence). */
  needs: string[];
  /** The secret references among `problems`, by reference. */
  missingSecrets: Array<{ ref: string; problem: string }>;
  /** Its `when`, decided now when it reads no outputs, else at run time. */
  condition?: PlanCondition;
}

export interface PlanCondition {
  text: string;
  verdict: 'runs' | 'skipped' | 'at_run_time';
  value?: unknown;
}

/** A condition that reads outputs of earlier actions can only be decided when they ran. */
function readsOutputs(logic: unknown): boolean {
  if (Array.isArray(logic)) return logic.some(readsOutputs);
  if (logic === null || typeof logic !== 'object') return false;
  return Object.entries(logic as Record<string, unknown>).some(([k, v]) => {
    if (k !== 'var') return readsOutputs(v);
    const name = Array.isArray(v) ? v[0] : v;
    return typeof name !== 'string' || name === 'outputs' || name.startsWith('outputs.') || readsOutputs(name);
  });
}

export function planCondition(spec: ExecutionSpec, logic: unknown, context: ConditionData): PlanCondition {
  const text = conditionText(logic);
  if (readsOutputs(logic)) return { text, verdict: 'at_run_time' };
  try {
    const { value, passed } = evaluateCondition(logic, { ...context, spec: specFacts(spec), outputs: {} });
    return { text, verdict: passed ? 'runs' : 'skipped', value };
  } catch {
    return { text, verdict: 'at_run_time' };
  }
}

/** --dry-run: validate (already done by the caller) and say what would happen. No side effects. */
export function planRun(
  spec: ExecutionSpec,
  opts: { env?: NodeJS.ProcessEnv; actions?: ActionRegistry; context?: ConditionData } = {},
): PlanStep[] {
  const registry = opts.actions ?? defaultActions;
  const secrets = new SecretResolver(opts.env ?? process.env);
  const tree = stepTree(spec.actions);
  const context = opts.context ?? specConditionData(spec);
  return spec.actions.map((action, i) => {
    const def = actionDefinition(action.type);
    const mod = registry[action.type];
    const problems: string[] = [];
    const missingSecrets: Array<{ ref: string; problem: string }> = [];
    if (!mod) problems.push(`no module for action type ${action.type}`);
    for (const { ref } of secretRefsIn(action.with)) {
      const problem = secrets.check(ref);
      if (problem) {
        problems.push(`secret ${ref.secret}: ${problem}`);
        missingSecrets.push({ ref: ref.secret, problem });
      }
    }
    const { retries = 0 } = action as { retries?: number };
    return {
      index: i + 1,
      id: action.id,
      type: action.type,
      lines: mod ? mod.plan(action.with, spec) : [],
      timeout_s: action.timeout_s ?? def?.defaultTimeoutS ?? 300,
      attempts: 1 + retries,
      problems,
      needs: tree.nodes[i]!.needs,
      missingSecrets,
      ...(action.when !== undefined ? { condition: planCondition(spec, action.when, context) } : {}),
    };
  });
}
