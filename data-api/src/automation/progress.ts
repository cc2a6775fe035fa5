// A claimed run's progress on its runner's own disk, beside its write-back journal: when it
// started, each action as it starts and as it ends (record, outputs, log, artifacts), the page
// and the commit. A runner killed mid-run reads it back after a restart and picks the run up
// where it stopped (POST …/resume): ended actions are not run again, the run page and the
// commit are written once. A runner taking over another runner's run has no such file; it
// rebuilds the same resume point from the API's timeline (fewer details: no outputs or logs).
import fs from 'node:fs';
import path from 'node:path';
import type { AutomationRun } from '../contracts/automation-runs.ts';
import type { OpenTicketBody } from '../contracts/automation-write-back.ts';
import type { ActionRecord, ArtifactRecord } from './records.ts';
import type { ActionState, TimelineEntry } from '../contracts/automation-timeline.ts';
import { readJsonLines } from './jsonl.ts';

export const PROGRESS_SUFFIX = '.progress.jsonl';

export type ProgressLine =
  | { type: 'started'; run_id: string; started_at: string }
  | { type: 'action_started'; action_id: string; attempt: number }
  | { type: 'action_ended'; record: ActionRecord; artifacts: ArtifactRecord[]; tickets: OpenTicketBody[] }
  | { type: 'page'; page: string }
  | { type: 'committed'; sha: string; pushed: boolean };

export interface EndedAction {
  record: ActionRecord;
  artifacts: ArtifactRecord[];
  tickets: OpenTicketBody[];
}

/** Where a picked-up run goes on. */
export interface ResumePoint {
  startedAt: string;
  /** The run's pick-up count from the API (1, 2, …): keeps this attempt's write-back keys apart. */
  attempt: number;
  /** Actions that ended (succeeded, failed or skipped): not run again. */
  ended: Map<string, EndedAction>;
  /** Actions that started and never ended: the runner stopped while they ran. */
  interrupted: Set<string>;
  /** The timeline so far, as the API has it (the stopped runner's entries, then the pick-up). */
  timeline: TimelineEntry[];
  /** A commit of this run already made (recorded before the runner stopped). */
  commit?: { sha: string; pushed: boolean };
}

/** Append-only, one JSON line per event; a line cut short by a kill is ignored on reading. */
export class RunProgress {
  constructor(readonly file: string) {}

  static for(dir: string, runId: string): RunProgress {
    return new RunProgress(path.join(dir, `${runId}${PROGRESS_SUFFIX}`));
  }

  append(line: ProgressLine): void {
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    fs.appendFileSync(this.file, `${JSON.stringify(line)}\n`);
  }

  read(): ProgressLine[] {
    // A line cut short by the kill: the event it describes did not finish being recorded.
    return readJsonLines<ProgressLine>(this.file);
  }

  remove(): void {
    fs.rmSync(this.file, { force: true });
  }
}

/** The resume point from this runner's own progress (null when it holds nothing of the run). */
export function resumeFromProgress(
  lines: ProgressLine[],
  run: Pick<AutomationRun, 'timeline' | 'resumes' | 'started_at'>,
): ResumePoint | null {
  const started = lines.find((l) => l.type === 'started');
  if (!started) return null;
  const ended = new Map<string, EndedAction>();
  const running = new Set<string>();
  let commit: ResumePoint['commit'];
  for (const l of lines) {
    if (l.type === 'action_started') running.add(l.action_id);
    else if (l.type === 'action_ended') {
      running.delete(l.record.id);
      ended.set(l.record.id, { record: l.record, artifacts: l.artifacts, tickets: l.tickets });
    } else if (l.type === 'committed') commit = { sha: l.sha, pushed: l.pushed };
  }
  return {
    startedAt: started.started_at,
    attempt: run.resumes,
    ended,
    interrupted: running,
    timeline: run.timeline,
    ...(commit ? { commit } : {}),
  };
}

const ENDED: readonly ActionState[] = ['succeeded', 'failed', 'skipped'];

/**
 * The resume point from the API's view of the run alone (another runner's run, taken over):
 * an action whose last entry ended it has ended; one whose last entry is `running` was cut off.
 * Its outputs and log stayed with the runner that ran it; the record says so.
 */
export function resumeFromTimeline(run: AutomationRun, actions: Array<{ id: string; type: string }>): ResumePoint {
  const ended = new Map<string, EndedAction>();
  const interrupted = new Set<string>();
  for (const a of actions) {
    const entries = run.timeline.filter((e) => e.action_id === a.id);
    const last = entries.at(-1);
    if (!last || last.state === 'queued') continue;
    if (last.state === 'running') {
      interrupted.add(a.id);
      continue;
    }
    if (!ENDED.includes(last.state)) continue;
    const started = entries.find((e) => e.state === 'running');
    const detail = last.message.replace(new RegExp(`^${a.type} ${last.state}:? ?`), '');
    const record: ActionRecord = {
      id: a.id,
      type: a.type,
      state: last.state,
      attempts: Math.max(1, entries.filter((e) => e.state === 'running').length),
      ...(started ? { started_at: started.at } : {}),
      finished_at: last.at,
      duration_ms: last.duration_ms,
      ...(last.state === 'succeeded' && detail ? { summary: detail } : {}),
      ...(last.state === 'failed' ? { error: detail || 'failed' } : {}),
      log:
        last.state === 'skipped'
          ? [`skipped: ${detail}`]
          : ['ran on the runner that stopped; its log and outputs stayed with that runner'],
      ...(last.skip ? { skip: last.skip } : {}),
    };
    ended.set(a.id, { record, artifacts: [], tickets: [] });
  }
  const startedAt =
    run.started_at ??
    run.timeline.find((e) => e.state === 'running' && e.action_id === undefined)?.at ??
    run.created_at;
  return { startedAt, attempt: run.resumes, ended, interrupted, timeline: run.timeline };
}
