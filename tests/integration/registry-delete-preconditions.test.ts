import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { requestJson } from '../helpers/http.ts';
import { bearer, snapshot } from '../helpers/registry.ts';

// Conditional deletes: a DELETE with If-Match goes only while the record is still the version
// read (412 with the record as it is now, nothing deleted, cascade or not). A field engineer who
// read a site while a colleague changed it must not delete the changed site unseen. `*` and no
// If-Match delete whatever is current, as before. PUT desired-state, a write on the same
// versioned device, takes If-Match too.

const CUS = 'cus_pdel-mine';
const OTHER = 'cus_pdel-theirs';

describe('registry DELETE (and PUT desired-state) with If-Match', () => {
  let t: TestApp;
  let base: string;
  let token: string;
  const api = (method: string, path: string, options: { body?: unknown; headers?: Record<string, string> } = {}) =>
    requestJson(`${base}/api/v1${path}`, { method, token, ...options });
  const ok = async (method: string, path: string, body?: unknown, status = 201) => {
    const res = await api(method, path, { body });
    expect(res.status, `${method} ${path}: ${JSON.stringify(res.body)}`).toBe(status);
    return res;
  };
  /** The ETag of a read, then someone else's change: the tag the caller holds is stale. */
  const staleAfterChange = async (path: string, change: Record<string, unknown>) => {
    const read = await ok('GET', path, undefined, 200);
    expect(read.etag).toBe(`"${read.body.updated_at}"`);
    await new Promise((r) => setTimeout(r, 5)); // a later updated_at than the read's
    await ok('PATCH', path, change, 200);
    return read.etag!;
  };

  beforeAll(async () => {
    t = await createTestApp();
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    token = await bearer(t.ctx.db, 'admin', null, 'pdel-admin');
    for (const cus of [CUS, OTHER]) await ok('POST', '/customers', { id: cus, name: cus });
    await ok('POST', '/sites', { id: 'site_pdel-theirs', customer_id: OTHER, name: 'theirs', timezone: 'UTC' });
  });
  afterAll(async () => t?.close());

  it('a stale If-Match on DELETE /sites/:id is 412 with the site as it is now, and deletes nothing', async () => {
    const SITE = 'site_pdel-plain';
    await ok('POST', '/sites', { id: SITE, customer_id: CUS, name: 'Plain', timezone: 'UTC' });
    const stale = await staleAfterChange(`/sites/${SITE}`, { network_server: 'lns.colleague.example' });
    const before = await snapshot(t.ctx.db);
    const res = await api('DELETE', `/sites/${SITE}`, { headers: { 'if-match': stale } });
    expect(res.status, JSON.stringify(res.body)).toBe(412);
    expect(res.body.error).toBe('precondition_failed');
    expect(res.body.message).toContain(`site ${SITE} was changed by someone else since you read it`);
    expect(res.body.message).toContain('nothing was deleted');
    expect(res.body.current).toMatchObject({ id: SITE, network_server: 'lns.colleague.example' });
    expect(await snapshot(t.ctx.db)).toEqual(before);
    // Weak tags never match (strong comparison), even the current one.
    const now = (await ok('GET', `/sites/${SITE}`, undefined, 200)).etag!;
    expect((await api('DELETE', `/sites/${SITE}`, { headers: { 'if-match': `W/${now}` } })).status).toBe(412);
    expect(await snapshot(t.ctx.db)).toEqual(before);
    // Re-read: the current tag deletes it.
    const gone = await api('DELETE', `/sites/${SITE}`, { headers: { 'if-match': `"nope", ${now}` } });
    expect(gone.status, JSON.stringify(gone.body)).toBe(204);
    expect((await api('GET', `/sites/${SITE}`)).status).toBe(404);
  });

  it('a cascade delete with a stale If-Match takes nothing with it: deployments, devices and inventory stay', async () => {
    const SITE = 'site_pdel-cascade';
    await ok('POST', '/sites', { id: SITE, customer_id: CUS, name: 'Cascade', timezone: 'UTC' });
    await ok('POST', '/deployments', {
      id: 'dep_pdel-cascade',
      site_id: SITE,
      product_code: 'lorawan-gw',
      product_version: '2.1.0',
    });
    await ok('POST', '/devices', {
      id: 'dev_pdel-cascade-1',
      deployment_id: 'dep_pdel-cascade',
      product_code: 'soil-probe',
      role: 'sensor',
    });
    await ok('POST', '/inventory', {
      id: 'inv_pdel-cascade',
      sku: 'GW-OUT-8CH',
      state: 'allocated',
      deployment_id: 'dep_pdel-cascade',
    });
    const stale = await staleAfterChange(`/sites/${SITE}`, { lan_notes: 'moved to the pump house' });
    const before = await snapshot(t.ctx.db);
    const res = await api('DELETE', `/sites/${SITE}?cascade=true`, { headers: { 'if-match': stale } });
    expect(res.status, JSON.stringify(res.body)).toBe(412);
    expect(res.body.current).toMatchObject({ id: SITE, lan_notes: 'moved to the pump house' });
    expect(await snapshot(t.ctx.db)).toEqual(before);
    expect((await ok('GET', '/inventory/inv_pdel-cascade', undefined, 200)).body).toMatchObject({
      state: 'allocated',
      deployment_id: 'dep_pdel-cascade',
    });
    // The precondition comes before the 409 for what the site holds: re-read first.
    expect((await api('DELETE', `/sites/${SITE}`, { headers: { 'if-match': stale } })).status).toBe(412);
    const fresh = (await ok('GET', `/sites/${SITE}`, undefined, 200)).etag!;
    expect((await api('DELETE', `/sites/${SITE}`, { headers: { 'if-match': fresh } })).status).toBe(409);
    const gone = await api('DELETE', `/sites/${SITE}?cascade=true`, { headers: { 'if-match': fresh } });
    expect(gone.status, JSON.stringify(gone.body)).toBe(204);
    expect((await api('GET', '/devices/dev_pdel-cascade-1')).status).toBe(404);
    expect((await ok('GET', '/inventory/inv_pdel-cascade', undefined, 200)).body.state).toBe('in_stock');
  });

  it('If-Match * and no If-Match delete whatever is current, as before', async () => {
    const variants: Array<Record<string, string>> = [{ 'if-match': '*' }, {}];
    for (const [i, headers] of variants.entries()) {
      const SITE = `site_pdel-any-${i}`;
      await ok('POST', '/sites', { id: SITE, customer_id: CUS, name: 'Any', timezone: 'UTC' });
      await staleAfterChange(`/sites/${SITE}`, { name: 'Any, renamed' });
      const res = await api('DELETE', `/sites/${SITE}`, { headers });
      expect(res.status, JSON.stringify(res.body)).toBe(204);
      expect((await api('GET', `/sites/${SITE}`)).status).toBe(404);
    }
  });

  it.each([
    ['customers', () => ({ id: 'cus_pdel-gone', name: 'Gone' }), { name: 'Gone, renamed' }],
    [
      'deployments',
      () => ({ id: 'dep_pdel-gone', site_id: 'site_pdel-host', product_code: 'lorawan-gw', product_version: '2.1.0' }),
      { name: 'renamed' },
    ],
    [
      'devices',
      () => ({ id: 'dev_pdel-gone-1', site_id: 'site_pdel-host', product_code: 'soil-probe', role: 'sensor' }),
      { name: 'renamed' },
    ],
    ['inventory', () => ({ id: 'inv_pdel-gone', sku: 'GW-OUT-8CH' }), { serial: 'SN-PDEL-1' }],
  ])('DELETE /%s/:id honours If-Match the same way', async (path, create, change) => {
    if ((await api('GET', '/sites/site_pdel-host')).status === 404)
      await ok('POST', '/sites', { id: 'site_pdel-host', customer_id: CUS, name: 'Host', timezone: 'UTC' });
    const { id } = (await ok('POST', `/${path}`, create())).body as { id: string };
    const stale = await staleAfterChange(`/${path}/${id}`, change);
    const before = await snapshot(t.ctx.db);
    const refused = await api('DELETE', `/${path}/${id}`, { headers: { 'if-match': stale } });
    expect(refused.status, JSON.stringify(refused.body)).toBe(412);
    expect(refused.body).toMatchObject({ error: 'precondition_failed', current: { id, ...change } });
    expect(refused.body.message).toContain('nothing was deleted');
    expect(await snapshot(t.ctx.db)).toEqual(before);
    const fresh = (await ok('GET', `/${path}/${id}`, undefined, 200)).etag!;
    expect((await api('DELETE', `/${path}/${id}`, { headers: { 'if-match': fresh } })).status).toBe(204);
    expect((await api('GET', `/${path}/${id}`)).status).toBe(404);
  });

  it('another customer’s site is a 404 (never a 412), a malformed If-Match a 400, and both delete nothing', async () => {
    const scoped = await bearer(t.ctx.db, 'admin', CUS, 'pdel-scoped');
    const before = await snapshot(t.ctx.db);
    for (const ifMatch of ['"stale"', '*']) {
      const res = await requestJson(`${base}/api/v1/sites/site_pdel-theirs`, {
        method: 'DELETE',
        token: scoped,
        headers: { 'if-match': ifMatch },
      });
      expect(res.status, JSON.stringify(res.body)).toBe(404);
    }
    const bad = await api('DELETE', '/sites/site_pdel-theirs', { headers: { 'if-match': 'not-quoted' } });
    expect(bad.status).toBe(400);
    expect(bad.body.issues.map((i: { path: string }) => i.path)).toEqual(['headers.if-match']);
    expect(await snapshot(t.ctx.db)).toEqual(before);
  });

  it('PUT /devices/:id/desired-state honours If-Match and answers the new ETag', async () => {
    if ((await api('GET', '/sites/site_pdel-host')).status === 404)
      await ok('POST', '/sites', { id: 'site_pdel-host', customer_id: CUS, name: 'Host', timezone: 'UTC' });
    const DEV = 'dev_pdel-desired-1';
    await ok('POST', '/devices', { id: DEV, site_id: 'site_pdel-host', product_code: 'soil-probe', role: 'sensor' });
    const stale = await staleAfterChange(`/devices/${DEV}`, { name: 'renamed by a colleague' });
    const before = await snapshot(t.ctx.db);
    const refused = await api('PUT', `/devices/${DEV}/desired-state`, {
      body: { desired_state: { adr: true } },
      headers: { 'if-match': stale },
    });
    expect(refused.status, JSON.stringify(refused.body)).toBe(412);
    expect(refused.body).toMatchObject({
      error: 'precondition_failed',
      current: { id: DEV, name: 'renamed by a colleague', desired_version: 0 },
    });
    expect(await snapshot(t.ctx.db)).toEqual(before);
    const fresh = (await ok('GET', `/devices/${DEV}`, undefined, 200)).etag!;
    const applied = await api('PUT', `/devices/${DEV}/desired-state`, {
      body: { desired_state: { adr: true } },
      headers: { 'if-match': fresh },
    });
    expect(applied.status, JSON.stringify(applied.body)).toBe(200);
    expect(applied.body.desired_version).toBe(1);
    expect(applied.etag).toBe(`"${applied.body.updated_at}"`);
    expect(applied.etag).not.toBe(fresh);
  });

  it('the OpenAPI document names If-Match and the 412 on every registry DELETE and on PUT desired-state', async () => {
    const doc = (await ok('GET', '/openapi.json', undefined, 200)).body;
    const ops = [
      ...['customers', 'sites', 'deployments', 'devices', 'inventory'].map(
        (p) => doc.paths[`/api/v1/${p}/{id}`].delete,
      ),
      doc.paths['/api/v1/devices/{id}/desired-state'].put,
    ];
    for (const op of ops) {
      expect(op.parameters.map((p: { name: string; in: string }) => `${p.in}:${p.name}`)).toContain('header:if-match');
      expect(Object.keys(op.responses)).toContain('412');
      expect(op.description).toContain('If-Match');
    }
  });
});
