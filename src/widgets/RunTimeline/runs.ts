// Pure: automation-run answers (parsed with their contract) → what the timeline shows.
import {
  runSpecTreeSchema,
  type AutomationRun,
  type AutomationRunSummary,
} from '../../../data-api/src/contracts/automation-runs.ts';
import type { StepLike } from '../../../data-api/src/contracts/step-tree.ts';
import type { TimelineEntry } from '../../../data-api/src/contracts/automation-timeline.ts';

/** A run as the timeline shows it: entries in time order (the API keeps arrival order), and its step tree. */
export type RunView = AutomationRunSummary & {
  /** The spec's actions (one run's answer carries the spec; list items do not). */
  actions: StepLike[] | null;
  max_parallel: number | null;
};

export function toRunView(run: AutomationRunSummary | AutomationRun): RunView {
  const spec = 'spec' in run ? runSpecTreeSchema.safeParse(run.spec) : null;
  return {
    ...run,
    timeline: [...run.timeline].sort((a, b) => a.at.localeCompare(b.at)),
    actions: spec?.success ? spec.data.actions : null,
    max_parallel: spec?.success ? (spec.data.max_parallel ?? null) : null,
  };
}

/** The state of each action: its last timeline entry. */
export function actionStates(
  timeline: readonly TimelineEntry[],
): Array<{ action: string; state: string; message: string; duration_ms: number; at: string }> {
  const by = new Map<string, TimelineEntry>();
  for (const e of timeline) if (e.action_id) by.set(e.action_id, e);
  return [...by.entries()].map(([action, e]) => ({
    action,
    state: e.state,
    message: e.message,
    duration_ms: e.duration_ms,
    at: e.at,
  }));
}

export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${ms} ms`;
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s} s`;
  return `${Math.floor(s / 60)} min ${s % 60} s`;
}
