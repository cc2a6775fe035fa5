import { IDBFactory } from 'fake-indexeddb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  ActionQueue,
  IndexedDbStorage,
  MemoryStorage,
  RejectedError,
  type QueueEntry,
  type QueueEvent,
  type QueueStorage,
} from '../../src/runbook/queue.ts';

// runbooks.md: "A network drop does not lose a tick: the browser queues it and sends it when
// back online." The queue keeps actions in IndexedDB and sends them one at a time, in order.

const tick = (itemId: string) => ({ kind: 'tick' as const, executionId: 'run_1', itemId, body: {} });

function harness(storage: QueueStorage, opts: { online?: () => boolean } = {}) {
  const sent: QueueEntry[] = [];
  let fail: ((e: QueueEntry) => Error | null) | null = null;
  const events: QueueEvent[] = [];
  const queue = new ActionQueue({
    storage,
    send: async (entry) => {
      const err = fail?.(entry);
      if (err) throw err;
      sent.push(entry);
      return { ok: entry.seq };
    },
    ...(opts.online ? { isOnline: opts.online } : {}),
    retryDelays: [60_000],
  });
  queue.onEvent((e) => events.push(e));
  return { queue, sent, events, failWith: (f: typeof fail) => (fail = f) };
}

afterEach(() => vi.useRealTimers());

describe('ActionQueue', () => {
  it('sends actions one at a time in the order they were made, each with its own action id and time', async () => {
    const h = harness(new MemoryStorage());
    await Promise.all([h.queue.enqueue(tick('a')), h.queue.enqueue(tick('b')), h.queue.enqueue(tick('c'))]);
    await h.queue.flush();
    expect(h.sent.map((e) => (e.action as { itemId: string }).itemId)).toEqual(['a', 'b', 'c']);
    expect(new Set(h.sent.map((e) => e.action_id)).size).toBe(3);
    expect(h.sent.every((e) => /^a[0-9a-f]{32}$/.test(e.action_id) && !Number.isNaN(Date.parse(e.created_at)))).toBe(
      true,
    );
    expect(h.queue.getSnapshot().entries).toEqual([]);
    expect(h.events.map((e) => e.type)).toEqual(['sent', 'sent', 'sent']);
  });

  it('offline: keeps everything, sends nothing, and drains in order once online', async () => {
    let online = false;
    const h = harness(new MemoryStorage(), { online: () => online });
    for (const id of ['x', 'y', 'z']) await h.queue.enqueue(tick(id));
    await h.queue.flush();
    expect(h.sent).toEqual([]);
    expect(h.queue.getSnapshot().entries.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(h.queue.getSnapshot().waiting).toContain('offline');
    online = true;
    await h.queue.flush();
    expect(h.sent.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(h.queue.getSnapshot().waiting).toBeNull();
    h.queue.close();
  });

  it('a network failure stops the queue at that entry (nothing after it overtakes it); the retry resumes there', async () => {
    const h = harness(new MemoryStorage());
    h.failWith((e) => (e.seq === 2 ? new TypeError('Failed to fetch') : null));
    for (const id of ['a', 'b', 'c']) await h.queue.enqueue(tick(id));
    await h.queue.flush();
    expect(h.sent.map((e) => e.seq)).toEqual([1]);
    const left = h.queue.getSnapshot().entries;
    expect(left.map((e) => [e.seq, e.attempts, e.last_error])).toEqual([
      [2, expect.any(Number), 'Failed to fetch'],
      [3, 0, null],
    ]);
    h.failWith(null);
    await h.queue.flush();
    expect(h.sent.map((e) => e.seq)).toEqual([1, 2, 3]);
    h.queue.close();
  });

  it('an action the API refuses (4xx) is dropped and reported; the next ones still go', async () => {
    const h = harness(new MemoryStorage());
    h.failWith((e) =>
      e.seq === 1 ? new RejectedError('item was changed by bob', 409, { current: { by: 'bob' } }) : null,
    );
    await h.queue.enqueue(tick('a'));
    await h.queue.enqueue(tick('b'));
    await h.queue.flush();
    expect(h.sent.map((e) => e.seq)).toEqual([2]);
    const rejected = h.events.find((e) => e.type === 'rejected') as Extract<QueueEvent, { type: 'rejected' }>;
    expect(rejected.entry.seq).toBe(1);
    expect(rejected.error).toMatchObject({ status: 409, body: { current: { by: 'bob' } } });
    expect(h.queue.getSnapshot().entries).toEqual([]);
  });

  it('IndexedDB: queued actions survive a reload (a new queue on the same database) and keep their order', async () => {
    const factory = new IDBFactory();
    const first = harness(new IndexedDbStorage(factory, 'fb-test'), { online: () => false });
    for (const id of ['one', 'two', 'three']) await first.queue.enqueue(tick(id));
    await first.queue.flush();
    first.queue.close();
    expect(first.sent).toEqual([]);

    const second = harness(new IndexedDbStorage(factory, 'fb-test'));
    await second.queue.ready();
    expect(second.queue.getSnapshot().entries.map((e) => (e.action as { itemId: string }).itemId)).toEqual([
      'one',
      'two',
      'three',
    ]);
    await second.queue.flush();
    expect(second.sent.map((e) => (e.action as { itemId: string }).itemId)).toEqual(['one', 'two', 'three']);
    // The ids survive too: a resend after a reload is recognised by the API.
    expect(second.sent.map((e) => e.action_id)).toEqual(first.queue.getSnapshot().entries.map((e) => e.action_id));
    expect(await new IndexedDbStorage(factory, 'fb-test').all()).toEqual([]);
  });

  it('retries by itself after the delay', async () => {
    vi.useFakeTimers();
    const h = harness(new MemoryStorage());
    let down = true;
    h.failWith(() => (down ? new TypeError('Failed to fetch') : null));
    await h.queue.enqueue(tick('a'));
    await vi.waitFor(() => expect(h.queue.getSnapshot().waiting).toBe('Failed to fetch'));
    down = false;
    await vi.advanceTimersByTimeAsync(60_000);
    await vi.waitFor(() => expect(h.sent).toHaveLength(1));
    h.queue.close();
  });

  it('flushes are serialised: two concurrent flushes send each entry once', async () => {
    const h = harness(new MemoryStorage(), { online: () => false });
    for (const id of ['a', 'b']) await h.queue.enqueue(tick(id));
    h.queue.close();
    const h2 = new ActionQueue({
      storage: (h.queue as unknown as { options: { storage: QueueStorage } }).options.storage,
      send: async (e) => h.sent.push(e),
      retryDelays: [60_000],
    });
    await Promise.all([h2.flush(), h2.flush(), h2.flush()]);
    expect(h.sent.map((e) => e.seq)).toEqual([1, 2]);
    h2.close();
  });
});
