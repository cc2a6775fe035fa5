// The runner: actions in order, each with a timeout and (idempotent actions only) retries.
// States: run queued → running → succeeded | failed; action queued → running → succeeded |
// failed | skipped. The first failed action stops the run: the actions after it are skipped,
// then every open_ticket_on_failure action runs (they are skipped when nothing failed).
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { actionDefinition, type ActionSpec, type ExecutionSpec } from '../contracts/execution-spec.ts';
import { generateId } from '../contracts/ids.ts';
import type { OpenTicketBody } from './api-contract.ts';
import { defaultActions, type ActionRegistry } from './actions/index.ts';
import { ActionError, type ActionContext, type ActionResult } from './actions/types.ts';
import { formatMs, sleep } from './http.ts';
import type { RunReporter } from './journal.ts';
import { SecretResolver, secretRefsIn } from './secrets.ts';
import { specDigest } from './spec-file.ts';
import { Timeline, type ActionState, type TimelineEntry } from './timeline.ts';

export const TICKET_ACTION = 'open_ticket_on_failure';

export interface ActionRecord {
  id: string;
  type: string;
  state: ActionState;
  attempts: number;
  started_at?: string;
  finished_at?: string;
  duration_ms: number;
  summary?: string;
  error?: string;
  /** Log lines, scrubbed of resolved secret values. */
  log: string[];
  outputs?: Record<string, unknown>;
}

export interface ArtifactRecord {
  action_id: string;
  name: string;
  /** Absolute path of the file. */
  file: string;
  content_type: string;
  size: number;
  sha256: string;
}

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
}

