// The page's one action queue, and how a queued action becomes an API call through the data
// client. A 4xx answer is a refusal (reported, not retried); no network, 5xx, 401 (sign in
// again), 408 and 429 keep the action queued.
import { ApiRequestError, type DataClient } from '../data/client.ts';
import {
  ActionQueue,
  IndexedDbStorage,
  MemoryStorage,
  RejectedError,
  type NewEntry,
  type QueueEntry,
  type QueueStorage,
} from './queue.ts';

const RETRYABLE = new Set([401, 408, 429]);

export async function sendEntry(client: DataClient, entry: QueueEntry): Promise<unknown> {
  const a = entry.action;
  const meta = { action_id: entry.action_id, client_at: entry.created_at };
  const base = `/runbook-executions/${encodeURIComponent(a.executionId)}`;
  try {
    switch (a.kind) {
      case 'tick':
      case 'untick':
      case 'value':
      case 'note':
      case 'link':
        return await client.request('POST', `${base}/items/${encodeURIComponent(a.itemId)}/${a.kind}`, {
          ...a.body,
          ...meta,
        });
      case 'evidence': {
        const form = new FormData();
        form.append('file', a.file, a.filename);
        const q = new URLSearchParams({ kind: a.evidenceKind, ...meta });
        if (a.ifVersion !== undefined) q.set('if_version', String(a.ifVersion));
        return await client.upload(`${base}/items/${encodeURIComponent(a.itemId)}/evidence?${q.toString()}`, form);
      }
      case 'sign-off':
        return await client.request('POST', `${base}/gates/${encodeURIComponent(a.gateId)}/sign-off`, {
          ...a.body,
          ...meta,
        });
      case 'finish':
      case 'abandon':
        return await client.request('POST', `${base}/${a.kind}`, { ...a.body, ...meta });
    }
  } catch (err) {
    if (err instanceof ApiRequestError && err.status >= 400 && err.status < 500 && !RETRYABLE.has(err.status))
      throw new RejectedError(err.message, err.status, err.body);
    throw err;
  }
}

/** IndexedDB when it opens; memory otherwise (some private modes refuse IndexedDB). */
class SafeStorage implements QueueStorage {
  private inner: Promise<QueueStorage>;
  constructor() {
    this.inner = (async () => {
      if (typeof indexedDB === 'undefined') return new MemoryStorage();
      const idb = new IndexedDbStorage();
      try {
        await idb.all();
        return idb;
      } catch {
        return new MemoryStorage();
      }
    })();
  }
  async add(entry: NewEntry) {
    return (await this.inner).add(entry);
  }
  async all() {
    return (await this.inner).all();
  }
  async put(entry: QueueEntry) {
    return (await this.inner).put(entry);
  }
  async remove(seq: number) {
    return (await this.inner).remove(seq);
  }
}

const queues = new WeakMap<DataClient, ActionQueue>();

/** One queue per data client (per page); flushes when the browser comes back online. */
export function runbookQueue(client: DataClient): ActionQueue {
  let queue = queues.get(client);
  if (queue) return queue;
  const locks = typeof navigator !== 'undefined' ? (navigator as Navigator & { locks?: LockManager }).locks : undefined;
  const q = new ActionQueue({
    storage: new SafeStorage(),
    send: (entry) => sendEntry(client, entry),
    isOnline: () => typeof navigator === 'undefined' || navigator.onLine !== false,
    ...(locks ? { lock: <T>(fn: () => Promise<T>) => locks.request('fleetbook-runbook-queue', fn) as Promise<T> } : {}),
  });
  queue = q;
  queues.set(client, q);
  if (typeof window !== 'undefined') window.addEventListener('online', () => void q.flush());
  // Entries left by an earlier visit (the tab was closed while offline) go out now.
  void q.ready().then(() => q.flush());
  return q;
}
