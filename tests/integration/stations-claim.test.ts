import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken } from '../../data-api/src/kernel/auth/service.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';

// contracts.md: `POST /api/v1/stations/claim` — an RFID station claims an identity:
// `{ mac, claim_code }` → `{ station_id, token, config }`; station tokens may only post
// events for their own station. docs/contracts/rfid-stations.mdx: claims, re-claim.

describe('RFID station claims', () => {
  let t: TestApp;
  let admin: string;

  type Inject = { method: 'GET' | 'POST' | 'PATCH' | 'DELETE'; url: string; token?: string; payload?: unknown };
  const call = ({ method, url, token, payload }: Inject) =>
    t.app.inject({
      method,
      url,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(payload !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(payload !== undefined ? { payload: JSON.stringify(payload) } : {}),
    });
  const register = (body: Record<string, unknown>, token = admin) =>
    call({ method: 'POST', url: '/api/v1/stations/claims', token, payload: body });
  const claim = (mac: string, claim_code: string) =>
    call({ method: 'POST', url: '/api/v1/stations/claim', payload: { mac, claim_code } });
  const heartbeat = (token: string) =>
    call({
      method: 'POST',
      url: '/api/v1/events',
      token,
      payload: { event_id: randomUUID(), type: 'heartbeat', ts: new Date().toISOString() },
    });
  const counts = async () => {
    const db = t.ctx.db;
    const n = async (table: 'devices' | 'api_tokens' | 'audit_log' | 'change_events' | 'stations') =>
      Number(
        (
          await db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    return {
      devices: await n('devices'),
      tokens: await n('api_tokens'),
      audit: await n('audit_log'),
      changes: await n('change_events'),
      stations: await n('stations'),
    };
  };

  beforeAll(async () => {
    t = await createTestApp();
    admin = (await createToken(t.ctx.db, { name: 'test-admin', role: 'admin' })).token;
    for (const [id, name] of [
      ['cus_acme', 'Acme'],
      ['cus_other', 'Other'],
    ]) {
      expect(
        (await call({ method: 'POST', url: '/api/v1/customers', token: admin, payload: { id, name } })).statusCode,
      ).toBe(201);
    }
    for (const [id, customer_id] of [
      ['site_dc-1', 'cus_acme'],
      ['site_other-1', 'cus_other'],
    ]) {
      expect(
        (await call({ method: 'POST', url: '/api/v1/sites', token: admin, payload: { id, customer_id, name: id } }))
          .statusCode,
      ).toBe(201);
    }
  });
  afterAll(async () => t?.close());

  it('an admin registers a claim; the code is stored hashed and never returned', async () => {
    const res = await register({
      mac: 'AA-BB-CC-00-00-01',
      claim_code: 'K7QF-2M9X-P4TD',
      site_id: 'site_dc-1',
      line: 'dock door 7',
      name: 'Door 7',
    });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body).toMatchObject({
      mac: 'aa:bb:cc:00:00:01',
      site_id: 'site_dc-1',
      customer_id: 'cus_acme',
      line: 'dock door 7',
      station_id: null,
      claim_count: 0,
    });
    expect(body.claim_code).toBeUndefined();
    const row = await t.ctx.db
      .selectFrom('station_claims')
      .selectAll()
      .where('mac', '=', 'aa:bb:cc:00:00:01')
      .executeTakeFirstOrThrow();
    expect(row.code_hash).toMatch(/^scrypt\$/);
    expect(row.code_hash).not.toContain('K7QF');
    const audit = await t.ctx.db
      .selectFrom('audit_log')
      .selectAll()
      .where('entity', '=', 'station_claim')
      .where('entity_id', '=', 'aa:bb:cc:00:00:01')
      .execute();
    expect(audit).toHaveLength(1);
    expect(JSON.stringify(audit[0]!.after)).not.toMatch(/K7QF|scrypt/);
    // One claim per MAC, whatever its notation.
    expect((await register({ mac: 'aabb.cc00.0001', claim_code: 'ANOTHER-CODE-1' })).statusCode).toBe(409);
  });

  it('generates a printable claim code when none is given, and returns it once', async () => {
    const res = await register({ mac: 'aa:bb:cc:00:00:02' });
    expect(res.statusCode).toBe(201);
    expect(res.json().claim_code).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/);
    // The station types it as printed, or in lower case without dashes: both work.
    const typed = (res.json().claim_code as string).toLowerCase().replace(/-/g, ' ');
    expect((await claim('AA:BB:CC:00:00:02', typed)).statusCode).toBe(200);
  });

  it('only admins register claims; a scoped admin must place the station at one of its sites', async () => {
    const viewer = (await createToken(t.ctx.db, { name: 'v', role: 'viewer' })).token;
    expect((await register({ mac: 'aa:bb:cc:00:00:03', claim_code: 'ABCDEFGH' }, viewer)).statusCode).toBe(403);
    const scoped = (await createToken(t.ctx.db, { name: 'acme-admin', role: 'admin', customerId: 'cus_acme' })).token;
    const noSite = await register({ mac: 'aa:bb:cc:00:00:03', claim_code: 'ABCDEFGH' }, scoped);
    expect(noSite.statusCode).toBe(400);
    expect(noSite.json().issues).toEqual([expect.objectContaining({ path: 'body.site_id' })]);
    expect(
      (await register({ mac: 'aa:bb:cc:00:00:03', claim_code: 'ABCDEFGH', site_id: 'site_other-1' }, scoped))
        .statusCode,
    ).toBe(404);
    expect(
      (await register({ mac: 'aa:bb:cc:00:00:03', claim_code: 'ABCDEFGH', site_id: 'site_dc-1' }, scoped)).statusCode,
    ).toBe(201);
  });

  it('validates the MAC and the code with the 400 shape', async () => {
    const res = await register({ mac: 'not-a-mac', claim_code: 'short' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: 'validation' });
    expect(
      res
        .json()
        .issues.map((i: { path: string }) => i.path)
        .sort(),
    ).toEqual(['body.claim_code', 'body.mac']);
  });

  it('claim: creates the station device and returns its token and config', async () => {
    const res = await claim('aa:bb:cc:00:00:01', 'k7qf 2m9x p4td');
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.station_id).toMatch(/^dev_/);
    expect(body.token).toMatch(/^fbk_/);
    expect(body.config).toMatchObject({
      api_base: '/api/v1',
      events_endpoint: '/api/v1/events',
      heartbeat_interval_s: 60,
      site_id: 'site_dc-1',
      customer_id: 'cus_acme',
      line: 'dock door 7',
      name: 'Door 7',
      mapped: true,
      batch: { max_events: 500 },
    });
    const device = await call({ method: 'GET', url: `/api/v1/devices/${body.station_id}`, token: admin });
    expect(device.json()).toMatchObject({
      id: body.station_id,
      role: 'station',
      product_code: 'rfid-station',
      site_id: 'site_dc-1',
      customer_id: 'cus_acme',
      external_refs: { rfid: { station_id: body.station_id, mac: 'aa:bb:cc:00:00:01' } },
    });
    const token = await t.ctx.db
      .selectFrom('api_tokens')
      .selectAll()
      .where('station_id', '=', body.station_id)
      .executeTakeFirstOrThrow();
    expect(token).toMatchObject({ role: 'station', revoked_at: null });
    expect(token.secret_hash).not.toBe(body.token);
    const audit = await t.ctx.db
      .selectFrom('audit_log')
      .select(['action', 'entity'])
      .where('entity_id', '=', body.station_id)
      .orderBy('id')
      .execute();
    expect(audit).toEqual([
      { action: 'create', entity: 'device' },
      { action: 'claim', entity: 'station' },
    ]);
    const changes = await t.ctx.db
      .selectFrom('change_events')
      .select('type')
      .where('subject_id', '=', body.station_id)
      .orderBy('id')
      .execute();
    expect(changes.map((c) => c.type)).toEqual(['device.created', 'station.claimed']);
    expect((await heartbeat(body.token)).statusCode).toBe(200);
  });

  it('a wrong code or an unknown MAC: the same generic 401, and nothing written', async () => {
    const before = await counts();
    const wrong = await claim('aa:bb:cc:00:00:01', 'WRONG-CODE-1');
    const unknown = await claim('aa:bb:cc:99:99:99', 'K7QF-2M9X-P4TD');
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    expect(wrong.json()).toEqual(unknown.json());
    expect(wrong.json().error).toBe('unauthorized');
    expect(await counts()).toEqual(before);
  });

  it('a second claim with the same pair re-issues: same station, new token, the old one revoked', async () => {
    const first = (await claim('aa:bb:cc:00:00:01', 'K7QF2M9XP4TD')).json();
    const again = await claim('aa:bb:cc:00:00:01', 'K7QF-2M9X-P4TD');
    expect(again.statusCode).toBe(200);
    const second = again.json();
    expect(second.station_id).toBe(first.station_id);
    expect(second.token).not.toBe(first.token);
    expect((await heartbeat(first.token)).statusCode).toBe(401);
    expect((await heartbeat(second.token)).statusCode).toBe(200);
    const live = await t.ctx.db
      .selectFrom('api_tokens')
      .select('id')
      .where('station_id', '=', first.station_id)
      .where('revoked_at', 'is', null)
      .execute();
    expect(live).toHaveLength(1);
    const devices = await t.ctx.db
      .selectFrom('devices')
      .select('id')
      .where('role', '=', 'station')
      .where('site_id', '=', 'site_dc-1')
      .execute();
    expect(devices.filter((d) => d.id === first.station_id)).toHaveLength(1);
    const reclaim = await t.ctx.db
      .selectFrom('audit_log')
      .selectAll()
      .where('entity_id', '=', first.station_id)
      .where('action', '=', 'reclaim')
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
    expect((reclaim.after as { revoked_tokens: string[] }).revoked_tokens).toHaveLength(1);
    const claimRow = await t.ctx.db
      .selectFrom('station_claims')
      .select(['claim_count', 'station_id'])
      .where('mac', '=', 'aa:bb:cc:00:00:01')
      .executeTakeFirstOrThrow();
    // Claimed three times by now: the test above, then first and again here.
    expect(claimRow).toEqual({ claim_count: 3, station_id: first.station_id });
  });

  it('a station token reads nothing: registry routes answer 403', async () => {
    const { token } = (await claim('aa:bb:cc:00:00:01', 'K7QF2M9XP4TD')).json();
    for (const url of ['/api/v1/devices', '/api/v1/sites', '/api/v1/customers', '/api/v1/audit']) {
      const res = await call({ method: 'GET', url, token });
      expect(res.statusCode, url).toBe(403);
      expect(res.json().error).toBe('forbidden');
    }
    expect((await register({ mac: 'aa:bb:cc:00:00:09', claim_code: 'ABCDEFGH' }, token)).statusCode).toBe(403);
  });

  it('links a claim to an existing station device with the same MAC', async () => {
    const created = await call({
      method: 'POST',
      url: '/api/v1/devices',
      token: admin,
      payload: {
        id: 'dev_door-9',
        role: 'station',
        product_code: 'rfid-station',
        site_id: 'site_dc-1',
        external_refs: { rfid: { station_id: 'dev_door-9', mac: 'aa:bb:cc:00:00:0a' } },
      },
    });
    expect(created.statusCode).toBe(201);
    const reg = await register({ mac: 'AA:BB:CC:00:00:0A', claim_code: 'DOOR9CODE' });
    expect(reg.json()).toMatchObject({ station_id: 'dev_door-9', site_id: 'site_dc-1' });
    const res = await claim('aa:bb:cc:00:00:0a', 'door9code');
    expect(res.json().station_id).toBe('dev_door-9');
    // A sensor's MAC cannot be claimed as a station.
    await call({
      method: 'POST',
      url: '/api/v1/devices',
      token: admin,
      payload: { role: 'sensor', product_code: 'soil-probe', external_refs: { rfid: { mac: 'aa:bb:cc:00:00:0b' } } },
    });
    expect((await register({ mac: 'aa:bb:cc:00:00:0b', claim_code: 'SENSORCODE' })).statusCode).toBe(409);
  });

  it('brakes guessing: after 10 wrong codes for a MAC even the right one gets the generic 401', async () => {
    expect((await register({ mac: 'aa:bb:cc:00:00:0c', claim_code: 'RIGHTCODE' })).statusCode).toBe(201);
    for (let i = 0; i < 10; i++) expect((await claim('aa:bb:cc:00:00:0c', `WRONG${i}CODE`)).statusCode).toBe(401);
    const res = await claim('aa:bb:cc:00:00:0c', 'RIGHTCODE');
    expect(res.statusCode).toBe(401);
    expect(
      await t.ctx.db
        .selectFrom('station_claims')
        .select('station_id')
        .where('mac', '=', 'aa:bb:cc:00:00:0c')
        .executeTakeFirstOrThrow(),
    ).toEqual({ station_id: null });
  });
});
