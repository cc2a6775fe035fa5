// The shared live connection (widgets.md: one SSE connection per page, reconnect with
// backoff and Last-Event-ID, offline state, recovery) against a scripted fetch: no DOM,
// no server. Each "server" is a ReadableStream the test writes SSE text into.
import { afterEach, describe, expect, it } from 'vitest';
import { contractDevice } from '../helpers/contract-fixtures.ts';
import { LiveConnection } from '../../src/data/live.ts';
import { EntityStore } from '../../src/data/store.ts';

interface Call {
  url: string;
  headers: Record<string, string>;
  write(text: string): void;
  end(): void;
  aborted: boolean;
}

/** 'hang': the request is accepted and never answered (no headers), until it is aborted. */
function scriptedFetch(answer: (n: number) => 'stream' | 'refuse' | 'hang' = () => 'stream') {
  const calls: Call[] = [];
  const fn = (async (url: string, init: RequestInit) => {
    const n = calls.length;
    const enc = new TextEncoder();
    let ctrl!: ReadableStreamDefaultController<Uint8Array>;
    const body = new ReadableStream<Uint8Array>({ start: (c) => void (ctrl = c) });
    const call: Call = {
      url,
      headers: init.headers as Record<string, string>,
      write: (t) => ctrl.enqueue(enc.encode(t)),
      end: () => ctrl.close(),
      aborted: false,
    };
    init.signal?.addEventListener('abort', () => {
      call.aborted = true;
      try {
        ctrl.error(new DOMException('aborted', 'AbortError'));
      } catch {
        /* closed */
      }
    });
    calls.push(call);
    const how = answer(n);
    if (how === 'refuse') throw new TypeError('fetch failed');
    if (how === 'hang') {
      return new Promise<Response>((_resolve, reject) => {
        if (init.signal?.aborted) reject(new DOMException('aborted', 'AbortError'));
        init.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
      });
    }
    return new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } });
  }) as unknown as typeof fetch;
  return { fn, calls };
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(check: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await wait(5);
  }
}

const url = (topics: readonly string[], last: number | null) =>
  `/stream?topics=${topics.join(',')}${last !== null ? `&last_event_id=${last}` : ''}`;
const changeEvent = (
  id: number,
  type: string,
  subject: { type: string; id: string },
  payload: Record<string, unknown>,
) =>
  `id: ${id}\nevent: change\ndata: ${JSON.stringify({ id, at: new Date().toISOString(), type, subject, site_id: null, payload })}\n\n`;

let conn: LiveConnection | null = null;
afterEach(() => conn?.close());