function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** Runs a validated spec. Never throws for an action's failure: the record says what happened. */
export async function runSpec(opts: RunOptions): Promise<RunRecord> {
  const { spec, reporter } = opts;
  const registry = opts.actions ?? defaultActions;
  const clock = opts.clock ?? (() => new Date());
  const env = opts.env ?? process.env;
  const runId = opts.runId ?? generateId('automationRun');
  const started = clock();
  const secrets = new SecretResolver(env);
  const warnings: string[] = [];
  const artifacts: ArtifactRecord[] = [];
  const tickets: OpenTicketBody[] = [];
  const outputs: Record<string, Record<string, unknown>> = {};
  const total = spec.actions.length;
  const records: ActionRecord[] = spec.actions.map((a) => ({ id: a.id, type: a.type, state: 'queued', attempts: 0, duration_ms: 0, log: [] }));
  const artifactsDir = opts.artifactsDir?.(runId, started) ?? path.join(os.tmpdir(), 'fleetbook-artifacts', runId);
  const artifactPath = opts.artifactPath ?? ((file: string) => path.relative(process.cwd(), file).split(path.sep).join('/'));

  const safe = async (what: string, call: () => Promise<void>) => {
    try {
      await call();
    } catch (err) {
      warnings.push(`${what}: ${errorMessage(err)}`);
    }
  };

  // Trackers that wrap the reporter: the caller (CLI) sees progress, the API sees the timeline.
  const timeline = new Timeline(clock, (entry) => {
    const i = entry.action_id === undefined ? -1 : spec.actions.findIndex((a) => a.id === entry.action_id);
    opts.onProgress?.({ entry, total, ...(i >= 0 ? { action: records[i], index: i + 1 } : {}) });
  });
  const emit = async (entry: Omit<TimelineEntry, 'at'>) => {
    const e = timeline.add(entry);
    await safe('timeline write-back', () => reporter.appendTimeline(runId, [e]));
  };

  await safe('create run write-back', () =>
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
    timeline.add({ state: 'queued', message: `run queued: ${total} action${total === 1 ? '' : 's'}`, duration_ms: 0 }),
    ...spec.actions.map((a) => timeline.add({ action_id: a.id, state: 'queued', message: `${a.type} queued`, duration_ms: 0 })),
  ];
  await safe('timeline write-back', () => reporter.appendTimeline(runId, queued));
  await emit({ state: 'running', message: 'run started', duration_ms: 0 });

  let failure: { action_id: string; type: string; error: string } | undefined;

  const runAction = async (action: ActionSpec, record: ActionRecord) => {
    const def = actionDefinition(action.type);
    const mod = registry[action.type];
    const log = (line: string) => {
      const clean = secrets.scrub(line);
      record.log.push(clean);
      opts.onLog?.(action.id, clean);
    };
    const timeoutS = action.timeout_s ?? def?.defaultTimeoutS ?? 300;
    const { retries = 0, retry_delay_s: retryDelayS = 5 } = action as { retries?: number; retry_delay_s?: number };
    const maxAttempts = def?.idempotent ? 1 + retries : 1;
    const startedAt = clock();
    record.started_at = startedAt.toISOString();
    const elapsed = () => clock().getTime() - startedAt.getTime();

    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      record.attempts = attempt;
      record.state = 'running';
      await emit({
        action_id: action.id,
        state: 'running',
        message: attempt === 1 ? `${action.type} started` : `${action.type} attempt ${attempt} of ${maxAttempts}`,
        duration_ms: elapsed(),
        ...(maxAttempts > 1 ? { attempt } : {}),
      });
      const ctrl = new AbortController();
      const timeoutError = new ActionError(`timed out after ${formatMs(timeoutS * 1000)}`);
      const timer = setTimeout(() => ctrl.abort(timeoutError), timeoutS * 1000);
      let result: ActionResult | void;
      try {
        if (!mod) throw new ActionError(`no module for action type ${action.type}`);
        const ctx: ActionContext = {
          runId,
          spec,
          action,
          with: action.with,
          attempt,
          signal: ctrl.signal,
          log,
          secrets,
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
            close: () => reporter.close(),
          },
          env,
          outputs,
          ...(failure ? { failure } : {}),
          artifact: async (name, content, contentType = 'application/octet-stream') => {
            const safeName = name.replace(/[^A-Za-z0-9._-]/g, '_');
            const file = path.join(artifactsDir, action.id, safeName);
            fs.mkdirSync(path.dirname(file), { recursive: true });
            fs.writeFileSync(file, content);
            const buf = typeof content === 'string' ? Buffer.from(content) : content;
            const rec: ArtifactRecord = { action_id: action.id, name: safeName, file, content_type: contentType, size: buf.length, sha256: createHash('sha256').update(buf).digest('hex') };
            artifacts.push(rec);
            await safe('artifact write-back', () =>
              reporter.attachArtifact(runId, { name: rec.name, action_id: rec.action_id, path: artifactPath(file), content_type: rec.content_type, size: rec.size, sha256: rec.sha256 }),
            );
            return file;
          },
        };
        // An action that ignores its signal still cannot hold the run past its timeout.
        result = await Promise.race([
          mod.execute(ctx),
          new Promise<never>((_, reject) => ctrl.signal.addEventListener('abort', () => reject(ctrl.signal.reason), { once: true })),
        ]);
      } catch (err) {
        clearTimeout(timer);
        const message = secrets.scrub(ctrl.signal.aborted ? timeoutError.message : errorMessage(err));
        if (attempt < maxAttempts) {
          log(`attempt ${attempt} of ${maxAttempts} failed: ${message}; retrying in ${retryDelayS} s`);
          await sleep(retryDelayS * 1000 * (opts.retryDelayScale ?? 1));
          continue;
        }
        log(`failed: ${message}`);
        record.state = 'failed';
        record.error = message;
        record.finished_at = clock().toISOString();
        record.duration_ms = elapsed();
        await emit({ action_id: action.id, state: 'failed', message: `${action.type} failed: ${message}`, duration_ms: record.duration_ms, ...(maxAttempts > 1 ? { attempt } : {}) });
        return false;
      }
      clearTimeout(timer);
      record.state = 'succeeded';
      record.finished_at = clock().toISOString();
      record.duration_ms = elapsed();
      if (result?.outputs) {
        record.outputs = result.outputs;
        outputs[action.id] = result.outputs;
      }
      if (result?.summary) record.summary = secrets.scrub(result.summary);
      await emit({
        action_id: action.id,
        state: 'succeeded',
        message: `${action.type} succeeded${record.summary ? `: ${record.summary}` : ''}`,
        duration_ms: record.duration_ms,
        ...(maxAttempts > 1 ? { attempt } : {}),
      });
      return true;
    }
    return false;
  };

  const skip = async (record: ActionRecord, why: string) => {
    record.state = 'skipped';
    record.log.push(`skipped: ${why}`);
    await emit({ action_id: record.id, state: 'skipped', message: `${record.type} skipped: ${why}`, duration_ms: 0 });
  };

  for (let i = 0; i < spec.actions.length; i++) {
    const action = spec.actions[i]!;
    if (action.type === TICKET_ACTION) continue; // after the others, and only after a failure
    if (failure) {
      await skip(records[i]!, `action "${failure.action_id}" failed`);
      continue;
    }
    const ok = await runAction(action, records[i]!);
    if (!ok) failure = { action_id: action.id, type: action.type, error: records[i]!.error ?? 'failed' };
  }
  for (let i = 0; i < spec.actions.length; i++) {
    const action = spec.actions[i]!;
    if (action.type !== TICKET_ACTION) continue;
    if (!failure) await skip(records[i]!, 'nothing failed');
    else await runAction(action, records[i]!);
  }

  const finished = clock();
  const state = failure ? 'failed' : 'succeeded';
  const duration = finished.getTime() - started.getTime();
  await emit({
    state,
    message: failure
      ? `run failed: action "${failure.action_id}" failed`
      : `run succeeded: ${records.filter((r) => r.state === 'succeeded').length} of ${total} action${total === 1 ? '' : 's'} ran`,
    duration_ms: duration,
  });

  return {
    run_id: runId,
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
    timeline: timeline.entries,
    artifacts,
    tickets,
    ...(reporter.api ? { api: reporter.api.base } : {}),
    warnings,
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
}

/** --dry-run: validate (already done by the caller) and say what would happen. No side effects. */
export function planRun(spec: ExecutionSpec, opts: { env?: NodeJS.ProcessEnv; actions?: ActionRegistry } = {}): PlanStep[] {
  const registry = opts.actions ?? defaultActions;
  const secrets = new SecretResolver(opts.env ?? process.env);
  return spec.actions.map((action, i) => {
    const def = actionDefinition(action.type);
    const mod = registry[action.type];
    const problems: string[] = [];
    if (!mod) problems.push(`no module for action type ${action.type}`);
    for (const { ref } of secretRefsIn(action.with)) {
      const problem = secrets.check(ref);
      if (problem) problems.push(`secret ${ref.secret}: ${problem}`);
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
    };
  });
}
