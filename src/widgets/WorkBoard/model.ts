// Pure (no DOM): which work items a board shows, in which column and order.
import { WORK_ITEM_PRIORITIES, type WorkItem, type WorkItemState } from '../../../data-api/src/contracts/work-items.ts';

export interface BoardFilter {
  site?: string;
  deployment?: string;
  customer?: string;
  /** A person's name; `me` is resolved by the caller. */
  owner?: string;
  /** Only items without an owner. */
  unowned?: boolean;
  kind?: 'ticket' | 'task';
}

/** A live row still belongs on the board (a change may have moved it out: another owner, another site). */
export function matches(item: WorkItem, f: BoardFilter): boolean {
  if (f.site && item.links.site_id !== f.site) return false;
  if (f.deployment && item.links.deployment_id !== f.deployment) return false;
  if (f.customer && item.links.customer_id !== f.customer) return false;
  if (f.owner && item.owner !== f.owner) return false;
  if (f.unowned && item.owner !== null) return false;
  if (f.kind && item.kind !== f.kind) return false;
  return true;
}

const RANK = new Map<string, number>(WORK_ITEM_PRIORITIES.map((p, i) => [p, i]));

/** Most urgent first, then the earliest due date (none last), then newest. */
export function byUrgency(a: WorkItem, b: WorkItem): number {
  const p = (RANK.get(a.priority) ?? 9) - (RANK.get(b.priority) ?? 9);
  if (p !== 0) return p;
  if (a.due !== b.due) return a.due === null ? 1 : b.due === null ? -1 : a.due < b.due ? -1 : 1;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

export function columnsOf(
  items: readonly WorkItem[],
  states: readonly WorkItemState[],
): Map<WorkItemState, WorkItem[]> {
  const out = new Map<WorkItemState, WorkItem[]>(states.map((s) => [s, []]));
  for (const item of items) out.get(item.state)?.push(item);
  for (const list of out.values()) list.sort(byUrgency);
  return out;
}

/** Overdue: still active and due before today (the viewer's calendar day). */
export function isOverdue(item: WorkItem, today: string): boolean {
  return (
    item.due !== null &&
    item.due < today &&
    (item.state === 'open' || item.state === 'in_progress' || item.state === 'blocked')
  );
}

export const localDay = (now: Date): string =>
  `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, '0')}-${String(now.getDate()).padStart(2, '0')}`;

/** Distinct values for a filter menu, sorted, nulls left out. */
export function distinct(items: readonly WorkItem[], pick: (i: WorkItem) => string | null): string[] {
  return [...new Set(items.map(pick).filter((v): v is string => v !== null))].sort();
}
