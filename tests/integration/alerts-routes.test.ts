import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAlert } from '../../data-api/src/health/alerts/service.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { backendName, bearer, seedFleet, tag, type Fleet } from './ingest-fixtures.ts';

// contracts.md: `/api/v1/alerts…` list, acknowledge, resolve. Operators acknowledge and
// resolve; every change is audited and put on the change feed in the same transaction;
// a customer-scoped token sees and changes only its own alerts (404 for the others).
describe(`alerts API (${backendName()})`, () => {
  let t: TestApp;
  let fleet: Fleet;
  let otherFleet: Fleet;
  const id = tag();
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    t = await createTestApp();
    fleet = await seedFleet(t.ctx.db, id, { sites: 1, devices: [{ name: 'a' }, { name: 'b' }, { name: 'c' }] });
    otherFleet = await seedFleet(t.ctx.db, `${id}o`, { sites: 1, devices: [{ name: 'z' }] });
    const open = async (name: string, f: Fleet, severity: 'critical' | 'warning' | 'info') => {
      const d = f.devices[name]!;
      const row = await openAlert(t.ctx.db, 'test', {
        ruleId: 'device_down',
        subject: { type: 'device', id: d.id },
        customerId: f.customer,
        siteId: d.site,
        severity,
        title: `${d.id} is down`,
        dedupeKey: `device_down:${d.id}`,
      });
      ids[name] = row!.id;
    };
    await open('a', fleet, 'warning');
    await open('b', fleet, 'critical');
    await open('c', fleet, 'info');
    await open('z', otherFleet, 'critical');
  });
  afterAll(async () => t?.close());

  const get = async (url: string, headers: Record<string, string>) => t.app.inject({ method: 'GET', url, headers });
  const post = async (url: string, headers: Record<string, string>, payload?: unknown) =>
    t.app.inject({
      method: 'POST',
      url,
      headers: payload ? { ...headers, 'content-type': 'application/json' } : headers,
      payload: payload ? JSON.stringify(payload) : undefined,
    });

  it('opens an alert once per dedupe key while it is unresolved', async () => {
    const again = await openAlert(t.ctx.db, 'test', {
      ruleId: 'device_down',
      subject: { type: 'device', id: fleet.devices.a!.id },
      customerId: fleet.customer,
      siteId: null,
      severity: 'warning',
      title: 'again',
      dedupeKey: `device_down:${fleet.devices.a!.id}`,
    });
    expect(again).toBeNull();
  });

  it('lists alerts newest first, filtered by state, severity and subject', async () => {
    const viewer = await bearer(t.ctx.db, 'viewer', fleet.customer);
    const all = (await get('/api/v1/alerts', viewer)).json();
    expect(all.items.map((a: { id: string }) => a.id)).toEqual([ids.c, ids.b, ids.a]);
    expect(all.items[0]).toMatchObject({
      rule_id: 'device_down',
      subject: { type: 'device', id: fleet.devices.c!.id },
      state: 'open',
      severity: 'info',
      customer_id: fleet.customer,
    });
    const critical = (await get('/api/v1/alerts?severity=critical', viewer)).json();
    expect(critical.items.map((a: { id: string }) => a.id)).toEqual([ids.b]);
    const bySubject = (
      await get(`/api/v1/alerts?subject_type=device&subject_id=${fleet.devices.a!.id}`, viewer)
    ).json();
    expect(bySubject.items.map((a: { id: string }) => a.id)).toEqual([ids.a]);
    const page = (await get('/api/v1/alerts?limit=2', viewer)).json();
    expect(page.items).toHaveLength(2);
    const rest = (await get(`/api/v1/alerts?limit=2&cursor=${page.next_cursor}`, viewer)).json();
    expect(rest.items.map((a: { id: string }) => a.id)).toEqual([ids.a]);
    expect(rest.next_cursor).toBeNull();
    expect((await get('/api/v1/alerts?state=closed', viewer)).statusCode).toBe(400);
  });

  it('lets an operator acknowledge, then resolve, with audit and change events', async () => {
    const operator = await bearer(t.ctx.db, 'operator');
    const acked = await post(`/api/v1/alerts/${ids.a}/acknowledge`, operator, { note: 'on my way' });
    expect(acked.statusCode).toBe(200);
    expect(acked.json()).toMatchObject({
      id: ids.a,
      state: 'acknowledged',
      acked_by: expect.stringMatching(/^operator-/),
      acked_at: expect.any(String),
    });
    // Acknowledging twice changes nothing.
    const twice = await post(`/api/v1/alerts/${ids.a}/acknowledge`, operator);
    expect(twice.json().acked_at).toBe(acked.json().acked_at);
    const resolved = await post(`/api/v1/alerts/${ids.a}/resolve`, operator);
    expect(resolved.json()).toMatchObject({ state: 'resolved', resolved_by: expect.stringMatching(/^operator-/) });
    const conflict = await post(`/api/v1/alerts/${ids.a}/resolve`, operator);
    expect(conflict.statusCode).toBe(409);
    expect((await post(`/api/v1/alerts/${ids.a}/acknowledge`, operator)).statusCode).toBe(409);

    const audit = await t.ctx.db
      .selectFrom('audit_log')
      .select(['action', 'before', 'after'])
      .where('entity_id', '=', ids.a!)
      .orderBy('id')
      .execute();
    expect(audit.map((a) => a.action)).toEqual(['alert.open', 'alert.acknowledge', 'alert.resolve']);
    expect(audit[1]!.after).toMatchObject({ state: 'acknowledged', note: 'on my way' });
    const feed = await t.ctx.db
      .selectFrom('change_events')
      .select(['type', 'customer_id'])
      .where('subject_id', '=', ids.a!)
      .orderBy('id')
      .execute();
    expect(feed).toEqual([
      { type: 'alert.opened', customer_id: fleet.customer },
      { type: 'alert.acknowledged', customer_id: fleet.customer },
      { type: 'alert.resolved', customer_id: fleet.customer },
    ]);
    // Once resolved, the same outage key may open a new alert.
    const reopened = await openAlert(t.ctx.db, 'test', {
      ruleId: 'device_down',
      subject: { type: 'device', id: fleet.devices.a!.id },
      customerId: fleet.customer,
      siteId: null,
      severity: 'warning',
      title: 'again',
      dedupeKey: `device_down:${fleet.devices.a!.id}`,
    });
    expect(reopened?.id).not.toBe(ids.a);
  });

  it('refuses viewers, and hides other tenants’ alerts as missing', async () => {
    const viewer = await bearer(t.ctx.db, 'viewer');
    expect((await post(`/api/v1/alerts/${ids.b}/acknowledge`, viewer)).statusCode).toBe(403);
    expect((await post(`/api/v1/alerts/${ids.b}/acknowledge`, {})).statusCode).toBe(401);
    const scopedOperator = await bearer(t.ctx.db, 'operator', fleet.customer);
    const foreign = await post(`/api/v1/alerts/${ids.z}/resolve`, scopedOperator);
    expect(foreign.statusCode).toBe(404);
    expect((await get(`/api/v1/alerts/${ids.z}`, scopedOperator)).statusCode).toBe(404);
    const list = (await get('/api/v1/alerts', scopedOperator)).json();
    expect(list.items.map((a: { id: string }) => a.id)).not.toContain(ids.z);
    expect((await get(`/api/v1/alerts/${ids.z}`, viewer)).json()).toMatchObject({
      id: ids.z,
      customer_id: otherFleet.customer,
    });
    expect((await get('/api/v1/alerts/alr_missing', viewer)).statusCode).toBe(404);
  });

  it('is described in the OpenAPI document with its role requirements', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json();
    expect(doc.paths['/api/v1/alerts/{id}/acknowledge'].post.description).toContain('Requires: operator');
    expect(doc.paths['/api/v1/alerts'].get.responses['200'].content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/AlertPage',
    });
    for (const path of [
      '/api/v1/dead-letters',
      '/api/v1/uptime',
      '/api/v1/devices/{id}/telemetry',
      '/api/v1/devices/{id}/commands',
      '/api/v1/devices/{id}/commands/{cmd_id}',
    ]) {
      expect(doc.paths[path], path).toBeDefined();
    }
  });
});