describe('live connection', () => {
  it('opens ONE stream for the union of every subscriber’s topics, after they settle', async () => {
    const f = scriptedFetch();
    conn = new LiveConnection({ url, fetch: f.fn, settleMs: 10 });
    conn.subscribe({ topics: ['device'] });
    conn.subscribe({ topics: ['alert', 'device:dev_a'] });
    await until(() => f.calls.length === 1);
    await wait(30);
    expect(f.calls).toHaveLength(1);
    expect(f.calls[0]!.url).toBe('/stream?topics=alert,device');
  });

  it('goes online on `ready`, dispatches change events to matching subscribers and the store', async () => {
    const f = scriptedFetch();
    const store = new EntityStore();
    store.seed('device', [{ id: 'dev_a', name: 'a', updated_at: '2026-01-01T00:00:00.000Z' }]);
    conn = new LiveConnection({ url, fetch: f.fn, settleMs: 0, store });
    const seen: string[] = [];
    conn.subscribe({ topics: ['device:dev_a'], onChange: (e) => seen.push(`a:${e.type}`) });
    conn.subscribe({ topics: ['alert'], onChange: (e) => seen.push(`alert:${e.type}`) });
    await until(() => f.calls.length === 1);
    f.calls[0]!.write('retry: 2000\n\nevent: ready\ndata: {"last_event_id":41}\n\n');
    await until(() => conn!.getState().status === 'online');
    expect(conn.getState().lastEventId).toBe(41);
    // device.updated carries the Device as the registry's contract has it (contracts/change-events.ts).
    f.calls[0]!.write(
      changeEvent(
        42,
        'device.updated',
        { type: 'device', id: 'dev_a' },
        contractDevice('dev_a', { name: 'renamed', updated_at: '2026-01-02T00:00:00.000Z' }),
      ),
    );
    f.calls[0]!.write(
      changeEvent(43, 'device.updated', { type: 'device', id: 'dev_b' }, contractDevice('dev_b', { name: 'b' })),
    );
    await until(() => conn!.getState().lastEventId === 43);
    expect(seen).toEqual(['a:device.updated']);
    expect(store.get('device', 'dev_a')!.name).toBe('renamed');
  });

  it('reconnects with the new union and last_event_id when the topics change', async () => {
    const f = scriptedFetch();
    conn = new LiveConnection({ url, fetch: f.fn, settleMs: 0 });
    const release = conn.subscribe({ topics: ['device'] });
    await until(() => f.calls.length === 1);
    f.calls[0]!.write('event: ready\ndata: {"last_event_id":7}\n\n');
    await until(() => conn!.getState().status === 'online');
    conn.subscribe({ topics: ['alert'] });
    await until(() => f.calls.length === 2);
    expect(f.calls[0]!.aborted).toBe(true);
    expect(f.calls[1]!.url).toBe('/stream?topics=alert,device&last_event_id=7');
    expect(f.calls[1]!.headers['last-event-id']).toBe('7');
    release();
    await until(() => f.calls.length === 3);
    expect(f.calls[2]!.url).toBe('/stream?topics=alert&last_event_id=7');
    expect(conn.getState().status).not.toBe('offline'); // a deliberate reconnect is not an outage
  });

  it('marks the page offline when the stream drops, retries with backoff, and recovers with a new epoch', async () => {
    // 1st: connects then drops; 2nd: refused; 3rd: connects.
    const f = scriptedFetch((n) => (n === 1 ? 'refuse' : 'stream'));
    conn = new LiveConnection({ url, fetch: f.fn, settleMs: 0, backoff: { baseMs: 20, maxMs: 40, jitter: 0 } });
    conn.subscribe({ topics: ['device'] });
    await until(() => f.calls.length === 1);
    f.calls[0]!.write('event: ready\ndata: {"last_event_id":5}\n\n');
    await until(() => conn!.getState().status === 'online');
    const epoch = conn.getState().epoch;
    f.calls[0]!.end();
    await until(() => conn!.getState().status === 'offline');
    const since = conn.getState().offlineSince;
    expect(since).toBeInstanceOf(Date);
    await until(() => f.calls.length === 3, 3000);
    expect(conn.getState().offlineSince).toBe(since); // still offline since the first drop
    expect(f.calls[2]!.url).toBe('/stream?topics=device&last_event_id=5');
    f.calls[2]!.write('event: ready\ndata: {"last_event_id":5}\n\n');
    await until(() => conn!.getState().status === 'online');
    expect(conn.getState()).toMatchObject({ offlineSince: null, error: null, epoch: epoch + 1 });
  });

  it('treats `event: reset` as "re-fetch by REST" (a new epoch) and delivers telemetry to its device’s subscribers', async () => {
    const f = scriptedFetch();
    conn = new LiveConnection({ url, fetch: f.fn, settleMs: 0 });
    const samples: number[] = [];
    conn.subscribe({ topics: ['device:gw_1'], onTelemetry: (s) => samples.push(s.metrics.t!) });
    await until(() => f.calls.length === 1);
    f.calls[0]!.write(
      'event: reset\ndata: {"reason":"outside the window"}\n\nevent: ready\ndata: {"last_event_id":9}\n\n',
    );
    await until(() => conn!.getState().status === 'online');
    expect(conn.getState().epoch).toBe(1);
    f.calls[0]!.write(
      `event: telemetry\ndata: ${JSON.stringify({ device_id: 'gw_1', site_id: 's', ts: 1, metrics: { t: 1 } })}\n\n`,
    );
    f.calls[0]!.write(
      `event: telemetry\ndata: ${JSON.stringify({ device_id: 'gw_2', site_id: 's', ts: 1, metrics: { t: 2 } })}\n\n`,
    );
    await until(() => samples.length >= 1);
    await wait(20);
    expect(samples).toEqual([1]);
  });

  it('tells a subscriber to re-read once when its topics go live on a fresh stream (it may have missed a change)', async () => {
    const f = scriptedFetch();
    conn = new LiveConnection({ url, fetch: f.fn, settleMs: 0 });
    const resyncs = { early: 0, late: 0 };
    conn.subscribe({ topics: ['work_item'], onResync: () => resyncs.early++ });
    await until(() => f.calls.length === 1);
    expect(f.calls[0]!.url).toBe('/stream?topics=work_item'); // fresh: it starts at the server's newest event
    f.calls[0]!.write('event: ready\ndata: {"last_event_id":30}\n\n');
    await until(() => conn!.getState().status === 'online');
    expect(resyncs.early).toBe(1);
    // Joining a ready stream that already carries the topics: live from now on, nothing missed.
    conn.subscribe({ topics: ['work_item'], onResync: () => resyncs.late++ });
    f.calls[0]!.write('event: ready\ndata: {"last_event_id":30}\n\n');
    await wait(20);
    expect(resyncs).toEqual({ early: 1, late: 0 });
    expect(f.calls).toHaveLength(1);
  });

  it('needs no re-read when the stream for new topics replays from the cursor the subscriber read after', async () => {
    const f = scriptedFetch();
    conn = new LiveConnection({ url, fetch: f.fn, settleMs: 0 });
    let resyncs = 0;
    conn.subscribe({ topics: ['customer'] });
    await until(() => f.calls.length === 1);
    f.calls[0]!.write('event: ready\ndata: {"last_event_id":10}\n\n');
    await until(() => conn!.getState().status === 'online');
    conn.subscribe({ topics: ['work_item'], onResync: () => resyncs++ });
    await until(() => f.calls.length === 2);
    expect(f.calls[1]!.url).toBe('/stream?topics=customer,work_item&last_event_id=10');
    f.calls[1]!.write('event: ready\ndata: {"last_event_id":10}\n\n');
    await until(() => conn!.getState().status === 'online');
    await wait(20);
    expect(resyncs).toBe(0);
  });

  it('re-reads when the cursor moved on (other topics) before the stream carried the new ones, or after a reset', async () => {
    const f = scriptedFetch();
    conn = new LiveConnection({ url, fetch: f.fn, settleMs: 150 });
    const resyncs = { customer: 0, work: 0, alert: 0 };
    conn.subscribe({ topics: ['customer'], onResync: () => resyncs.customer++ });
    await until(() => f.calls.length === 1, 3000);
    f.calls[0]!.write('event: ready\ndata: {"last_event_id":10}\n\n');
    await until(() => conn!.getState().status === 'online');
    expect(resyncs.customer).toBe(1); // the first stream was fresh
    // The board subscribes (and reads) at 10; event 11 (a work item) is not on this stream;
    // 12 (a customer) is, and moves the cursor on before the reconnect: a replay after 12
    // skips 11.
    conn.subscribe({ topics: ['work_item'], onResync: () => resyncs.work++ });
    f.calls[0]!.write(changeEvent(12, 'customer.updated', { type: 'customer', id: 'cus_a' }, { name: 'A' }));
    await until(() => conn!.getState().lastEventId === 12);
    await until(() => f.calls.length === 2, 3000);
    expect(f.calls[1]!.url).toBe('/stream?topics=customer,work_item&last_event_id=12');
    f.calls[1]!.write('event: ready\ndata: {"last_event_id":12}\n\n');
    await until(() => resyncs.work === 1);
    expect(resyncs.customer).toBe(1); // carried all along: everything after 12 is replayed
    // A reset stream skipped events: a subscriber that goes live on it re-reads.
    conn.subscribe({ topics: ['alert'], onResync: () => resyncs.alert++ });
    await until(() => f.calls.length === 3, 3000);
    f.calls[2]!.write(
      'event: reset\ndata: {"reason":"outside the window"}\n\nevent: ready\ndata: {"last_event_id":40}\n\n',
    );
    await until(() => resyncs.alert === 1);
    expect(resyncs).toEqual({ customer: 1, work: 1, alert: 1 });
  });

  it('judges a subscriber that subscribes after its read by the cursor taken as the read began (`since`)', async () => {
    const f = scriptedFetch();
    conn = new LiveConnection({ url, fetch: f.fn, settleMs: 0 });
    const resyncs = { quiet: 0, passed: 0, replayed: 0 };
    conn.subscribe({ topics: ['surface:x'] }); // the same surface, already live on the page
    await until(() => f.calls.length === 1);
    f.calls[0]!.write('event: ready\ndata: {"last_event_id":10}\n\n');
    await until(() => conn!.getState().status === 'online');
    // Read at 10, nothing since: live at once on the open stream, no second read.
    const quiet = conn.cursor();
    conn.subscribe({ topics: ['surface:x'], since: quiet, onResync: () => resyncs.quiet++ });
    // Read at 10; event 11 passes by before the answer is in: it re-reads once.
    const passed = conn.cursor();
    f.calls[0]!.write(changeEvent(11, 'surface.updated', { type: 'surface', id: 'x' }, { kind: 'data' }));
    await until(() => conn!.getState().lastEventId === 11);
    conn.subscribe({ topics: ['surface:x'], since: passed, onResync: () => resyncs.passed++ });
    await wait(20);
    expect(resyncs).toEqual({ quiet: 0, passed: 1, replayed: 0 });
    // Read at 11 on this stream; the stream is replaced (new topics) and replays from 11 with
    // nothing new: the answer joins a stream that has everything after the read.
    const replayed = conn.cursor();
    conn.subscribe({ topics: ['alert'] });
    await until(() => f.calls.length === 2);
    expect(f.calls[1]!.url).toBe('/stream?topics=alert,surface:x&last_event_id=11');
    f.calls[1]!.write('event: ready\ndata: {"last_event_id":11}\n\n');
    await until(() => conn!.getState().status === 'online');
    conn.subscribe({ topics: ['surface:x'], since: replayed, onResync: () => resyncs.replayed++ });
    await wait(20);
    expect(resyncs).toEqual({ quiet: 0, passed: 1, replayed: 0 });
    expect(f.calls).toHaveLength(2);
  });

  it('reconnects when the keepalives stop (a half-open connection)', async () => {
    const f = scriptedFetch();
    conn = new LiveConnection({ url, fetch: f.fn, settleMs: 0, idleTimeoutMs: 50, backoff: { baseMs: 10, jitter: 0 } });
    conn.subscribe({ topics: ['device'] });
    await until(() => f.calls.length === 1);
    f.calls[0]!.write('event: ready\ndata: {"last_event_id":1}\n\n');
    await until(() => f.calls.length === 2, 2000);
    expect(f.calls[0]!.aborted).toBe(true);
    expect(conn.getState().error).toMatch(/keepalive/);
  });

  it('gives up on a stream request that is never answered, goes offline and retries with backoff', async () => {
    // A proxy (or a stuck API) that accepts the request and never sends the headers: without
    // a bound the page would say 'connecting' for ever. 1st and 2nd hang; 3rd answers.
    const f = scriptedFetch((n) => (n < 2 ? 'hang' : 'stream'));
    conn = new LiveConnection({ url, fetch: f.fn, settleMs: 0, idleTimeoutMs: 50, backoff: { baseMs: 10, jitter: 0 } });
    const states: string[] = [];
    conn.onState((s) => states.push(s.status));
    conn.subscribe({ topics: ['device'] });
    await until(() => f.calls.length === 1);
    await until(() => conn!.getState().status === 'offline');
    expect(f.calls[0]!.aborted).toBe(true);
    expect(conn.getState().error).toMatch(/did not answer/);
    const since = conn.getState().offlineSince;
    expect(since).toBeInstanceOf(Date);
    await until(() => f.calls.length === 3);
    expect(f.calls[1]!.aborted).toBe(true);
    expect(conn.getState().offlineSince).toBe(since); // one outage, not one per attempt
    f.calls[2]!.write('event: ready\ndata: {"last_event_id":3}\n\n');
    await until(() => conn!.getState().status === 'online');
    expect(conn.getState()).toMatchObject({ offlineSince: null, error: null, epoch: 1 });
    expect(states).toEqual(['connecting', 'offline', 'online']);
  });
});
