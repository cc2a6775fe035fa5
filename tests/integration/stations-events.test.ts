import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken } from '../../data-api/src/kernel/auth/service.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';

// contracts.md: `POST /api/v1/events` — station event ingest, idempotent on `event_id`
// (a repeat returns 200 with `duplicate: true` and changes nothing); station tokens may only
// post events for their own station. domain.md: RFID event (event_id unique), bundle (last
// station, last seen). docs/contracts/rfid-stations.mdx: batches, rejections, bundles.

describe('RFID station events', () => {
  let t: TestApp;
  let admin: string;
  let mapped: { station_id: string; token: string };
  let other: { station_id: string; token: string };
  let loose: { station_id: string; token: string };

  const call = (method: 'GET' | 'POST' | 'DELETE', url: string, token?: string, payload?: unknown) =>
    t.app.inject({
      method,
      url,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(payload !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(payload !== undefined ? { payload: JSON.stringify(payload) } : {}),
    });
  const post = (token: string, payload: unknown) => call('POST', '/api/v1/events', token, payload);
  const ev = (over: Record<string, unknown> = {}) => ({
    event_id: randomUUID(),
    type: 'tag_read',
    tag_id: 'E28011700000020F3A1B2C3D',
    ts: new Date().toISOString(),
    antenna: 1,
    rssi: -61.5,
    ...over,
  });
  const count = async (table: 'station_events' | 'audit_log' | 'change_events' | 'bundles') =>
    Number(
      (
        await t.ctx.db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  const snapshot = async () => ({
    events: await count('station_events'),
    audit: await count('audit_log'),
    changes: await count('change_events'),
    bundles: await count('bundles'),
  });

  async function station(mac: string, site_id?: string, line?: string) {
    const reg = await call('POST', '/api/v1/stations/claims', admin, {
      mac,
      claim_code: 'LABEL-CODE-0001',
      ...(site_id ? { site_id } : {}),
      ...(line ? { line } : {}),
    });
    expect(reg.statusCode).toBe(201);
    const res = await call('POST', '/api/v1/stations/claim', undefined, { mac, claim_code: 'LABEL-CODE-0001' });
    expect(res.statusCode).toBe(200);
    return res.json() as { station_id: string; token: string };
  }

  beforeAll(async () => {
    t = await createTestApp();
    admin = (await createToken(t.ctx.db, { name: 'test-admin', role: 'admin' })).token;
    expect((await call('POST', '/api/v1/customers', admin, { id: 'cus_acme', name: 'Acme' })).statusCode).toBe(201);
    expect(
      (await call('POST', '/api/v1/sites', admin, { id: 'site_dc-1', customer_id: 'cus_acme', name: 'DC 1' }))
        .statusCode,
    ).toBe(201);
    mapped = await station('02:00:00:00:00:01', 'site_dc-1', 'door 1');
    other = await station('02:00:00:00:00:02', 'site_dc-1', 'door 2');
    loose = await station('02:00:00:00:00:03');
  });
  afterAll(async () => t?.close());

  it('stores one event; a repeat answers 200 duplicate: true and changes nothing', async () => {
    const event = ev();
    const first = await post(mapped.token, event);
    expect(first.statusCode).toBe(200);
    expect(first.json()).toEqual({
      station_id: mapped.station_id,
      event_id: event.event_id,
      status: 'accepted',
      duplicate: false,
      unmapped: false,
    });
    const row = await t.ctx.db
      .selectFrom('station_events')
      .selectAll()
      .where('event_id', '=', event.event_id)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      station_id: mapped.station_id,
      type: 'tag_read',
      tag_id: event.tag_id,
      antenna: 1,
      rssi: -61.5,
      site_id: 'site_dc-1',
      line: 'door 1',
      customer_id: 'cus_acme',
    });
    const device = await t.ctx.db
      .selectFrom('devices')
      .select('last_seen')
      .where('id', '=', mapped.station_id)
      .executeTakeFirstOrThrow();
    expect(device.last_seen).not.toBeNull();

    const before = await snapshot();
    // Same id, different case and content: still the same event.
    const again = await post(mapped.token, { ...event, event_id: event.event_id.toUpperCase(), tag_id: 'DIFFERENT' });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ status: 'duplicate', duplicate: true });
    expect(await snapshot()).toEqual(before);
    expect(
      (
        await t.ctx.db
          .selectFrom('station_events')
          .select('tag_id')
          .where('event_id', '=', event.event_id)
          .executeTakeFirstOrThrow()
      ).tag_id,
    ).toBe(event.tag_id);
  });

  it('leaves one audit entry and one change event per write', async () => {
    const before = await snapshot();
    const res = await post(mapped.token, { events: [ev(), ev(), ev({ type: 'heartbeat', tag_id: undefined })] });
    expect(res.json()).toMatchObject({ accepted: 3 });
    const after = await snapshot();
    expect(after.audit - before.audit).toBe(1);
    expect(after.changes - before.changes).toBe(1);
    const change = await t.ctx.db
      .selectFrom('change_events')
      .selectAll()
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
    expect(change).toMatchObject({
      type: 'station.events',
      subject_id: mapped.station_id,
      customer_id: 'cus_acme',
      site_id: 'site_dc-1',
    });
    expect(change.payload).toMatchObject({ accepted: 3, types: { tag_read: 2, heartbeat: 1 } });
  });

  it('a single invalid event is a 400 that names the fields, and nothing is written', async () => {
    const before = await snapshot();
    const res = await post(mapped.token, { event_id: 'nope', type: 'tag_read', ts: 'yesterday', colour: 'red' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toBe('validation');
    const paths = res
      .json()
      .issues.map((i: { path: string }) => i.path)
      .sort();
    expect(paths).toEqual(expect.arrayContaining(['body.event_id', 'body.ts', 'body.colour']));
    expect(await snapshot()).toEqual(before);
  });

  it('a batch keeps the good events and reports each bad one with the field and the reason', async () => {
    const good1 = ev();
    const epoch = Math.floor(Date.now() / 1000) - 30;
    const good2 = ev({ type: 'bundle_in', bundle_id: 'BND-0001', ts: epoch });
    const ulid = '01JB8ZK3M4N5P6Q7R8S9T0VWXY';
    const good3 = ev({ event_id: ulid.toLowerCase(), type: 'heartbeat', tag_id: undefined });
    const res = await post(mapped.token, {
      events: [
        good1,
        { ...ev(), tag_id: undefined }, // tag_read without a tag
        good2,
        { ...ev(), ts: Date.now() }, // milliseconds
        'not an event',
        good3,
        { ...ev(), type: 'bundle_out' }, // no bundle_id
        good1, // the same id twice in one batch
        { ...ev(), rssi: 99, antenna: 1.5 },
        { ...ev(), ts: new Date(Date.now() + 2 * 3600_000).toISOString() }, // clock far ahead
      ],
    });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({
      station_id: mapped.station_id,
      accepted: 3,
      duplicates: 1,
      rejected: 6,
      duplicate: false,
      unmapped: false,
    });
    const byIndex = (i: number) => body.results.find((r: { index: number }) => r.index === i);
    expect(byIndex(0)).toEqual({ index: 0, event_id: good1.event_id, status: 'accepted' });
    expect(byIndex(1)).toMatchObject({
      status: 'rejected',
      issues: [{ path: 'body.events[1].tag_id', message: 'required for tag_read' }],
    });
    expect(byIndex(1).reason).toContain('tag_id');
    expect(byIndex(3)).toMatchObject({
      status: 'rejected',
      issues: [{ path: 'body.events[3].ts', message: expect.stringContaining('milliseconds') }],
    });
    expect(byIndex(4)).toMatchObject({ status: 'rejected', event_id: null, issues: [{ path: 'body.events[4]' }] });
    expect(byIndex(5)).toEqual({ index: 5, event_id: ulid, status: 'accepted' });
    expect(byIndex(6)).toMatchObject({ status: 'rejected', issues: [{ path: 'body.events[6].bundle_id' }] });
    expect(byIndex(7)).toMatchObject({ status: 'duplicate', event_id: good1.event_id });
    expect(
      byIndex(8)
        .issues.map((i: { path: string }) => i.path)
        .sort(),
    ).toEqual(['body.events[8].antenna', 'body.events[8].rssi']);
    expect(byIndex(9)).toMatchObject({
      status: 'rejected',
      issues: [{ path: 'body.events[9].ts', message: expect.stringContaining('ahead of the server clock') }],
    });

    const stored = await t.ctx.db
      .selectFrom('station_events')
      .select(['event_id', 'ts'])
      .where('event_id', 'in', [good1.event_id, good2.event_id, ulid])
      .execute();
    expect(stored).toHaveLength(3);
    // Epoch seconds become a timestamp.
    expect(new Date(stored.find((s) => s.event_id === good2.event_id)!.ts).getTime()).toBe(epoch * 1000);
    const rejectedIds = [1, 3, 6, 8, 9].map((i) => byIndex(i).event_id);
    expect(
      await t.ctx.db.selectFrom('station_events').select('event_id').where('event_id', 'in', rejectedIds).execute(),
    ).toEqual([]);
  });

  it('refuses a batch of 501 events with the 400 shape, storing none', async () => {
    const before = await snapshot();
    const res = await post(mapped.token, { events: Array.from({ length: 501 }, () => ev()) });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({
      error: 'validation',
      issues: [{ path: 'body.events', message: expect.stringContaining('500') }],
    });
    expect(await snapshot()).toEqual(before);
    // 500 is the limit, not beyond it.
    const ok = await post(mapped.token, {
      events: Array.from({ length: 500 }, () => ev({ type: 'heartbeat', tag_id: undefined })),
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().accepted).toBe(500);
  });

  it('the same event_id sent 100 times at once is stored once: 1 accepted, 99 duplicates', async () => {
    const event = ev({ bundle_id: 'BND-RACE' });
    const replies = await Promise.all(Array.from({ length: 100 }, () => post(mapped.token, event)));
    expect(replies.map((r) => r.statusCode)).toEqual(Array(100).fill(200));
    const statuses = replies.map((r) => r.json().status);
    expect(statuses.filter((s) => s === 'accepted')).toHaveLength(1);
    expect(statuses.filter((s) => s === 'duplicate')).toHaveLength(99);
    const rows = await t.ctx.db
      .selectFrom('station_events')
      .select('event_id')
      .where('event_id', '=', event.event_id)
      .execute();
    expect(rows).toHaveLength(1);
    const audits = await t.ctx.db.selectFrom('audit_log').select('after').where('action', '=', 'ingest').execute();
    expect(audits.filter((a) => (a.after as { event_ids: string[] }).event_ids.includes(event.event_id))).toHaveLength(
      1,
    );
  });

  it("a station posting another station's events gets 403 and nothing is stored", async () => {
    const before = await snapshot();
    const single = await post(mapped.token, ev({ station_id: other.station_id }));
    expect(single.statusCode).toBe(403);
    expect(single.json()).toMatchObject({ error: 'forbidden', message: expect.stringContaining(other.station_id) });
    // One foreign event in an otherwise good batch refuses the whole batch.
    const batch = await post(mapped.token, { events: [ev(), ev({ station_id: other.station_id })] });
    expect(batch.statusCode).toBe(403);
    const top = await post(mapped.token, { station_id: other.station_id, events: [ev()] });
    expect(top.statusCode).toBe(403);
    expect(await snapshot()).toEqual(before);
    // Naming its own station is fine.
    expect(
      (
        await post(mapped.token, { station_id: mapped.station_id, events: [ev({ station_id: mapped.station_id })] })
      ).json().accepted,
    ).toBe(1);
  });

  it("an event_id another station already used is rejected, not reported as the caller's duplicate", async () => {
    const event = ev();
    expect((await post(other.token, event)).json().status).toBe('accepted');
    const res = await post(mapped.token, { events: [event, ev()] });
    expect(res.json()).toMatchObject({ accepted: 1, rejected: 1 });
    expect(res.json().results[0]).toMatchObject({ status: 'rejected', issues: [{ path: 'body.events[0].event_id' }] });
    expect((await post(mapped.token, event)).statusCode).toBe(409);
  });

  it('only station tokens post events', async () => {
    expect((await post(admin, ev())).statusCode).toBe(403);
    expect((await call('POST', '/api/v1/events', undefined, ev())).statusCode).toBe(401);
  });

  it('bundles track their last station and last seen, moving forward in ts only', async () => {
    const t0 = Date.parse('2026-03-01T08:00:00Z') / 1000;
    const bundle = async () =>
      t.ctx.db.selectFrom('bundles').selectAll().where('id', '=', 'BND-42').executeTakeFirstOrThrow();
    await post(mapped.token, ev({ type: 'bundle_in', bundle_id: 'BND-42', ts: t0 + 60 }));
    expect(await bundle()).toMatchObject({
      last_station_id: mapped.station_id,
      line: 'door 1',
      last_event_type: 'bundle_in',
    });
    expect((await bundle()).last_seen.toISOString()).toBe('2026-03-01T08:01:00.000Z');

    // The other door saw it later: the bundle moves.
    await post(other.token, ev({ type: 'bundle_out', bundle_id: 'BND-42', ts: t0 + 120 }));
    expect(await bundle()).toMatchObject({
      last_station_id: other.station_id,
      line: 'door 2',
      last_event_type: 'bundle_out',
    });

    // A replayed, older read from the first door is stored but does not rewind the bundle.
    const late = ev({ bundle_id: 'BND-42', ts: t0 + 90 });
    expect((await post(mapped.token, late)).json().status).toBe('accepted');
    expect(await bundle()).toMatchObject({ last_station_id: other.station_id });
    expect((await bundle()).last_seen.toISOString()).toBe('2026-03-01T08:02:00.000Z');

    // Within one batch the latest event wins, whatever its position.
    await post(mapped.token, {
      events: [ev({ bundle_id: 'BND-42', ts: t0 + 300 }), ev({ bundle_id: 'BND-42', ts: t0 + 200 })],
    });
    expect((await bundle()).last_seen.toISOString()).toBe('2026-03-01T08:05:00.000Z');
    expect((await bundle()).last_station_id).toBe(mapped.station_id);
  });

  it('events from an unmapped station are stored and flagged, not attributed', async () => {
    const event = ev({ type: 'bundle_in', bundle_id: 'BND-LOOSE' });
    const res = await post(loose.token, event);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'accepted', unmapped: true });
    const row = await t.ctx.db
      .selectFrom('station_events')
      .selectAll()
      .where('event_id', '=', event.event_id)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ station_id: loose.station_id, site_id: null, line: null, customer_id: null });
    expect(
      await t.ctx.db
        .selectFrom('bundles')
        .select('last_station_id')
        .where('id', '=', 'BND-LOOSE')
        .executeTakeFirstOrThrow(),
    ).toEqual({ last_station_id: loose.station_id });
  });

  it('a token whose station device was deleted is refused', async () => {
    const gone = await station('02:00:00:00:00:04', 'site_dc-1', 'door 4');
    expect((await call('DELETE', `/api/v1/devices/${gone.station_id}`, admin)).statusCode).toBe(204);
    const res = await post(gone.token, ev());
    expect(res.statusCode).toBe(403);
    expect(res.json().message).toContain('claim it again');
  });
});
