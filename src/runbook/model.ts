// Pure (no React, no DOM): the runner's view of an execution — the server's state, updated by
// action results and change events (never backwards: item and execution versions only grow),
// with the actions still in the offline queue laid over it.
import { changePayloadOf, type ParsedChangeEvent } from '../../data-api/src/contracts/change-events.ts';
import {
  computeGateStatuses,
  liveState,
  type Execution,
  type ExecutionSummary,
  type GateState,
  type ItemState,
} from '../../data-api/src/contracts/executions.ts';
import type { QueueEntry } from './queue.ts';

/** Evidence still in the offline queue: shown on its item, and counted as the item's evidence. */
export type QueuedEvidence =
  { seq: number; kind: 'link'; url: string } | { seq: number; kind: 'photo' | 'file'; file: Blob; filename: string };

export interface ViewItem extends ItemState {
  /** Queued actions on this item not yet accepted by the API. */
  pending: number;
  /** Links, photos and files queued for this item, oldest first (not yet accepted by the API). */
  queued_evidence: QueuedEvidence[];
}
export interface ViewGate extends Omit<GateState, 'items'> {
  items: ViewItem[];
  pendingSignOff: boolean;
}
export interface ViewExecution extends Omit<Execution, 'gates'> {
  gates: ViewGate[];
  pending: number;
}

type Summary = Pick<
  ExecutionSummary,
  'state' | 'version' | 'progress' | 'current_gate' | 'updated_at' | 'finished_at' | 'finished_by' | 'abandon_reason'
>;

/** Recomputes gate statuses and progress from the items and sign-offs (the API's own rule). */
export function recompute<
  T extends Omit<Execution, 'gates'> & { gates: (Omit<GateState, 'items'> & { items: ItemState[] })[] },
>(e: T): T {
  const checked = new Set(e.gates.flatMap((g) => g.items.filter((i) => i.checked).map((i) => i.id)));
  const statuses = computeGateStatuses(
    e.gates.map((g) => ({ id: g.id, sign_off: g.sign_off, checklist: g.items })),
    (id) => checked.has(id),
    (id) => e.gates.some((g) => g.id === id && g.signed_off !== null),
  );
  const gates = e.gates.map((g, i) => ({ ...g, status: statuses[i]!.status, progress: statuses[i]!.progress }));
  const total = gates.reduce((n, g) => n + g.items.length, 0);
  const final = e.state === 'done' || e.state === 'abandoned';
  return {
    ...e,
    gates,
    state: final ? e.state : liveState(statuses),
    progress: { checked: checked.size, total },
    current_gate: statuses.find((s) => s.status !== 'complete')?.id ?? null,
  };
}

/** An item as the API now has it (from an action result or a change event); older versions are ignored. */
export function applyItem(e: Execution, item: ItemState, summary?: Partial<Summary>): Execution {
  let changed = false;
  const gates = e.gates.map((g) => ({
    ...g,
    items: g.items.map((i) => {
      if (i.id !== item.id || item.version <= i.version) return i;
      changed = true;
      return item;
    }),
  }));
  const next = changed ? recompute({ ...e, gates }) : e;
  return summary ? applySummary(next, summary) : next;
}

/** Execution-level fields, when the summary is not older than what we have. */
export function applySummary(e: Execution, s: Partial<Summary>): Execution {
  if (s.version !== undefined && s.version < e.version) return e;
  const next = { ...e };
  for (const k of ['state', 'version', 'updated_at', 'finished_at', 'finished_by', 'abandon_reason'] as const) {
    if (s[k] !== undefined) (next as Record<string, unknown>)[k] = s[k];
  }
  return next;
}

/** A whole execution from the API replaces ours unless ours is newer. */
export function applyExecution(current: Execution | null, incoming: Execution): Execution {
  if (current && current.id === incoming.id && incoming.version < current.version) return current;
  return incoming;
}

