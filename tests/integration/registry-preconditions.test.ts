import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { bearer, client, must, snapshot, type Client } from '../helpers/registry.ts';

// Conditional registry writes: GET answers an ETag, PATCH with If-Match applies only to that
// version (412 otherwise, nothing written), PATCH without If-Match behaves as before. A form
// opened on an old copy must not overwrite someone else's edit unseen.

const CUS = 'cus_pre-mine';
const OTHER = 'cus_pre-theirs';
const SITE = 'site_pre-mine';
const THEIR_SITE = 'site_pre-theirs';
const DEP = 'dep_pre-mine';
const DEV = 'dev_pre-mine-1';
const INV = 'inv_pre-mine';

describe('registry PATCH with If-Match', () => {
  let t: TestApp;
  let admin: Client;
  let token: string;
  /** The admin's client with extra headers (If-Match). */
  const withHeaders = (headers: Record<string, string>) => client(t.app, token, { headers });

  beforeAll(async () => {
    t = await createTestApp();
    token = await bearer(t.ctx.db, 'admin', null, 'pre-admin');
    admin = client(t.app, token);
    for (const [cus, site] of [
      [CUS, SITE],
      [OTHER, THEIR_SITE],
    ] as const) {
      await must(admin.post('/customers', { id: cus, name: cus }));
      await must(admin.post('/sites', { id: site, customer_id: cus, name: site, timezone: 'Asia/Bangkok' }));
    }
    await must(
      admin.post('/deployments', { id: DEP, site_id: SITE, product_code: 'lorawan-gw', product_version: '2.1.0' }),
    );
    await must(admin.post('/devices', { id: DEV, deployment_id: DEP, product_code: 'soil-probe', role: 'sensor' }));
    await must(admin.post('/inventory', { id: INV, sku: 'GW-OUT-8CH' }));
  });
  afterAll(async () => t?.close());

  it('GET and PATCH answer the ETag; a PATCH with the current one applies and answers the next', async () => {
    const read = await admin.get(`/sites/${SITE}`);
    const etag = read.headers.etag as string;
    expect(etag).toBe(`"${read.json().updated_at}"`);
    const res = await withHeaders({ 'if-match': etag }).patch(`/sites/${SITE}`, {
      lan_notes: 'pve01 10.20.0.5\nvm lns-01 (VMID 101) 10.20.0.10',
      network_server: '10.20.0.10',
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ lan_notes: 'pve01 10.20.0.5\nvm lns-01 (VMID 101) 10.20.0.10' });
    expect(res.headers.etag).toBe(`"${res.json().updated_at}"`);
    expect(res.headers.etag).not.toBe(etag);
    expect((await admin.get(`/sites/${SITE}`)).headers.etag).toBe(res.headers.etag);
  });

  it('a PATCH with a stale If-Match is 412, names the site and says to re-read, carries the current site, and writes nothing', async () => {
    const stale = (await admin.get(`/sites/${SITE}`)).headers.etag as string;
    await must(admin.patch(`/sites/${SITE}`, { network_server: 'lns.other.example' }), 200); // someone else
    const before = await snapshot(t.ctx.db);
    const res = await withHeaders({ 'if-match': stale }).patch(`/sites/${SITE}`, { network_server: '10.20.0.11' });
    expect(res.statusCode, res.body).toBe(412);
    const body = res.json();
    expect(body.error).toBe('precondition_failed');
    expect(body.message).toContain(`site ${SITE} was changed by someone else since you read it`);
    expect(body.message).toContain('read it again');
    expect(body.current).toMatchObject({ id: SITE, network_server: 'lns.other.example' });
    expect(await snapshot(t.ctx.db)).toEqual(before);
    expect((await admin.get(`/sites/${SITE}`)).json().network_server).toBe('lns.other.example');
  });

  it('If-Match * and a list holding the current tag apply; a weak tag never matches', async () => {
    const etag = (await admin.get(`/sites/${SITE}`)).headers.etag as string;
    expect((await withHeaders({ 'if-match': `W/${etag}` }).patch(`/sites/${SITE}`, { name: 'x' })).statusCode).toBe(
      412,
    );
    const listed = await withHeaders({ 'if-match': `"nope", ${etag}` }).patch(`/sites/${SITE}`, { name: 'Pre north' });
    expect(listed.statusCode, listed.body).toBe(200);
    const star = await withHeaders({ 'if-match': '*' }).patch(`/sites/${SITE}`, { name: 'Pre north 2' });
    expect(star.statusCode, star.body).toBe(200);
  });

  it('a malformed If-Match is a 400 at headers.if-match', async () => {
    const res = await withHeaders({ 'if-match': 'not-quoted' }).patch(`/sites/${SITE}`, { name: 'y' });
    expect(res.statusCode).toBe(400);
    expect(res.json().issues.map((i: { path: string }) => i.path)).toEqual(['headers.if-match']);
  });

  it('without If-Match a PATCH applies to whatever is current, as before', async () => {
    const old = (await admin.get(`/sites/${SITE}`)).json();
    await must(admin.patch(`/sites/${SITE}`, { region: 'AS923_1' }), 200);
    const res = await admin.patch(`/sites/${SITE}`, { region: 'EU868' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers.etag).toBe(`"${res.json().updated_at}"`); // and says which version it made
    expect(res.json()).toMatchObject({ ...old, region: 'EU868', updated_at: res.json().updated_at });
  });

  it.each([
    ['customers', CUS, { name: 'Pre mine renamed' }],
    ['deployments', DEP, { name: 'pre deployment' }],
    ['devices', DEV, { name: 'pre device' }],
    ['inventory', INV, { serial: 'SN-PRE-1' }],
  ])('PATCH /%s/:id honours If-Match the same way', async (path, id, change) => {
    const stale = (await admin.get(`/${path}/${id}`)).headers.etag as string;
    expect(stale).toMatch(/^"\d{4}-/);
    await new Promise((r) => setTimeout(r, 5)); // a later updated_at than the read's
    await must(admin.patch(`/${path}/${id}`, change), 200);
    const refused = await withHeaders({ 'if-match': stale }).patch(`/${path}/${id}`, change);
    expect(refused.statusCode, refused.body).toBe(412);
    expect(refused.json()).toMatchObject({ error: 'precondition_failed', current: { id } });
    const fresh = (await admin.get(`/${path}/${id}`)).headers.etag as string;
    expect((await withHeaders({ 'if-match': fresh }).patch(`/${path}/${id}`, change)).statusCode).toBe(200);
  });

  it('tenancy and roles come first: another customer’s site is a 404 (not a 412), a viewer or operator a 403', async () => {
    const theirs = (await admin.get(`/sites/${THEIR_SITE}`)).headers.etag as string;
    expect(theirs).toMatch(/^"/);
    const scoped = await bearer(t.ctx.db, 'admin', CUS, 'pre-scoped-admin');
    const before = await snapshot(t.ctx.db);
    for (const ifMatch of [theirs, '"stale"']) {
      const res = await client(t.app, scoped, { headers: { 'if-match': ifMatch } }).patch(`/sites/${THEIR_SITE}`, {
        lan_notes: 'mine now',
      });
      expect(res.statusCode, res.body).toBe(404);
      expect(res.json().error).toBe('not_found');
    }
    for (const role of ['viewer', 'operator'] as const) {
      const mine = (await admin.get(`/sites/${SITE}`)).headers.etag as string;
      const res = await client(t.app, await bearer(t.ctx.db, role, null, `pre-${role}`), {
        headers: { 'if-match': mine },
      }).patch(`/sites/${SITE}`, { lan_notes: 'from a viewer' });
      expect(res.statusCode, res.body).toBe(403);
    }
    // The tokens above are the only writes.
    const after = await snapshot(t.ctx.db);
    expect({ ...after, api_tokens: '' }).toEqual({ ...before, api_tokens: '' });
    // Its own site, with the current tag: applies.
    const etag = (await admin.get(`/sites/${SITE}`)).headers.etag as string;
    const own = await client(t.app, scoped, { headers: { 'if-match': etag } }).patch(`/sites/${SITE}`, {
      lan_notes: 'scoped edit',
    });
    expect(own.statusCode, own.body).toBe(200);
  });

  it('tenancy first on every kind: another customer’s record is a 404 (never a 412) to a PATCH, DELETE or PUT desired-state with a stale or its current If-Match', async () => {
    await must(
      admin.post('/deployments', {
        id: 'dep_pre-theirs',
        site_id: THEIR_SITE,
        product_code: 'lorawan-gw',
        product_version: '2.1.0',
      }),
    );
    await must(
      admin.post('/devices', {
        id: 'dev_pre-theirs-1',
        deployment_id: 'dep_pre-theirs',
        product_code: 'soil-probe',
        role: 'sensor',
      }),
    );
    await must(admin.post('/inventory', { id: 'inv_pre-theirs', sku: 'GW-OUT-8CH', deployment_id: 'dep_pre-theirs' }));
    const writes: Array<[method: 'PATCH' | 'DELETE' | 'PUT', read: string, path: string, body?: unknown]> = [
      ['PATCH', `/customers/${OTHER}`, `/customers/${OTHER}`, { name: 'mine now' }],
      ['PATCH', `/sites/${THEIR_SITE}`, `/sites/${THEIR_SITE}`, { name: 'mine now' }],
      ['DELETE', `/sites/${THEIR_SITE}`, `/sites/${THEIR_SITE}?cascade=true`],
      ['PATCH', '/deployments/dep_pre-theirs', '/deployments/dep_pre-theirs', { name: 'mine now' }],
      ['DELETE', '/deployments/dep_pre-theirs', '/deployments/dep_pre-theirs'],
      ['PATCH', '/devices/dev_pre-theirs-1', '/devices/dev_pre-theirs-1', { name: 'mine now' }],
      ['PUT', '/devices/dev_pre-theirs-1', '/devices/dev_pre-theirs-1/desired-state', { desired_state: { adr: true } }],
      ['DELETE', '/devices/dev_pre-theirs-1', '/devices/dev_pre-theirs-1'],
      ['PATCH', '/inventory/inv_pre-theirs', '/inventory/inv_pre-theirs', { serial: 'SN-MINE-NOW' }],
      ['DELETE', '/inventory/inv_pre-theirs', '/inventory/inv_pre-theirs'],
    ];
    const scoped = await bearer(t.ctx.db, 'admin', CUS, 'pre-scoped-every-kind');
    const before = await snapshot(t.ctx.db);
    for (const [method, read, path, body] of writes) {
      const current = (await admin.get(read)).headers.etag as string;
      expect(current, read).toMatch(/^"\d{4}-/);
      for (const ifMatch of ['"2020-01-01T00:00:00.000Z"', current]) {
        const res = await client(t.app, scoped, { headers: { 'if-match': ifMatch } }).call(method, path, body);
        expect(res.statusCode, `${method} ${path} If-Match ${ifMatch}: ${res.body}`).toBe(404);
        expect(res.json().error).toBe('not_found');
      }
    }
    expect(await snapshot(t.ctx.db)).toEqual(before);
  });

  it('the OpenAPI document names the If-Match header, the ETag and the 412 on every registry PATCH', async () => {
    const doc = (await admin.get('/openapi.json')).json();
    for (const path of ['customers', 'sites', 'deployments', 'devices', 'inventory']) {
      const op = doc.paths[`/api/v1/${path}/{id}`].patch;
      expect(op.parameters.map((p: { name: string; in: string }) => `${p.in}:${p.name}`)).toContain('header:if-match');
      expect(Object.keys(op.responses)).toContain('412');
      expect(op.description).toContain('If-Match');
      expect(doc.paths[`/api/v1/${path}/{id}`].get.description).toContain('ETag');
    }
  });
});
