import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { bearer, client, must, snapshot, type Client } from '../helpers/registry.ts';

// contracts.md: every body and query is validated; a bad one gets 400
// `{"error":"validation","issues":[{"path","message"}]}` and nothing is written; unknown ids
// 404, conflicts 409. Issue: every malformed body, unknown field, wrong id prefix, bad
// cursor, oversize page, wrong-role call, cross-tenant id and duplicate id gets
// 400/401/403/404/409 naming the problem and WRITES NOTHING (rows counted before/after).

type Who = 'admin' | 'viewer' | 'operator' | 'scoped' | 'none';
interface Case {
  name: string;
  who?: Who;
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  url: string;
  body?: unknown;
  contentType?: string;
  status: 400 | 401 | 403 | 404 | 409 | 415;
  /** The issue path (400) or a fragment the message must contain (others). */
  names: string;
}

const long = 'x'.repeat(201);
const device = { deployment_id: 'dep_bad', product_code: 'soil-probe', role: 'sensor' };

const CASES: Case[] = [
  // Malformed bodies
  { name: 'malformed JSON', method: 'POST', url: '/customers', body: '{"name": ', status: 400, names: 'body' },
  { name: 'empty JSON body', method: 'POST', url: '/customers', body: '', status: 400, names: 'body' },
  {
    name: 'a JSON array instead of an object',
    method: 'POST',
    url: '/customers',
    body: '[]',
    status: 400,
    names: 'body',
  },
  {
    name: 'form-encoded body',
    method: 'POST',
    url: '/customers',
    body: 'name=x',
    contentType: 'application/x-www-form-urlencoded',
    status: 415,
    names: 'Unsupported Media Type',
  },
  {
    name: 'missing required field',
    method: 'POST',
    url: '/sites',
    body: { name: 'x' },
    status: 400,
    names: 'body.customer_id',
  },
  { name: 'wrong type', method: 'POST', url: '/customers', body: { name: 42 }, status: 400, names: 'body.name' },
  { name: 'blank name', method: 'POST', url: '/customers', body: { name: '   ' }, status: 400, names: 'body.name' },
  { name: 'too long name', method: 'POST', url: '/customers', body: { name: long }, status: 400, names: 'body.name' },
  {
    name: 'unknown time zone',
    method: 'POST',
    url: '/sites',
    body: { customer_id: 'cus_bad', name: 'x', timezone: 'Mars/Olympus' },
    status: 400,
    names: 'body.timezone',
  },
  {
    name: 'latitude out of range',
    method: 'POST',
    url: '/sites',
    body: { customer_id: 'cus_bad', name: 'x', location: { lat: 91, lon: 0 } },
    status: 400,
    names: 'body.location.lat',
  },
  {
    name: 'unknown deployment state',
    method: 'PATCH',
    url: '/deployments/dep_bad',
    body: { state: 'done' },
    status: 400,
    names: 'body.state',
  },
  {
    name: 'bad date',
    method: 'POST',
    url: '/deployments',
    body: { site_id: 'site_bad', product_code: 'pump-ctl', product_version: '1.4.2', planned_date: '2026-02-30' },
    status: 400,
    names: 'body.planned_date',
  },
  {
    name: 'bad semver',
    method: 'POST',
    url: '/deployments',
    body: { site_id: 'site_bad', product_code: 'pump-ctl', product_version: 'v1' },
    status: 400,
    names: 'body.product_version',
  },
  {
    name: 'unknown role',
    method: 'POST',
    url: '/devices',
    body: { ...device, role: 'toaster' },
    status: 400,
    names: 'body.role',
  },
  {
    name: 'heartbeat below 5 s',
    method: 'POST',
    url: '/devices',
    body: { ...device, heartbeat_interval_s: 1 },
    status: 400,
    names: 'body.heartbeat_interval_s',
  },
  {
    name: 'bad DevEUI',
    method: 'POST',
    url: '/devices',
    body: { ...device, external_refs: { chirpstack: { dev_eui: 'xyz' } } },
    status: 400,
    names: 'body.external_refs.chirpstack.dev_eui',
  },
  {
    name: 'bad MAC',
    method: 'POST',
    url: '/devices',
    body: { ...device, external_refs: { rfid: { mac: 'aa-bb' } } },
    status: 400,
    names: 'body.external_refs.rfid.mac',
  },
  {
    name: 'short AppKey',
    method: 'POST',
    url: '/devices',
    body: { ...device, secrets: { app_key: 'abcd' } },
    status: 400,
    names: 'body.secrets.app_key',
  },
  {
    name: 'desired_state not an object',
    method: 'PUT',
    url: '/devices/dev_bad-1/desired-state',
    body: { desired_state: [1, 2] },
    status: 400,
    names: 'body.desired_state',
  },
  {
    name: 'negative if_version',
    method: 'PUT',
    url: '/devices/dev_bad-1/desired-state',
    body: { desired_state: {}, if_version: -1 },
    status: 400,
    names: 'body.if_version',
  },
  // Unknown fields
  {
    name: 'unknown top-level field',
    method: 'POST',
    url: '/customers',
    body: { name: 'x', colour: 'red' },
    status: 400,
    names: 'body.colour',
  },
  {
    name: 'unknown nested field',
    method: 'POST',
    url: '/devices',
    body: { ...device, external_refs: { chirpstack: { dev_eui: 'a84041ffff000001', app_key: 'k' } } },
    status: 400,
    names: 'body.external_refs.chirpstack.app_key',
  },
  {
    name: 'unknown external system',
    method: 'POST',
    url: '/devices',
    body: { ...device, external_refs: { ttn: {} } },
    status: 400,
    names: 'body.external_refs.ttn',
  },
  {
    name: 'observed_state on PATCH',
    method: 'PATCH',
    url: '/devices/dev_bad-1',
    body: { observed_state: { status: 'up' } },
    status: 400,
    names: 'body.observed_state',
  },
  {
    name: 'observed_state on desired-state',
    method: 'PUT',
    url: '/devices/dev_bad-1/desired-state',
    body: { desired_state: {}, observed_state: {} },
    status: 400,
    names: 'body.observed_state',
  },
  {
    name: 'role change on PATCH',
    method: 'PATCH',
    url: '/devices/dev_bad-1',
    body: { role: 'gateway' },
    status: 400,
    names: 'body.role',
  },
  {
    name: 'customer change on PATCH site',
    method: 'PATCH',
    url: '/sites/site_bad',
    body: { customer_id: 'cus_bad-2' },
    status: 400,
    names: 'body.customer_id',
  },
  {
    name: 'unknown query parameter',
    method: 'GET',
    url: '/devices?colour=red',
    status: 400,
    names: 'querystring.colour',
  },
  {
    name: 'cascade on a device delete',
    method: 'DELETE',
    url: '/devices/dev_bad-1?cascade=true',
    status: 400,
    names: 'querystring.cascade',
  },
  {
    name: 'cascade=yes',
    method: 'DELETE',
    url: '/sites/site_bad?cascade=yes',
    status: 400,
    names: 'querystring.cascade',
  },
  // Wrong id prefixes
  { name: 'site id in a customer path', method: 'GET', url: '/customers/site_bad', status: 400, names: 'params.id' },
  { name: 'device id in a site path', method: 'DELETE', url: '/sites/dev_bad-1', status: 400, names: 'params.id' },
  {
    name: 'unprefixed device id',
    method: 'PATCH',
    url: '/devices/bad-1',
    body: { name: 'x' },
    status: 400,
    names: 'params.id',
  },
  { name: 'id with a slash-like body', method: 'GET', url: '/devices/dev_%2E%2E', status: 400, names: 'params.id' },
  {
    name: 'wrong prefix for a chosen id',
    method: 'POST',
    url: '/sites',
    body: { id: 'cus_x', customer_id: 'cus_bad', name: 'x' },
    status: 400,
    names: 'body.id',
  },
  {
    name: 'wrong prefix for a reference',
    method: 'POST',
    url: '/sites',
    body: { customer_id: 'site_bad', name: 'x' },
    status: 400,
    names: 'body.customer_id',
  },
  {
    name: 'gateway with a dev_ id',
    method: 'POST',
    url: '/devices',
    body: { ...device, id: 'dev_bad-gw', role: 'gateway', product_code: 'lorawan-gw' },
    status: 400,
    names: 'body.id',
  },
  {
    name: 'sensor with a gw_ id',
    method: 'POST',
    url: '/devices',
    body: { ...device, id: 'gw_bad-sensor' },
    status: 400,
    names: 'body.id',
  },
  {
    name: 'wrong prefix in a filter',
    method: 'GET',
    url: '/devices?site_id=dep_bad',
    status: 400,
    names: 'querystring.site_id',
  },
  {
    name: 'id body too long',
    method: 'POST',
    url: '/customers',
    body: { id: `cus_${'a'.repeat(65)}`, name: 'x' },
    status: 400,
    names: 'body.id',
  },
  // Paging
  { name: 'bad cursor', method: 'GET', url: '/devices?cursor=not-a-cursor', status: 400, names: 'querystring.cursor' },
  { name: 'oversize page', method: 'GET', url: '/devices?limit=501', status: 400, names: 'querystring.limit' },
  { name: 'zero page', method: 'GET', url: '/sites?limit=0', status: 400, names: 'querystring.limit' },
  {
    name: 'oversize cursor',
    method: 'GET',
    url: `/sites?cursor=${'a'.repeat(600)}`,
    status: 400,
    names: 'querystring.cursor',
  },
  // Catalog and registry rules
  {
    name: 'unknown product',
    method: 'POST',
    url: '/devices',
    body: { ...device, product_code: 'flux-capacitor' },
    status: 400,
    names: 'body.product_code',
  },
  {
    name: 'unknown product version',
    method: 'POST',
    url: '/deployments',
    body: { site_id: 'site_bad', product_code: 'pump-ctl', product_version: '0.0.1' },
    status: 400,
    names: 'body.product_version',
  },
  {
    name: 'device site ≠ deployment site',
    method: 'POST',
    url: '/devices',
    body: { ...device, site_id: 'site_bad-2' },
    status: 400,
    names: 'body.site_id',
  },
  // Wrong role / no token
  {
    name: 'no token on a read',
    who: 'none',
    method: 'GET',
    url: '/devices',
    status: 401,
    names: 'bearer token is required',
  },
  {
    name: 'no token on a write',
    who: 'none',
    method: 'POST',
    url: '/customers',
    body: { name: 'x' },
    status: 401,
    names: 'bearer token is required',
  },
  {
    name: 'viewer writes',
    who: 'viewer',
    method: 'POST',
    url: '/customers',
    body: { name: 'x' },
    status: 403,
    names: 'requires admin',
  },
  {
    name: 'viewer sets desired state',
    who: 'viewer',
    method: 'PUT',
    url: '/devices/dev_bad-1/desired-state',
    body: { desired_state: {} },
    status: 403,
    names: 'requires admin',
  },
  {
    name: 'operator deletes a site',
    who: 'operator',
    method: 'DELETE',
    url: '/sites/site_bad?cascade=true',
    status: 403,
    names: 'requires admin',
  },
  { name: 'viewer lists tokens', who: 'viewer', method: 'GET', url: '/tokens', status: 403, names: 'requires admin' },
  // The audit log's own actors (system:monitor, station:<id>) are not a person's to take.
  {
    name: 'a token named like fleetbook’s own jobs',
    method: 'POST',
    url: '/tokens',
    body: { name: 'system:monitor', role: 'admin' },
    status: 400,
    names: 'body.name',
  },
  {
    name: 'a token named like an RFID station',
    method: 'POST',
    url: '/tokens',
    body: { name: ' Station:dev_bad-1', role: 'operator' },
    status: 400,
    names: 'body.name',
  },
  // Cross-tenant ids
  {
    name: 'scoped token reads another tenant’s site',
    who: 'scoped',
    method: 'GET',
    url: '/sites/site_bad',
    status: 404,
    names: 'site site_bad not found',
  },
  {
    name: 'scoped token patches another tenant’s device',
    who: 'scoped',
    method: 'PATCH',
    url: '/devices/dev_bad-1',
    body: { name: 'x' },
    status: 404,
    names: 'device dev_bad-1 not found',
  },
  {
    name: 'scoped token creates under another customer',
    who: 'scoped',
    method: 'POST',
    url: '/sites',
    body: { customer_id: 'cus_bad', name: 'x' },
    status: 404,
    names: 'customer cus_bad not found',
  },
  // Unknown ids
  {
    name: 'unknown site',
    method: 'GET',
    url: '/sites/site_nowhere',
    status: 404,
    names: 'site site_nowhere not found',
  },
  {
    name: 'unknown deployment on a device',
    method: 'POST',
    url: '/devices',
    body: { ...device, deployment_id: 'dep_nowhere' },
    status: 404,
    names: 'deployment dep_nowhere not found',
  },
  {
    name: 'unknown customer on a site',
    method: 'POST',
    url: '/sites',
    body: { customer_id: 'cus_nowhere', name: 'x' },
    status: 404,
    names: 'customer cus_nowhere not found',
  },
  {
    name: 'unknown device for desired state',
    method: 'PUT',
    url: '/devices/gw_nowhere/desired-state',
    body: { desired_state: {} },
    status: 404,
    names: 'device gw_nowhere not found',
  },
  {
    name: 'delete unknown inventory',
    method: 'DELETE',
    url: '/inventory/inv_nowhere',
    status: 404,
    names: 'inventory item inv_nowhere not found',
  },
  {
    name: 'unknown product',
    method: 'GET',
    url: '/products/flux-capacitor',
    status: 404,
    names: 'product flux-capacitor not found',
  },
  // Duplicates and conflicts
  {
    name: 'duplicate customer id',
    method: 'POST',
    url: '/customers',
    body: { id: 'cus_bad', name: 'again' },
    status: 409,
    names: 'customer cus_bad already exists',
  },
  {
    name: 'duplicate site id',
    method: 'POST',
    url: '/sites',
    body: { id: 'site_bad', customer_id: 'cus_bad', name: 'again' },
    status: 409,
    names: 'site site_bad already exists',
  },
  {
    name: 'duplicate deployment id',
    method: 'POST',
    url: '/deployments',
    body: { id: 'dep_bad', site_id: 'site_bad', product_code: 'soil-probe', product_version: '1.4.2' },
    status: 409,
    names: 'deployment dep_bad already exists',
  },
  {
    name: 'duplicate device id',
    method: 'POST',
    url: '/devices',
    body: { ...device, id: 'dev_bad-1', secrets: { app_key: '00112233445566778899aabbccddeeff' } },
    status: 409,
    names: 'device dev_bad-1 already exists',
  },
  {
    name: 'duplicate inventory id',
    method: 'POST',
    url: '/inventory',
    body: { id: 'inv_bad', sku: 'x' },
    status: 409,
    names: 'inventory item inv_bad already exists',
  },
  {
    name: 'duplicate DevEUI',
    method: 'POST',
    url: '/devices',
    body: { ...device, external_refs: { chirpstack: { dev_eui: 'A84041FFFF0000BA' } } },
    status: 409,
    names: 'DevEUI a84041ffff0000ba already belongs to device dev_bad-1',
  },
  {
    name: 'illegal state move',
    method: 'PATCH',
    url: '/deployments/dep_bad',
    body: { state: 'live' },
    status: 409,
    names: 'cannot move from planned to live',
  },
  {
    name: 'stale if_version',
    method: 'PUT',
    url: '/devices/dev_bad-1/desired-state',
    body: { desired_state: { a: 1 }, if_version: 5 },
    status: 409,
    names: 'desired_version is 0, not 5',
  },
  {
    name: 'delete a site with deployments',
    method: 'DELETE',
    url: '/sites/site_bad',
    status: 409,
    names: 'cascade=true',
  },
  {
    name: 'delete a deployment with devices',
    method: 'DELETE',
    url: '/deployments/dep_bad',
    status: 409,
    names: 'dev_bad-1',
  },
  { name: 'delete a customer with sites', method: 'DELETE', url: '/customers/cus_bad', status: 409, names: 'site_bad' },
];

