import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken } from '../../data-api/src/kernel/auth/service.ts';
import { buildApp, createAppContext } from '../../data-api/src/app.ts';
import { publishLive } from '../../data-api/src/kernel/changes/service.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { openSse } from '../helpers/sse.ts';

// contracts.md / architecture.md: GET /api/v1/stream carries the change feed; event ids
// are monotonic; Last-Event-ID resumes without gaps; fan-out across replicas goes
// through PostgreSQL LISTEN/NOTIFY; a customer-scoped token sees only its tenant.
describe('GET /api/v1/stream (SSE)', () => {
  let t: TestApp;
  let base: string;
  let admin: string;
  let viewer: string;
  let tenantA: string;

  const post = (path: string, body: unknown) =>
    fetch(base + path, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  beforeAll(async () => {
    t = await createTestApp();
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    admin = (await createToken(t.ctx.db, { name: 'admin', role: 'admin' })).token;
    viewer = (await createToken(t.ctx.db, { name: 'viewer', role: 'viewer' })).token;
    expect((await post('/api/v1/customers', { id: 'cus_a', name: 'A' })).status).toBe(201);
    expect((await post('/api/v1/customers', { id: 'cus_b', name: 'B' })).status).toBe(201);
    tenantA = (await createToken(t.ctx.db, { name: 'tenant-a', role: 'viewer', customerId: 'cus_a' })).token;
  });
  afterAll(async () => t?.close());

  it('refuses a caller without a token (reads are not open here)', async () => {
    const res = await fetch(`${base}/api/v1/stream`);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: 'unauthorized' });
  });

  it('delivers registry changes with increasing ids, filtered by tenant', async () => {
    const all = await openSse(`${base}/api/v1/stream`, { authorization: `Bearer ${viewer}` });
    const onlyA = await openSse(`${base}/api/v1/stream`, { authorization: `Bearer ${tenantA}` });
    await expect.poll(() => all.of('ready').length).toBe(1);
    await expect.poll(() => onlyA.of('ready').length).toBe(1);
    await post('/api/v1/sites', { id: 'site_a1', customer_id: 'cus_a', name: 'A1' });
    await post('/api/v1/sites', { id: 'site_b1', customer_id: 'cus_b', name: 'B1' });
    await expect.poll(() => all.of('change').length).toBe(2);
    const ids = all.of('change').map((e) => Number(e.id));
    expect(ids[1]).toBeGreaterThan(ids[0]!);
    expect(all.of('change').map((e) => JSON.parse(e.data).subject.id)).toEqual(['site_a1', 'site_b1']);
    await expect.poll(() => onlyA.of('change').length).toBe(1);
    expect(JSON.parse(onlyA.of('change')[0]!.data)).toMatchObject({
      type: 'site.created',
      subject: { type: 'site', id: 'site_a1' },
    });
    await all.close();
    await onlyA.close();
  });

  it('filters by topics', async () => {
    const sub = await openSse(`${base}/api/v1/stream?topics=site:site_a1`, { authorization: `Bearer ${viewer}` });
    await expect.poll(() => sub.of('ready').length).toBe(1);
    await post('/api/v1/sites', { id: 'site_a2', customer_id: 'cus_a', name: 'A2' });
    await fetch(`${base}/api/v1/sites/site_a1`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'A1 renamed' }),
    });
    await expect.poll(() => sub.of('change').length).toBe(1);
    expect(JSON.parse(sub.of('change')[0]!.data)).toMatchObject({
      type: 'site.updated',
      payload: { name: 'A1 renamed' },
    });
    await sub.close();
  });

  it('rejects a malformed topics filter with the 400 shape', async () => {
    const res = await fetch(`${base}/api/v1/stream?topics=${encodeURIComponent('site:<x>')}`, {
      headers: { authorization: `Bearer ${viewer}` },
    });
    expect(res.status).toBe(400);
    expect((await res.json()).issues[0].path).toBe('querystring.topics');
  });

  it('resumes from Last-Event-ID without gaps or repeats', async () => {
    const first = await openSse(`${base}/api/v1/stream?topics=customer`, { authorization: `Bearer ${viewer}` });
    await expect.poll(() => first.of('ready').length).toBe(1);
    await post('/api/v1/customers', { id: 'cus_r1', name: 'R1' });
    await expect.poll(() => first.of('change').length).toBe(1);
    const lastSeen = first.of('change')[0]!.id!;
    await first.close();
    // Missed while disconnected:
    await post('/api/v1/customers', { id: 'cus_r2', name: 'R2' });
    await post('/api/v1/customers', { id: 'cus_r3', name: 'R3' });
    const resumed = await openSse(`${base}/api/v1/stream?topics=customer`, {
      authorization: `Bearer ${viewer}`,
      'last-event-id': lastSeen,
    });
    await expect
      .poll(() => resumed.of('change').map((e) => JSON.parse(e.data).subject.id))
      .toEqual(['cus_r2', 'cus_r3']);
    await post('/api/v1/customers', { id: 'cus_r4', name: 'R4' });
    await expect
      .poll(() => resumed.of('change').map((e) => JSON.parse(e.data).subject.id))
      .toEqual(['cus_r2', 'cus_r3', 'cus_r4']);
    await resumed.close();
  });

  it('tells a client whose Last-Event-ID is older than the retained feed to re-fetch', async () => {
    await t.ctx.db.deleteFrom('change_events').where('id', '<', 3).execute();
    const sub = await openSse(`${base}/api/v1/stream`, { authorization: `Bearer ${viewer}`, 'last-event-id': '1' });
    await expect.poll(() => sub.of('reset').length).toBe(1);
    await sub.close();
  });

  it('fans out through the database to a second replica, live telemetry included', async () => {
    // A second app on the same database: its own hub, its own LISTEN.
    const replica = await buildApp(createAppContext({ ...t.ctx }));
    await replica.listen({ port: 0, host: '127.0.0.1' });
    const replicaBase = `http://127.0.0.1:${(replica.server.address() as AddressInfo).port}`;
    try {
      const sub = await openSse(`${replicaBase}/api/v1/stream?topics=site,telemetry`, {
        authorization: `Bearer ${viewer}`,
      });
      await expect.poll(() => sub.of('ready').length).toBe(1);
      await post('/api/v1/sites', { id: 'site_via_other_replica', customer_id: 'cus_b', name: 'X' });
      await expect
        .poll(() => sub.of('change').map((e) => JSON.parse(e.data).subject.id))
        .toContain('site_via_other_replica');
      await publishLive(t.ctx.db, {
        device_id: 'dev_live',
        site_id: 'site_b1',
        customer_id: 'cus_b',
        ts: 1795000000.25,
        metrics: { temp_c: 24.8 },
      });
      await expect
        .poll(() => sub.of('telemetry').map((e) => JSON.parse(e.data)))
        .toEqual([expect.objectContaining({ device_id: 'dev_live', metrics: { temp_c: 24.8 } })]);
      expect(sub.of('telemetry')[0]!.id).toBeUndefined();
      await sub.close();
    } finally {
      await replica.close();
    }
  });
});
