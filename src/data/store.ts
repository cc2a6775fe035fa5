// Pure (no DOM): the page's entity store. REST pages seed it, `change` events update
// it, widgets read their rows from it by id so a change re-renders only the rows it touched.
import type { Alert } from '../../data-api/src/contracts/alerts.ts';
import type { ChangeEventMessage } from '../../data-api/src/contracts/stream.ts';

export interface Entity {
  id: string;
  /** A counter the API bumps on every write (work items): the surest order of two copies. */
  version?: number;
  updated_at?: string | null;
  [field: string]: unknown;
}

/** type → id → entity; `null` marks a deleted entity (so a late REST page cannot revive it). */
export type StoreState = Readonly<Record<string, Readonly<Record<string, Entity | null>>>>;

export const EMPTY_STORE: StoreState = Object.freeze({});

export type StoreKey = `${string}/${string}`;
export const keyOf = (type: string, id: string): StoreKey => `${type}/${id}`;

/** An alert only moves forward: open → acknowledged → resolved (a new one gets a new id). */
const ALERT_STATE_ORDER: Record<Alert['state'], number> = { open: 0, acknowledged: 1, resolved: 2 };

/**
 * The order of copies of a type whose contract carries neither `version` nor `updated_at`:
 * ranks compared element by element. An alert's is its state, then its escalation_level (which
 * only rises). Not its acked_at/resolved_at: the API stamps an acknowledgement with its own
 * clock and a system resolution with the database's, so those two do not compare reliably.
 */
const LIFECYCLES: Readonly<Record<string, (e: Entity) => readonly number[] | null>> = {
  alert: (e) => {
    const state = ALERT_STATE_ORDER[e.state as Alert['state']];
    if (state === undefined) return null;
    return [state, typeof e.escalation_level === 'number' ? e.escalation_level : 0];
  },
};

const sign = (n: number) => (n > 0 ? 1 : n < 0 ? -1 : 0);

function compareRanks(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return sign(a[i]! - b[i]!);
  return 0;
}

function compareTimes(a: string, b: string): number {
  const ta = Date.parse(a);
  const tb = Date.parse(b);
  if (Number.isNaN(ta) || Number.isNaN(tb)) return a < b ? -1 : a > b ? 1 : 0;
  return sign(ta - tb);
}

/**
 * Which of two copies of one entity is the newer: 1 when `a` is, -1 when `b` is, 0 when they
 * cannot be told apart (the copy arriving then wins). By the first of these both copies carry:
 * - `version`, a counter the API bumps on every write;
 * - `updated_at`;
 * - the type's lifecycle (`LIFECYCLES`: alerts, whose contract has neither).
 */
export function compareCopies(type: string, a: Entity, b: Entity): number {
  if (typeof a.version === 'number' && typeof b.version === 'number') return sign(a.version - b.version);
  if (typeof a.updated_at === 'string' && typeof b.updated_at === 'string')
    return compareTimes(a.updated_at, b.updated_at);
  const rank = LIFECYCLES[type];
  const ra = rank?.(a);
  const rb = rank?.(b);
  return ra && rb ? compareRanks(ra, rb) : 0;
}

function put(state: StoreState, type: string, id: string, value: Entity | null): StoreState {
  const table = state[type] ?? {};
  if (table[id] === value) return state;
  return { ...state, [type]: { ...table, [id]: value } };
}

/**
 * REST rows (and write answers) into the store. A row replaces what the store has unless the
 * store's copy is newer (`compareCopies`), which happens when a change event overtook the REST
 * response: a list read before an acknowledgement and answered after its event must not show
 * the alert open again.
 */
export function seedEntities(
  state: StoreState,
  type: string,
  rows: readonly Entity[],
): { state: StoreState; changed: StoreKey[] } {
  let next = state;
  const changed: StoreKey[] = [];
  for (const row of rows) {
    const have = next[type]?.[row.id];
    if (have === null) continue;
    if (have && compareCopies(type, row, have) < 0) continue;
    if (have && shallowEqual(have, row)) continue;
    next = put(next, type, row.id, row);
    changed.push(keyOf(type, row.id));
  }
  return { state: next, changed };
}

/** Fields of a partial payload that describe the event, not the entity. */
const EVENT_ONLY = new Set(['previous', 'device_id', 'reason']);

/**
 * One `change` event into the store:
 * - `<type>.deleted` → tombstone;
 * - a payload that is the entity (`payload.id === subject.id`), or holds it under the
 *   subject's type (`{ alert: {…} }`) → upsert, unless the store's copy is newer (`compareCopies`);
 * - otherwise a partial (`device.health_changed {status, last_seen}`) merged into the
 *   entity the store already has; ignored when it has none (the next REST read brings it).
 */
export function reduceChange(state: StoreState, event: ChangeEventMessage): { state: StoreState; changed: StoreKey[] } {
  const { type: subjectType, id } = event.subject;
  const verb = event.type.slice(event.type.indexOf('.') + 1);
  const key = keyOf(subjectType, id);
  if (verb === 'deleted') {
    return state[subjectType]?.[id] === null
      ? { state, changed: [] }
      : { state: put(state, subjectType, id, null), changed: [key] };
  }
  const payload = event.payload ?? {};
  const nested = payload[subjectType];
  const whole: Entity | null =
    payload.id === id
      ? (payload as Entity)
      : nested && typeof nested === 'object' && (nested as Entity).id === id
        ? (nested as Entity)
        : null;
  if (whole) {
    const have = state[subjectType]?.[id];
    if (have && compareCopies(subjectType, whole, have) < 0) return { state, changed: [] };
    return { state: put(state, subjectType, id, whole), changed: [key] };
  }
  const have = state[subjectType]?.[id];
  if (!have) return { state, changed: [] };
  const patch: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(payload)) if (!EVENT_ONLY.has(k)) patch[k] = v;
  if (Object.keys(patch).length === 0) return { state, changed: [] };
  const merged = { ...have, ...patch };
  if (shallowEqual(have, merged)) return { state, changed: [] };
  return { state: put(state, subjectType, id, merged), changed: [key] };
}

function shallowEqual(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => a[k] === b[k] || (typeof a[k] === 'object' && JSON.stringify(a[k]) === JSON.stringify(b[k])));
}

type Listener = (changed: ReadonlySet<StoreKey>) => void;

/** The store with subscriptions: a thin shell over the two reducers above. */
export class EntityStore {
  private state: StoreState = EMPTY_STORE;
  private listeners = new Set<Listener>();

  getState(): StoreState {
    return this.state;
  }

  get<T extends Entity = Entity>(type: string, id: string): T | null | undefined {
    return this.state[type]?.[id] as T | null | undefined;
  }

  seed(type: string, rows: readonly Entity[]): void {
    const r = seedEntities(this.state, type, rows);
    this.commit(r.state, r.changed);
  }

  apply(event: ChangeEventMessage): StoreKey[] {
    const r = reduceChange(this.state, event);
    this.commit(r.state, r.changed);
    return r.changed;
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private commit(next: StoreState, changed: StoreKey[]): void {
    if (next === this.state || changed.length === 0) return;
    this.state = next;
    const set = new Set(changed);
    for (const l of this.listeners) l(set);
  }
}
