// The offline queue (runbooks.md: "A network drop does not lose a tick: the browser queues it
// and sends it when back online"). Every runner action goes through it, online or not, so the
// order of actions is one order: the order they were made in. Entries live in IndexedDB (they
// survive a reload or a closed tab) and are sent one at a time, oldest first:
// - sent → removed;
// - refused by the API (a 4xx: conflict, validation, forbidden…) → removed and reported, so the
//   UI can show why (the next entries still go: they are separate decisions);
// - no network, or the API down (5xx, 408, 429) → kept, and the whole queue waits (retry with
//   backoff, and at once when the browser says it is online again).
// Each entry carries an `action_id`: the API applies a resent action once.
// No React and no DOM beyond `indexedDB` (optional): unit-tested with fake-indexeddb.

import type * as z from 'zod';
import type {
  abandonSchema,
  finishSchema,
  linkSchema,
  noteSchema,
  signOffRequestSchema,
  tickSchema,
  untickSchema,
  valueSchema,
} from '../../data-api/src/contracts/executions.ts';

/** The bodies of the actions, as their contracts take them (action_id and client_at are added when sent). */
interface ItemBodies {
  tick: z.input<typeof tickSchema>;
  untick: z.input<typeof untickSchema>;
  value: z.input<typeof valueSchema>;
  note: z.input<typeof noteSchema>;
  link: z.input<typeof linkSchema>;
}
type ItemAction = {
  [K in keyof ItemBodies]: { kind: K; executionId: string; itemId: string; body: ItemBodies[K] };
}[keyof ItemBodies];

export type QueuedAction =
  | ItemAction
  | {
      kind: 'evidence';
      executionId: string;
      itemId: string;
      file: Blob;
      filename: string;
      evidenceKind: 'photo' | 'file';
      ifVersion?: number;
    }
  | { kind: 'sign-off'; executionId: string; gateId: string; body: z.input<typeof signOffRequestSchema> }
  | { kind: 'finish'; executionId: string; body: z.input<typeof finishSchema> }
  | { kind: 'abandon'; executionId: string; body: z.input<typeof abandonSchema> };

export interface QueueEntry {
  /** Order of the actions (IndexedDB auto-increment key). */
  seq: number;
  action_id: string;
  /** When the person did it (sent as `client_at`). */
  created_at: string;
  /** Who queued it (the token's principal name when known), shown beside pending items. */
  by: string | null;
  action: QueuedAction;
  attempts: number;
  last_error: string | null;
}

export type NewEntry = Omit<QueueEntry, 'seq'>;

export interface QueueStorage {
  add(entry: NewEntry): Promise<number>;
  /** Every entry, oldest first. */
  all(): Promise<QueueEntry[]>;
  put(entry: QueueEntry): Promise<void>;
  remove(seq: number): Promise<void>;
}

/** Thrown by a sender when the API answered and refused the action (do not retry). */
export class RejectedError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly body: unknown,
  ) {
    super(message);
    this.name = 'RejectedError';
  }
}

export type QueueEvent =
  | { type: 'sent'; entry: QueueEntry; result: unknown }
  | { type: 'rejected'; entry: QueueEntry; error: RejectedError }
  | { type: 'waiting'; entry: QueueEntry; error: string };

export interface QueueSnapshot {
  entries: QueueEntry[];
  /** Sending right now. */
  flushing: boolean;
  /** The last reason the queue is waiting (no network…), null when it is not. */
  waiting: string | null;
}

export interface ActionQueueOptions {
  storage: QueueStorage;
  send(entry: QueueEntry): Promise<unknown>;
  /** False when the browser knows it is offline: do not even try. */
  isOnline?(): boolean;
  /** Retry delays (ms) after a failed send; the last one repeats. */
  retryDelays?: number[];
  /** Serialise flushes across tabs (Web Locks) when available. */
  lock?<T>(fn: () => Promise<T>): Promise<T>;
  now?(): Date;
}

