import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken } from '../../data-api/src/kernel/auth/service.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';

// contracts.md: `GET /api/v1/stations/:id/status` (station health and last events) and
// `POST /api/v1/stations/:id/map` (assign a station to a site and line); a tenant-scoped token
// sees and changes only its customer's data (another tenant's id answers 404); every write
// leaves an audit entry. docs/contracts/rfid-stations.mdx: who may map, what health means.

describe('RFID station status and mapping', () => {
  let t: TestApp;
  let admin: string;
  let station: { station_id: string; token: string };
  /** ts of the read posted right after mapping: the newest non-heartbeat event. */
  let newestRead = '';
  const tokens: Record<string, string> = {};

  const call = (method: 'GET' | 'POST', url: string, token?: string, payload?: unknown) =>
    t.app.inject({
      method,
      url,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(payload !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(payload !== undefined ? { payload: JSON.stringify(payload) } : {}),
    });
  const map = (id: string, body: unknown, token = admin) => call('POST', `/api/v1/stations/${id}/map`, token, body);
  const status = (id: string, token = admin, qs = '') => call('GET', `/api/v1/stations/${id}/status${qs}`, token);
  const post = (token: string, payload: unknown) => call('POST', '/api/v1/events', token, payload);

  beforeAll(async () => {
    t = await createTestApp();
    admin = (await createToken(t.ctx.db, { name: 'test-admin', role: 'admin' })).token;
    for (const [id, name] of [
      ['cus_acme', 'Acme'],
      ['cus_beta', 'Beta'],
    ])
      expect((await call('POST', '/api/v1/customers', admin, { id, name })).statusCode).toBe(201);
    for (const [id, customer_id] of [
      ['site_acme-1', 'cus_acme'],
      ['site_acme-2', 'cus_acme'],
      ['site_beta-1', 'cus_beta'],
    ]) {
      expect((await call('POST', '/api/v1/sites', admin, { id, customer_id, name: id })).statusCode).toBe(201);
    }
    tokens.acmeViewer = (
      await createToken(t.ctx.db, { name: 'acme-viewer', role: 'viewer', customerId: 'cus_acme' })
    ).token;
    tokens.betaViewer = (
      await createToken(t.ctx.db, { name: 'beta-viewer', role: 'viewer', customerId: 'cus_beta' })
    ).token;
    tokens.acmeAdmin = (
      await createToken(t.ctx.db, { name: 'acme-admin', role: 'admin', customerId: 'cus_acme' })
    ).token;
    tokens.operator = (await createToken(t.ctx.db, { name: 'op', role: 'operator' })).token;
    expect(
      (await call('POST', '/api/v1/stations/claims', admin, { mac: '02:00:00:00:01:01', claim_code: 'STATUSCODE1' }))
        .statusCode,
    ).toBe(201);
    station = (
      await call('POST', '/api/v1/stations/claim', undefined, { mac: '02:00:00:00:01:01', claim_code: 'STATUSCODE1' })
    ).json();
  });
  afterAll(async () => t?.close());

  it('a claimed, unmapped station reports unknown health and no events', async () => {
    const res = await status(station.station_id);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      station: expect.objectContaining({
        id: station.station_id,
        mac: '02:00:00:00:01:01',
        site_id: null,
        customer_id: null,
        line: null,
        mapped: false,
        heartbeat_interval_s: 60,
      }),
      health: {
        status: 'unknown',
        last_contact_at: null,
        last_event_at: null,
        last_heartbeat_at: null,
        events_last_hour: 0,
      },
      events: [],
    });
  });

  it('map: only admins; the site must be in the caller tenant', async () => {
    expect(
      (await map(station.station_id, { site_id: 'site_acme-1', line: 'door 3' }, tokens.operator)).statusCode,
    ).toBe(403);
    expect((await map(station.station_id, { site_id: 'site_acme-1', line: 'door 3' }, station.token)).statusCode).toBe(
      403,
    );
    // Unmapped and in stock: outside every tenant, so a scoped admin cannot see it.
    expect(
      (await map(station.station_id, { site_id: 'site_acme-1', line: 'door 3' }, tokens.acmeAdmin)).statusCode,
    ).toBe(404);
    const bad = await map(station.station_id, { site_id: 'nope', line: '' });
    expect(bad.statusCode).toBe(400);
    expect(
      bad
        .json()
        .issues.map((i: { path: string }) => i.path)
        .sort(),
    ).toEqual(['body.line', 'body.site_id']);
    expect((await map(station.station_id, { site_id: 'site_missing', line: 'door 3' })).statusCode).toBe(404);
  });

  it('map moves the device to the site and customer, audited and on the change feed', async () => {
    const res = await map(station.station_id, { site_id: 'site_acme-1', line: 'door 3' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      id: station.station_id,
      site_id: 'site_acme-1',
      customer_id: 'cus_acme',
      line: 'door 3',
      mapped: true,
    });
    const device = (await call('GET', `/api/v1/devices/${station.station_id}`, admin)).json();
    expect(device).toMatchObject({ site_id: 'site_acme-1', customer_id: 'cus_acme' });
    const audit = (
      await call('GET', `/api/v1/audit?entity=station&entity_id=${station.station_id}&action=map`, admin)
    ).json();
    expect(audit.items).toHaveLength(1);
    expect(audit.items[0]).toMatchObject({
      actor: 'test-admin',
      customer_id: 'cus_acme',
      before: { site_id: null, customer_id: null, line: null },
      after: { site_id: 'site_acme-1', customer_id: 'cus_acme', line: 'door 3' },
    });
    const changes = await t.ctx.db
      .selectFrom('change_events')
      .select(['type', 'customer_id', 'site_id'])
      .where('subject_id', '=', station.station_id)
      .orderBy('id', 'desc')
      .limit(2)
      .execute();
    expect(changes.map((c) => c.type).sort()).toEqual(['device.updated', 'station.mapped']);
    expect(changes.every((c) => c.customer_id === 'cus_acme' && c.site_id === 'site_acme-1')).toBe(true);

    // Now in its tenant: the scoped admin may move it within Acme, not to Beta.
    expect(
      (await map(station.station_id, { site_id: 'site_beta-1', line: 'door 1' }, tokens.acmeAdmin)).statusCode,
    ).toBe(404);
    const moved = await map(station.station_id, { site_id: 'site_acme-2', line: 'door 9' }, tokens.acmeAdmin);
    expect(moved.statusCode).toBe(200);
    expect(moved.json()).toMatchObject({ site_id: 'site_acme-2', line: 'door 9' });
    expect(
      await t.ctx.db
        .selectFrom('devices')
        .select('site_id')
        .where('id', '=', station.station_id)
        .executeTakeFirstOrThrow(),
    ).toEqual({ site_id: 'site_acme-2' });
  });

  it('events posted after mapping carry the site and line; a re-claim keeps the mapping', async () => {
    newestRead = new Date().toISOString();
    const res = await post(station.token, {
      event_id: randomUUID(),
      type: 'tag_read',
      tag_id: 'E2801',
      ts: newestRead,
    });
    expect(res.json()).toMatchObject({ status: 'accepted', unmapped: false });
    const again = (
      await call('POST', '/api/v1/stations/claim', undefined, { mac: '02:00:00:00:01:01', claim_code: 'STATUSCODE1' })
    ).json();
    expect(again.config).toMatchObject({ site_id: 'site_acme-2', line: 'door 9', mapped: true });
    station = again;
  });

  it('status: health, last event, last heartbeat, events in the last hour and the latest events', async () => {
    const now = Date.now();
    const events = [
      { event_id: randomUUID(), type: 'tag_read', tag_id: 'E-A', ts: new Date(now - 10 * 60_000).toISOString() },
      {
        event_id: randomUUID(),
        type: 'bundle_in',
        tag_id: 'E-B',
        bundle_id: 'BND-S',
        ts: new Date(now - 5 * 60_000).toISOString(),
      },
      { event_id: randomUUID(), type: 'tag_read', tag_id: 'E-OLD', ts: new Date(now - 3 * 3600_000).toISOString() },
      { event_id: randomUUID(), type: 'heartbeat', ts: new Date(now - 60_000).toISOString() },
    ];
    expect((await post(station.token, { events })).json().accepted).toBe(4);

    const res = await status(station.station_id, tokens.acmeViewer, '?events=3');
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.station).toMatchObject({
      id: station.station_id,
      site_id: 'site_acme-2',
      line: 'door 9',
      mapped: true,
    });
    expect(body.health.status).toBe('up');
    expect(body.health.last_event_at).toBe(newestRead);
    expect(body.health.last_heartbeat_at).toBe(events[3]!.ts);
    // The earlier test's tag_read (now) + the two within the hour; the 3-hour-old read and the heartbeat do not count.
    expect(body.health.events_last_hour).toBe(3);
    expect(Date.parse(body.health.last_contact_at)).toBeGreaterThan(now - 60_000);
    expect(body.events).toHaveLength(3);
    expect(body.events.map((e: { ts: string }) => e.ts)).toEqual([newestRead, events[3]!.ts, events[1]!.ts]);
    expect(body.events[1]).toMatchObject({
      event_id: events[3]!.event_id,
      type: 'heartbeat',
      station_id: station.station_id,
      line: 'door 9',
      site_id: 'site_acme-2',
    });
  });

  it('a station silent for more than 3 heartbeat intervals is down', async () => {
    await t.ctx.db
      .updateTable('devices')
      .set({ last_seen: new Date(Date.now() - 181_000) })
      .where('id', '=', station.station_id)
      .execute();
    expect((await status(station.station_id)).json().health.status).toBe('down');
    await post(station.token, { event_id: randomUUID(), type: 'heartbeat', ts: new Date().toISOString() });
    expect((await status(station.station_id)).json().health.status).toBe('up');
  });

  it('status is tenant-scoped: another customer sees 404; a station token cannot read it', async () => {
    const beta = await status(station.station_id, tokens.betaViewer);
    expect(beta.statusCode).toBe(404);
    expect(beta.json()).toEqual({ error: 'not_found', message: `device ${station.station_id} not found` });
    expect((await status(station.station_id, station.token)).statusCode).toBe(403);
    expect((await call('GET', `/api/v1/stations/${station.station_id}/status`)).statusCode).toBe(401);
  });

  it('status and map answer 404 for a device that is not a station', async () => {
    const sensor = await call('POST', '/api/v1/devices', admin, {
      id: 'dev_probe-1',
      role: 'sensor',
      product_code: 'soil-probe',
      site_id: 'site_acme-1',
    });
    expect(sensor.statusCode).toBe(201);
    expect((await status('dev_probe-1')).statusCode).toBe(404);
    expect((await map('dev_probe-1', { site_id: 'site_acme-2', line: 'x' })).statusCode).toBe(404);
    expect((await status('site_acme-1')).statusCode).toBe(400);
  });

  it('the OpenAPI document describes the station routes', async () => {
    const doc = (await call('GET', '/api/v1/openapi.json')).json();
    for (const path of [
      '/api/v1/stations/claims',
      '/api/v1/stations/claim',
      '/api/v1/events',
      '/api/v1/stations/{id}/status',
      '/api/v1/stations/{id}/map',
    ]) {
      expect(doc.paths[path], path).toBeDefined();
    }
    expect(doc.paths['/api/v1/stations/claim'].post.security).toEqual([]);
    expect(doc.components.schemas.StationEventPayloadInput.required).toEqual(['event_id', 'type', 'ts']);
  });
});
