// Pure: automation-run answers → what the timeline shows. Tolerant of the envelope while
// /api/v1/automation-runs settles; the entry shape is the runner's (automation/timeline.ts).
import type { TimelineEntry } from '../../../data-api/src/automation/timeline.ts';

export interface RunView {
  id: string;
  project: string | null;
  deployment_id: string | null;
  state: string;
  created_at: string | null;
  started_at: string | null;
  finished_at: string | null;
  duration_ms: number | null;
  page_path: string | null;
  timeline: TimelineEntry[];
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

export function toRunView(raw: unknown): RunView | null {
  if (!raw || typeof raw !== 'object') return null;
  const r = (('run' in (raw as object) && typeof (raw as { run: unknown }).run === 'object' ? (raw as { run: object }).run : raw) as Record<string, unknown>);
  const id = str(r.id);
  if (!id) return null;
  const tl = (Array.isArray(r.timeline) ? r.timeline : Array.isArray((raw as Record<string, unknown>).timeline) ? (raw as Record<string, unknown>).timeline : Array.isArray(r.entries) ? r.entries : []) as TimelineEntry[];
  return {
    id,
    project: str(r.project),
    deployment_id: str(r.deployment_id),
    state: str(r.state) ?? 'queued',
    created_at: str(r.created_at),
    started_at: str(r.started_at),
    finished_at: str(r.finished_at),
    duration_ms: typeof r.duration_ms === 'number' ? r.duration_ms : null,
    page_path: str(r.page_path),
    timeline: [...tl].filter((e) => e && typeof e.at === 'string').sort((a, b) => a.at.localeCompare(b.at)),
  };
}

export function toRunList(raw: unknown): RunView[] {
  const items = Array.isArray(raw) ? raw : Array.isArray((raw as { items?: unknown[] })?.items) ? (raw as { items: unknown[] }).items : [];
  return items.map(toRunView).filter((r): r is RunView => !!r);
}

/** The state of each action: its last timeline entry. */
export function actionStates(timeline: readonly TimelineEntry[]): Array<{ action: string; state: string; message: string; duration_ms: number; at: string }> {
  const by = new Map<string, TimelineEntry>();
  for (const e of timeline) if (e.action_id) by.set(e.action_id, e);
  return [...by.entries()].map(([action, e]) => ({ action, state: e.state, message: e.message, duration_ms: e.duration_ms, at: e.at }));
}

export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${ms} ms`;
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s} s`;
  return `${Math.floor(s / 60)} min ${s % 60} s`;
}