/** A url-safe random id that works outside secure contexts too (http://<laptop-ip> on a phone). */
export function newActionId(): string {
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  return `a${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

export class ActionQueue {
  private snapshot: QueueSnapshot = { entries: [], flushing: false, waiting: null };
  private readonly listeners = new Set<(s: QueueSnapshot) => void>();
  private readonly eventListeners = new Set<(e: QueueEvent) => void>();
  private running: Promise<void> | null = null;
  private again = false;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private failures = 0;
  private loaded: Promise<void>;

  constructor(private readonly options: ActionQueueOptions) {
    this.loaded = this.reload();
  }

  getSnapshot = (): QueueSnapshot => this.snapshot;

  subscribe = (listener: (s: QueueSnapshot) => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  onEvent(listener: (e: QueueEvent) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  /** Resolves when entries stored by an earlier page load are read. */
  ready(): Promise<void> {
    return this.loaded;
  }

  async enqueue(action: QueuedAction, by: string | null = null): Promise<QueueEntry> {
    await this.loaded;
    const entry: NewEntry = {
      action_id: newActionId(),
      created_at: (this.options.now?.() ?? new Date()).toISOString(),
      by,
      action,
      attempts: 0,
      last_error: null,
    };
    const seq = await this.options.storage.add(entry);
    const full = { ...entry, seq };
    this.set({ entries: [...this.snapshot.entries, full].sort((a, b) => a.seq - b.seq) });
    void this.flush();
    return full;
  }

  /** Sends what is queued, oldest first; resolves when the queue is empty or waiting. */
  flush(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    const lock = this.options.lock ?? ((fn) => fn());
    this.running = lock(() => this.drain()).finally(() => {
      this.running = null;
      if (this.again) {
        this.again = false;
        void this.flush();
      }
    });
    return this.running;
  }

  /** Drops one entry without sending it (the person decided against it). */
  async discard(seq: number): Promise<void> {
    await this.options.storage.remove(seq);
    this.set({ entries: this.snapshot.entries.filter((e) => e.seq !== seq) });
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private async reload(): Promise<void> {
    const entries = await this.options.storage.all();
    this.set({ entries });
  }

  private async drain(): Promise<void> {
    await this.loaded;
    // Another tab may have sent (and removed) entries: start from storage, not memory.
    await this.reload();
    this.set({ flushing: true });
    try {
      for (;;) {
        const entry = (await this.options.storage.all())[0];
        if (!entry) {
          this.failures = 0;
          this.set({ entries: [], waiting: null });
          return;
        }
        if (this.options.isOnline && !this.options.isOnline()) {
          this.wait(entry, 'offline: waiting for the network');
          return;
        }
        try {
          const result = await this.options.send(entry);
          await this.options.storage.remove(entry.seq);
          this.failures = 0;
          this.set({ entries: this.snapshot.entries.filter((e) => e.seq !== entry.seq), waiting: null });
          this.emit({ type: 'sent', entry, result });
        } catch (err) {
          if (err instanceof RejectedError) {
            await this.options.storage.remove(entry.seq);
            this.set({ entries: this.snapshot.entries.filter((e) => e.seq !== entry.seq) });
            this.emit({ type: 'rejected', entry, error: err });
            continue;
          }
          const message = err instanceof Error ? err.message : String(err);
          const updated = { ...entry, attempts: entry.attempts + 1, last_error: message };
          await this.options.storage.put(updated);
          this.set({ entries: this.snapshot.entries.map((e) => (e.seq === entry.seq ? updated : e)) });
          this.wait(updated, message);
          return;
        }
      }
    } finally {
      this.set({ flushing: false });
    }
  }

  private wait(entry: QueueEntry, reason: string): void {
    this.set({ waiting: reason });
    this.emit({ type: 'waiting', entry, error: reason });
    const delays = this.options.retryDelays ?? [1000, 2000, 5000, 10_000, 15_000];
    const delay = delays[Math.min(this.failures++, delays.length - 1)]!;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, delay);
  }

  private set(patch: Partial<QueueSnapshot>): void {
    this.snapshot = { ...this.snapshot, ...patch };
    for (const l of this.listeners) l(this.snapshot);
  }

  private emit(e: QueueEvent): void {
    for (const l of this.eventListeners) l(e);
  }
}

/* ------------------------------------------------------------------ storages */

const DB_NAME = 'fleetbook-runbooks';
const STORE = 'queue';

function req<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

/** IndexedDB: one object store, auto-increment key = the order of the actions. */
export class IndexedDbStorage implements QueueStorage {
  private db: Promise<IDBDatabase>;

  constructor(factory: IDBFactory = globalThis.indexedDB, name = DB_NAME) {
    this.db = new Promise((resolve, reject) => {
      const open = factory.open(name, 1);
      open.onupgradeneeded = () => {
        if (!open.result.objectStoreNames.contains(STORE))
          open.result.createObjectStore(STORE, { keyPath: 'seq', autoIncrement: true });
      };
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(open.error);
    });
  }

  private async store(mode: IDBTransactionMode): Promise<IDBObjectStore> {
    return (await this.db).transaction(STORE, mode).objectStore(STORE);
  }

  async add(entry: NewEntry): Promise<number> {
    return Number(await req((await this.store('readwrite')).add(entry)));
  }

  async all(): Promise<QueueEntry[]> {
    const rows = (await req((await this.store('readonly')).getAll())) as QueueEntry[];
    return rows.sort((a, b) => a.seq - b.seq);
  }

  async put(entry: QueueEntry): Promise<void> {
    await req((await this.store('readwrite')).put(entry));
  }

  async remove(seq: number): Promise<void> {
    await req((await this.store('readwrite')).delete(seq));
  }
}

/** Where IndexedDB is missing (old browsers, some private modes): kept for the page's life only. */
export class MemoryStorage implements QueueStorage {
  private rows: QueueEntry[] = [];
  private next = 1;

  async add(entry: NewEntry): Promise<number> {
    const seq = this.next++;
    this.rows.push({ ...entry, seq });
    return seq;
  }
  async all(): Promise<QueueEntry[]> {
    return [...this.rows].sort((a, b) => a.seq - b.seq);
  }
  async put(entry: QueueEntry): Promise<void> {
    this.rows = this.rows.map((r) => (r.seq === entry.seq ? entry : r));
  }
  async remove(seq: number): Promise<void> {
    this.rows = this.rows.filter((r) => r.seq !== seq);
  }
}
