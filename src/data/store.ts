// Pure (no DOM): the page's entity store. REST pages seed it, `change` events update
// it, widgets read their rows from it by id so a change re-renders only the rows it touched.
import type { ChangeEventMessage } from '../../data-api/src/contracts/stream.ts';

export interface Entity {
  id: string;
  updated_at?: string | null;
  [field: string]: unknown;
}

/** type → id → entity; `null` marks a deleted entity (so a late REST page cannot revive it). */
export type StoreState = Readonly<Record<string, Readonly<Record<string, Entity | null>>>>;

export const EMPTY_STORE: StoreState = Object.freeze({});

export type StoreKey = `${string}/${string}`;
export const keyOf = (type: string, id: string): StoreKey => `${type}/${id}`;

const newer = (a: string | null | undefined, b: string | null | undefined) => !b || (!!a && a >= b);

function put(state: StoreState, type: string, id: string, value: Entity | null): StoreState {
  const table = state[type] ?? {};
  if (table[id] === value) return state;
  return { ...state, [type]: { ...table, [id]: value } };
}

/**
 * REST rows into the store. A row replaces what the store has unless the store's copy is
 * newer (`updated_at`), which happens when a change event overtook the REST response.
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
    if (have && !newer(row.updated_at, have.updated_at)) continue;
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
 *   subject's type (`{ alert: {…} }`) → upsert;
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
    if (have && have.updated_at && whole.updated_at && whole.updated_at < have.updated_at)
      return { state, changed: [] };
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