describe('bad input is refused, named, and writes nothing', () => {
  let t: TestApp;
  const as: Partial<Record<Who, Client>> = {};
  let adminToken: string;

  beforeAll(async () => {
    t = await createTestApp();
    adminToken = await bearer(t.ctx.db, 'admin');
    const admin = client(t.app, adminToken);
    await must(admin.post('/customers', { id: 'cus_bad', name: 'Bad' }));
    await must(admin.post('/customers', { id: 'cus_bad-2', name: 'Bad 2' }));
    await must(admin.post('/sites', { id: 'site_bad', customer_id: 'cus_bad', name: 'Bad' }));
    await must(admin.post('/sites', { id: 'site_bad-2', customer_id: 'cus_bad', name: 'Bad 2' }));
    await must(
      admin.post('/deployments', {
        id: 'dep_bad',
        site_id: 'site_bad',
        product_code: 'soil-probe',
        product_version: '1.4.2',
      }),
    );
    await must(
      admin.post('/devices', {
        id: 'dev_bad-1',
        ...device,
        external_refs: { chirpstack: { dev_eui: 'a84041ffff0000ba' } },
      }),
    );
    await must(admin.post('/inventory', { id: 'inv_bad', sku: 'x' }));
    as.admin = admin;
    as.viewer = client(t.app, await bearer(t.ctx.db, 'viewer'));
    as.operator = client(t.app, await bearer(t.ctx.db, 'operator'));
    as.scoped = client(t.app, await bearer(t.ctx.db, 'admin', 'cus_bad-2', 'tenant-2-admin'));
    as.none = client(t.app, null);
  });
  afterAll(async () => t?.close());

  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const before = await snapshot(t.ctx.db);
    const api = as[c.who ?? 'admin']!;
    const res =
      c.contentType !== undefined
        ? await t.app.inject({
            method: c.method,
            url: `/api/v1${c.url}`,
            payload: c.body as string,
            headers: { authorization: `Bearer ${adminToken}`, 'content-type': c.contentType },
          })
        : await api.call(c.method, c.url, c.body);
    expect(res.statusCode, res.body).toBe(c.status);
    const body = res.json();
    if (c.status === 400) {
      expect(body.error).toBe('validation');
      expect(
        body.issues.map((i: { path: string }) => i.path),
        res.body,
      ).toContain(c.names);
      for (const issue of body.issues) expect(issue.message.length).toBeGreaterThan(3);
    } else {
      expect(body.error).toBe(
        { 401: 'unauthorized', 403: 'forbidden', 404: 'not_found', 409: 'conflict', 415: 'unsupported_media_type' }[
          c.status
        ],
      );
      expect(body.message).toContain(c.names);
    }
    expect(await snapshot(t.ctx.db)).toEqual(before);
  });

  it('the registry is exactly as seeded after all of that', async () => {
    const admin = as.admin!;
    expect((await admin.get('/customers')).json().items.map((c: { id: string }) => c.id)).toEqual([
      'cus_bad',
      'cus_bad-2',
    ]);
    expect((await admin.get('/devices/dev_bad-1')).json()).toMatchObject({
      name: null,
      desired_version: 0,
      desired_state: {},
      secrets_set: [],
    });
    expect((await admin.get('/deployments/dep_bad')).json().state).toBe('planned');
  });
});
