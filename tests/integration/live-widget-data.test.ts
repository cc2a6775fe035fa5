import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { workItemPageSchema, type WorkItem } from '../../data-api/src/contracts/work-items.ts';
import { createToken } from '../../data-api/src/kernel/auth/service.ts';
import { DataClient } from '../../src/data/client.ts';
import type { LiveConnection, LiveConnectionOptions, RefusedMessage } from '../../src/data/live.ts';
import { pageConnection } from '../helpers/live-page.ts';
import { pollPath } from '../../src/data/poll.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { startProxy } from './automation-runs-fixtures.ts';

// widgets.md: a widget paints from a REST read, then follows the SSE stream; it must not miss
// a change and stay stale (CI: the viewer's work board never showed a ticket opened through
// the API). The browser data layer (src/data) runs here in Node against the real API: the
// shared live connection, and the read loop of useLiveResource, driven the way the WorkBoard
// drives them (re-read on `work_item.created`, on resync).
describe('live widget data against the real API', () => {
  let t: TestApp;
  let base: string;
  let viewer: string;
  let admin: string;
  const cleanups: Array<() => unknown> = [];

  beforeAll(async () => {
    t = await createTestApp();
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    viewer = (await createToken(t.ctx.db, { name: 'viewer', role: 'viewer' })).token;
    admin = (await createToken(t.ctx.db, { name: 'admin', role: 'admin' })).token;
  });
  /** Stream messages the page's connection refused: the API's own events must all parse (contracts/change-events.ts). */
  const refused: RefusedMessage[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
    expect(refused.splice(0)).toEqual([]);
  });
  afterAll(async () => t?.close());

  const openTicket = async (title: string): Promise<string> => {
    const res = await fetch(`${base}/api/v1/work-items`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'ticket', title }),
    });
    expect(res.status).toBe(201);
    return ((await res.json()) as WorkItem).id;
  };

  /**
   * The page's connection, as DataClient builds it; `fetch` lets a test hold the stream back,
   * `streamBase` send it elsewhere.
   */
  const connection = (
    fetchFn: typeof fetch = fetch,
    more: Partial<LiveConnectionOptions> & { streamBase?: string } = {},
  ) => {
    const { streamBase = base, ...options } = more;
    const conn = pageConnection(streamBase, viewer, { fetch: fetchFn, onRefused: (r) => refused.push(r), ...options });
    cleanups.push(() => conn.close());
    return conn;
  };

  /**
   * The WorkBoard's data, as useLiveResource runs it: the read starts, then the topics are
   * subscribed (effect order); a `work_item.created` event or a resync starts the read again.
   */
  const board = (client: DataClient, conn: LiveConnection) => {
    const shown = { ids: null as string[] | null, errors: 0, reads: 0 };
    let stopRead = () => {};
    const read = () => {
      stopRead();
      shown.reads++;
      stopRead = pollPath(client, '/work-items?limit=500', workItemPageSchema, () => 0, {
        data: (page) => void (shown.ids = page.items.map((i) => i.id)),
        error: () => void shown.errors++,
      });
    };
    read();
    const release = conn.subscribe({
      topics: ['work_item'],
      onChange: (e) => e.type === 'work_item.created' && read(),
      onResync: read,
    });
    cleanups.push(() => {
      release();
      stopRead();
    });
    return shown;
  };

  it('a change committed after the first read, before the stream is live, reaches the board (resync)', async () => {
    // The stream answers only once the ticket is committed: the order a slow page or a busy
    // API produces, made certain here.
    let open!: () => void;
    const held = new Promise<void>((resolve) => (open = resolve));
    const conn = connection(async (url, init) => {
      await held;
      return fetch(url, init);
    });
    const client = new DataClient({ baseUrl: base, token: () => viewer });
    const shown = board(client, conn);
    await expect.poll(() => shown.ids).toEqual([]);
    const id = await openTicket('Committed between the read and the stream');
    open();
    await expect.poll(() => conn.getState().status).toBe('online');
    // A fresh stream starts after the server's newest event: the ticket is not on it. Only a
    // re-read when the topics went live can show it.
    await expect.poll(() => shown.ids, { timeout: 5_000 }).toEqual([id]);
    expect(shown.reads).toBe(2);
  });

  it('a board that joins an open stream carrying its topics is live at once: no second read', async () => {
    const conn = connection();
    const client = new DataClient({ baseUrl: base, token: () => viewer });
    const first = board(client, conn);
    await expect.poll(() => conn.getState().status).toBe('online');
    await expect.poll(() => first.ids).not.toBeNull();
    const second = board(client, conn);
    await expect.poll(() => second.ids).not.toBeNull();
    const id = await openTicket('Seen live by both boards');
    await expect.poll(() => second.ids, { timeout: 5_000 }).toContain(id);
    // One read at mount, one for the created event: nothing for becoming live.
    expect(second.reads).toBe(2);
  });

  it('a re-read that fails while the API is unreachable is retried until it answers, with no further event', async () => {
    // The stream goes straight to the API; the board's reads go through a proxy the test cuts.
    const apiPort = Number(new URL(base).port);
    const proxy = await startProxy(apiPort);
    cleanups.push(() => proxy.down());
    const conn = connection();
    const client = new DataClient({ baseUrl: proxy.url(), token: () => viewer });
    const shown = board(client, conn);
    await expect.poll(() => conn.getState().status).toBe('online');
    await expect.poll(() => shown.ids).not.toBeNull();
    const before = shown.ids!;
    const reads = shown.reads;

    await proxy.down();
    const id = await openTicket('Opened while the board cannot read');
    // The event arrives; its re-read fails: the board keeps what it had (useLiveResource shows it as stale).
    await expect.poll(() => shown.errors, { timeout: 5_000 }).toBeGreaterThan(0);
    expect(shown.ids).toEqual(before);
    await proxy.up();
    // Nothing else happens on the stream: the failed read must come back by itself.
    await expect.poll(() => shown.ids, { timeout: 5_000 }).toContain(id);
    expect(shown.reads).toBe(reads + 1);
  });

  it('a stream request that is accepted and never answered is given up and retried: the board goes live', async () => {
    // A proxy in front of the API that takes the first stream request and says nothing (no
    // headers, ever); the ones after it pass through.
    const apiPort = Number(new URL(base).port);
    let requests = 0;
    let heldClosed = false;
    const gate = http.createServer((req, res) => {
      if (requests++ === 0) {
        res.on('close', () => (heldClosed = true));
        return;
      }
      const up = http.request(
        { host: '127.0.0.1', port: apiPort, path: req.url, method: req.method, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      up.on('error', () => res.destroy());
      res.on('close', () => up.destroy());
      req.pipe(up);
    });
    await new Promise<void>((resolve) => gate.listen(0, '127.0.0.1', resolve));
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          gate.closeAllConnections();
          gate.close(() => resolve());
        }),
    );
    const conn = connection(fetch, {
      streamBase: `http://127.0.0.1:${(gate.address() as AddressInfo).port}`,
      idleTimeoutMs: 400,
      backoff: { baseMs: 50, jitter: 0 },
    });
    const errors: Array<string | null> = [];
    conn.onState((s) => errors.push(s.error));
    const client = new DataClient({ baseUrl: base, token: () => viewer });
    const shown = board(client, conn);
    await expect.poll(() => conn.getState().status, { timeout: 5_000 }).toBe('online');
    expect(errors.some((e) => /did not answer the stream request/.test(e ?? ''))).toBe(true);
    expect(requests).toBe(2);
    await expect.poll(() => heldClosed).toBe(true); // the stalled request was given up, not left open
    // Live through the second request: a ticket opened now reaches the board.
    await expect.poll(() => shown.ids).not.toBeNull();
    const id = await openTicket('Seen after a stalled stream request');
    await expect.poll(() => shown.ids, { timeout: 5_000 }).toContain(id);
  });
});
