import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  surfaceResponseSchema,
  type A2uiMessage,
  type SurfaceEventPayload,
} from '../../data-api/src/contracts/surfaces.ts';
import type { WorkItem } from '../../data-api/src/contracts/work-items.ts';
import { createToken } from '../../data-api/src/kernel/auth/service.ts';
import { DataClient } from '../../src/data/client.ts';
import type { LiveConnection, LiveCursor, RefusedMessage } from '../../src/data/live.ts';
import { pageConnection } from '../helpers/live-page.ts';
import { pollPath } from '../../src/data/poll.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';

// widgets.md: a surface is drawn from GET /surfaces/:name and kept live by `surface` events on
// the SSE stream. Its topics are in that answer, so they join the page's stream only after the
// read: a change committed in between must not be missed (the surface would stay stale until an
// unrelated change). The browser data layer (src/data) runs here in Node against the real API,
// driven the way LiveSurface (src/surface/index.tsx) drives it.
describe('live surface data against the real API', () => {
  let t: TestApp;
  let base: string;
  let viewer: string;
  let admin: string;
  let devices = 0;
  const cleanups: Array<() => unknown> = [];

  const call = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    const res = await fetch(`${base}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return res.json();
  };

  beforeAll(async () => {
    t = await createTestApp();
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    viewer = (await createToken(t.ctx.db, { name: 'viewer', role: 'viewer' })).token;
    admin = (await createToken(t.ctx.db, { name: 'admin', role: 'admin' })).token;
    await call('POST', '/customers', { id: 'cus_ls', name: 'Live Surface Farms' });
    await call('POST', '/sites', { id: 'site_ls1', customer_id: 'cus_ls', name: 'Live surface site' });
  });
  /** Stream messages the page's connection refused: the API's own events must all parse (contracts/change-events.ts). */
  const refused: RefusedMessage[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
    expect(refused.splice(0)).toEqual([]);
  });
  afterAll(async () => t?.close());

  /** A device.created event; the API then redraws fleet-overview (total + 1) and sends a `surface` event. */
  const addDevice = async () => {
    devices++;
    await call('POST', '/devices', {
      id: `dev_ls${devices}`,
      site_id: 'site_ls1',
      product_code: 'soil-probe',
      role: 'sensor',
      name: `live-surface-probe-${devices}`,
    });
  };
  /** The newest committed `surface.updated` event for fleet-overview (0: none). */
  const lastSurfaceEvent = async () =>
    (
      await t.ctx.db
        .selectFrom('change_events')
        .select((eb) => eb.fn.max('id').as('id'))
        .where('type', '=', 'surface.updated')
        .where('subject_id', '=', 'fleet-overview')
        .executeTakeFirst()
    )?.id ?? 0;

  const connection = () => {
    const conn = pageConnection(base, viewer, { onRefused: (r) => refused.push(r) });
    cleanups.push(() => conn.close());
    return conn;
  };

  const totalOf = (messages: readonly A2uiMessage[]): number | null => {
    for (const m of messages)
      if ('updateDataModel' in m) return (m.updateDataModel.value as { devices: { total: number } }).devices.total;
    return null;
  };

  /**
   * fleet-overview as LiveSurface shows it: useLiveResource reads it, taking the page's cursor
   * as the read starts; the topics in the answer are subscribed with that cursor (`since`) once
   * the answer is in (`answered`: held here, an answer reaching the page late); a `data` event
   * is applied, a `definition` event or a resync reads again.
   */
  const surface = (client: DataClient, conn: LiveConnection, answered: Promise<void> = Promise.resolve()) => {
    const shown = { total: null as number | null, reads: 0, live: false, errors: 0 };
    let since: LiveCursor | null = null;
    let release: (() => void) | null = null;
    let stopRead = () => {};
    const read = () => {
      stopRead();
      shown.reads++;
      const cursor = conn.cursor();
      stopRead = pollPath(client, '/surfaces/fleet-overview', surfaceResponseSchema, () => 0, {
        data: (res) => {
          since = cursor;
          shown.total = totalOf(res.messages);
          if (release) return;
          release = () => {};
          void answered.then(() => {
            release = conn.subscribe({
              topics: res.topics,
              since: since ?? undefined,
              onResync: read,
              onChange: (e) => {
                const payload = e.payload as unknown as SurfaceEventPayload;
                if (payload.kind === 'definition') read();
                else shown.total = totalOf(payload.messages) ?? shown.total;
              },
            });
            shown.live = true;
          });
        },
        error: () => void shown.errors++,
      });
    };
    read();
    cleanups.push(() => {
      release?.();
      stopRead();
    });
    return shown;
  };

  it('a surface change committed after the read, while other topics moved the cursor on, shows (resync)', async () => {
    const conn = connection();
    const client = new DataClient({ baseUrl: base, token: () => viewer });
    // Another widget on the page (a work board) has the stream open.
    conn.subscribe({ topics: ['work_item'] });
    await expect.poll(() => conn.getState().status).toBe('online');
    let answer!: () => void;
    const shown = surface(client, conn, new Promise<void>((resolve) => (answer = resolve)));
    await expect.poll(() => shown.total).not.toBeNull();
    const before = shown.total!;
    const seen = await lastSurfaceEvent();
    // The surface changes; its event is not on the stream (its topics are not subscribed yet)...
    await addDevice();
    await expect.poll(lastSurfaceEvent, { timeout: 5_000 }).toBeGreaterThan(seen);
    const surfaceEvent = await lastSurfaceEvent();
    // ...and a ticket (on the stream) moves the page's cursor past it.
    const ticket = (await call('POST', '/work-items', { kind: 'ticket', title: 'Moves the cursor on' })) as WorkItem;
    expect(ticket.id).toBeTruthy();
    await expect.poll(() => conn.getState().lastEventId ?? 0).toBeGreaterThan(surfaceEvent);
    // The answer is in: the topics join, the stream resumes after the ticket, without the
    // surface's event. Only a re-read (the cursor is from before the read) shows the change.
    answer();
    await expect.poll(() => shown.live).toBe(true);
    await expect.poll(() => shown.total, { timeout: 5_000 }).toBe(before + 1);
    expect(shown.reads).toBe(2);
    expect(shown.errors).toBe(0);
  });

  it('a surface joining a stream that already carries its topics re-reads a change it missed, and only then', async () => {
    const conn = connection();
    const client = new DataClient({ baseUrl: base, token: () => viewer });
    // The same surface is already live on the page.
    const first = surface(client, conn);
    await expect.poll(() => first.live).toBe(true);
    await expect.poll(() => conn.getState().status).toBe('online');
    let answer!: () => void;
    const second = surface(client, conn, new Promise<void>((resolve) => (answer = resolve)));
    await expect.poll(() => second.total).not.toBeNull();
    const before = second.total!;
    // The change reaches the first surface (and moves the page's cursor) before the second
    // subscribes: the event has passed it by.
    await addDevice();
    await expect.poll(() => first.total, { timeout: 5_000 }).toBe(before + 1);
    answer();
    await expect.poll(() => second.live).toBe(true);
    await expect.poll(() => second.total, { timeout: 5_000 }).toBe(before + 1);
    expect(second.reads).toBe(2);
    // A surface drawn while nothing changes is live at once: no second read.
    const third = surface(client, conn);
    await expect.poll(() => third.live).toBe(true);
    await new Promise((r) => setTimeout(r, 300));
    expect(third.total).toBe(before + 1);
    expect(third.reads).toBe(1);
  });
});