/**
 * What a change event on `execution:<id>` does to the execution shown: an item's event applies
 * that item and the header it carries. Sign-offs, state changes and evidence carry more than
 * one item, so the execution is read again (`reread`). The payload is the connection's parse.
 */
export function applyExecutionEvent(
  shown: Execution | null,
  event: ParsedChangeEvent,
): { execution: Execution | null; reread: boolean } {
  const change = changePayloadOf(event, 'execution.*');
  const item = change?.item;
  return {
    execution: shown && item ? applyItem(shown, item, change) : shown,
    reread: !item || event.type === 'execution.evidence_added',
  };
}

/** Our queued actions laid over the server state: ticks show at once, marked pending. */
export function overlay(e: Execution, queue: readonly QueueEntry[]): ViewExecution {
  const mine = queue.filter((q) => q.action.executionId === e.id);
  const gates = e.gates.map((g) => ({
    ...g,
    pendingSignOff: mine.some((q) => q.action.kind === 'sign-off' && q.action.gateId === g.id),
    items: g.items.map((i): ViewItem => {
      let item: ViewItem = { ...i, pending: 0, queued_evidence: [] };
      for (const q of mine) {
        const a = q.action;
        if (!('itemId' in a) || a.itemId !== i.id) continue;
        item = { ...item, pending: item.pending + 1 };
        if (a.kind === 'tick')
          item = { ...item, checked: true, ...(typeof a.body.note === 'string' ? { note: a.body.note } : {}) };
        else if (a.kind === 'untick') item = { ...item, checked: false };
        else if (a.kind === 'value')
          item = {
            ...item,
            checked: true,
            value: Number(a.body.value),
            ...(typeof a.body.note === 'string' ? { note: a.body.note } : {}),
          };
        else if (a.kind === 'note') item = { ...item, note: String(a.body.note) };
        // A queued link or upload is the item's evidence already: it goes before a tick made after it.
        else if (a.kind === 'link')
          item = { ...item, queued_evidence: [...item.queued_evidence, { seq: q.seq, kind: 'link', url: a.body.url }] };
        else if (a.kind === 'evidence')
          item = {
            ...item,
            queued_evidence: [
              ...item.queued_evidence,
              { seq: q.seq, kind: a.evidenceKind, file: a.file, filename: a.filename },
            ],
          };
      }
      return item;
    }),
  }));
  const view = recompute({ ...e, gates }) as unknown as ViewExecution;
  return { ...view, pending: mine.length };
}

/**
 * `if_version` for a new action on an item: the version we saw, unless our own actions on it
 * are still queued (they will bump it; ours apply in order, so no check is needed then).
 */
export function ifVersionFor(item: ViewItem): number | undefined {
  return item.pending > 0 ? undefined : item.version;
}

/** "alice · 14:02:11" (and the device time when the action was queued offline). */
export function whoWhen(item: Pick<ItemState, 'by' | 'at' | 'client_at'>, locale?: string): string | null {
  if (!item.by || !item.at) return null;
  const t = (iso: string) =>
    new Date(iso).toLocaleTimeString(locale, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  const sent = t(item.at);
  if (item.client_at && Math.abs(Date.parse(item.client_at) - Date.parse(item.at)) > 5000)
    return `${item.by} · ${t(item.client_at)} (sent ${sent})`;
  return `${item.by} · ${sent}`;
}

/** Why Finish is greyed out: the first gate not yet complete, and how many are left. */
export function finishHint(gates: readonly Pick<ViewGate, 'title' | 'status'>[]): string | null {
  const left = gates.filter((g) => g.status !== 'complete');
  const next = left[0];
  if (!next) return null;
  const why = next.status === 'awaiting_sign_off' ? ' awaits its sign-off' : ' is not done yet';
  return `Finish opens when every gate is complete: “${next.title}”${why}${left.length > 1 ? ` (${left.length} of ${gates.length} gates left)` : ''}.`;
}
