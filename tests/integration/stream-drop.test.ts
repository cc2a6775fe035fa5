import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken } from '../../data-api/src/kernel/auth/service.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';

// Issue 11, defect 4: an SSE client that drops at once (while the API is still checking its
// token or reading the newest event id) must be released like any other: fleetbook_sse_clients
// goes back to 0, however early the client went away.
describe('GET /api/v1/stream: clients that drop at once are released', () => {
  let t: TestApp;
  let port: number;
  let viewer: string;

  const sseClients = async () => {
    const res = await t.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${viewer}` } });
    const line = res.body.split('\n').find((l) => l.startsWith('fleetbook_sse_clients '));
    if (!line) throw new Error(`no fleetbook_sse_clients in /metrics (${res.statusCode}): ${res.body.slice(0, 200)}`);
    return Number(line.split(' ')[1]);
  };

  /** Opens the stream over a raw socket and closes it after `dropAfterMs` (0: as soon as the request is written). */
  const openAndDrop = (dropAfterMs: number) =>
    new Promise<void>((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.write(
          `GET /api/v1/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\nAuthorization: Bearer ${viewer}\r\n\r\n`,
        );
        if (dropAfterMs === 0) socket.destroy();
        else setTimeout(() => socket.destroy(), dropAfterMs);
      });
      socket.on('close', () => resolve());
      socket.on('error', reject);
    });

  beforeAll(async () => {
    t = await createTestApp();
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    port = (t.app.server.address() as AddressInfo).port;
    viewer = (await createToken(t.ctx.db, { name: 'viewer', role: 'viewer' })).token;
  });
  afterAll(async () => t?.close());

  it('counts a held client, then releases 300 clients that drop at once or within a few ms', async () => {
    // The gauge does count a client that stays (so 0 below is not a gauge that never moves).
    const held = new AbortController();
    const res = await fetch(`http://127.0.0.1:${port}/api/v1/stream`, {
      headers: { authorization: `Bearer ${viewer}` },
      signal: held.signal,
    });
    expect(res.status).toBe(200);
    await expect.poll(sseClients).toBe(1);
    held.abort();
    await expect.poll(sseClients).toBe(0);

    const drops: Promise<void>[] = [];
    for (let i = 0; i < 300; i++) drops.push(openAndDrop(i % 3 === 0 ? 0 : i % 7));
    await Promise.all(drops);
    await expect.poll(sseClients, { timeout: 15_000 }).toBe(0);
  });
});
