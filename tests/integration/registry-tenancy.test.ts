import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { bearer, client, must, snapshot, walk, type Client } from '../helpers/registry.ts';

// contracts.md: a token may be scoped to one customer (tenant): it then sees and changes
// only that customer's sites, deployments, devices … everywhere. Issue: lists filtered,
// the other tenant's ids → 404, cannot create under another customer.

const MINE = {
  customer: 'cus_ten-mine',
  site: 'site_ten-mine',
  deployment: 'dep_ten-mine',
  device: 'dev_ten-mine-1',
  gateway: 'gw_ten-mine',
  inventory: 'inv_ten-mine',
};
const THEIRS = {
  customer: 'cus_ten-theirs',
  site: 'site_ten-theirs',
  deployment: 'dep_ten-theirs',
  device: 'dev_ten-theirs-1',
  gateway: 'gw_ten-theirs',
  inventory: 'inv_ten-theirs',
};

describe('customer-scoped tokens', () => {
  let t: TestApp;
  let root: Client;
  let scopedAdmin: Client;
  let scopedViewer: Client;

  beforeAll(async () => {
    t = await createTestApp();
    root = client(t.app, await bearer(t.ctx.db, 'admin', null, 'root'));
    for (const x of [MINE, THEIRS]) {
      await must(root.post('/customers', { id: x.customer, name: x.customer }));
      await must(root.post('/sites', { id: x.site, customer_id: x.customer, name: x.site }));
      await must(
        root.post('/deployments', {
          id: x.deployment,
          site_id: x.site,
          product_code: 'lorawan-gw',
          product_version: '2.1.0',
        }),
      );
      await must(
        root.post('/devices', {
          id: x.device,
          deployment_id: x.deployment,
          product_code: 'soil-probe',
          role: 'sensor',
          serial: `SER-${x.device}`,
        }),
      );
      await must(
        root.post('/devices', {
          id: x.gateway,
          deployment_id: x.deployment,
          product_code: 'lorawan-gw',
          role: 'gateway',
        }),
      );
      await must(
        root.post('/inventory', {
          id: x.inventory,
          sku: 'GW-OUT-8CH',
          state: 'allocated',
          deployment_id: x.deployment,
        }),
      );
    }
    await must(root.post('/devices', { id: 'dev_ten-stock', product_code: 'soil-probe', role: 'sensor' }));
    await must(root.post('/inventory', { id: 'inv_ten-stock', sku: 'GW-OUT-8CH' }));
    scopedAdmin = client(t.app, await bearer(t.ctx.db, 'admin', MINE.customer, 'mine-admin'));
    scopedViewer = client(t.app, await bearer(t.ctx.db, 'viewer', MINE.customer, 'mine-viewer'));
    await bearer(t.ctx.db, 'viewer', THEIRS.customer, 'theirs-viewer');
  });
  afterAll(async () => t?.close());

  it.each([
    ['customers', [MINE.customer]],
    ['sites', [MINE.site]],
    ['deployments', [MINE.deployment]],
    ['devices', [MINE.device, MINE.gateway].sort()],
    ['inventory', [MINE.inventory]],
  ])('GET /%s lists only the token’s customer', async (path, want) => {
    for (const api of [scopedAdmin, scopedViewer]) {
      expect((await walk<{ id: string }>(api, `/${path}`, 1)).map((i) => i.id)).toEqual(want);
    }
    // Asking for the other tenant explicitly yields nothing, not their rows.
    if (['sites', 'deployments', 'devices'].includes(path)) {
      expect((await scopedViewer.get(`/${path}?customer_id=${THEIRS.customer}`)).json().items).toEqual([]);
    }
    // An unscoped token sees both tenants.
    expect((await walk<{ id: string }>(root, `/${path}`, 500)).length).toBeGreaterThan(want.length);
  });

  it('device filters cannot reach into the other tenant', async () => {
    for (const q of [
      `site_id=${THEIRS.site}`,
      `deployment_id=${THEIRS.deployment}`,
      `q=${THEIRS.device}`,
      'role=gateway',
      `q=SER-`,
    ]) {
      const ids = (await scopedViewer.get(`/devices?${q}`)).json().items.map((d: { id: string }) => d.id);
      expect(
        ids.every((id: string) => id.includes('ten-mine')),
        q,
      ).toBe(true);
    }
  });

  const reads: Array<[string, string]> = [
    ['customer', `/customers/${THEIRS.customer}`],
    ['site', `/sites/${THEIRS.site}`],
    ['deployment', `/deployments/${THEIRS.deployment}`],
    ['device', `/devices/${THEIRS.device}`],
    ['device', `/devices/${THEIRS.gateway}`],
    ['inventory item', `/inventory/${THEIRS.inventory}`],
    ['device', '/devices/dev_ten-stock'],
    ['inventory item', '/inventory/inv_ten-stock'],
  ];

  it.each(reads)('GET another tenant’s %s is 404, worded like a missing one', async (what, url) => {
    const id = url.split('/').pop()!;
    for (const api of [scopedViewer, scopedAdmin]) {
      const res = await api.get(url);
      expect(res.statusCode).toBe(404);
      expect(res.json()).toEqual({ error: 'not_found', message: `${what} ${id} not found` });
    }
  });

  it('PATCH, DELETE and desired-state on another tenant’s ids are 404 and write nothing', async () => {
    const before = await snapshot(t.ctx.db);
    const attempts: Array<Promise<{ statusCode: number }>> = [
      scopedAdmin.patch(`/customers/${THEIRS.customer}`, { name: 'pwned' }),
      scopedAdmin.patch(`/sites/${THEIRS.site}`, { name: 'pwned' }),
      scopedAdmin.patch(`/deployments/${THEIRS.deployment}`, { state: 'installing' }),
      scopedAdmin.patch(`/devices/${THEIRS.device}`, { name: 'pwned' }),
      scopedAdmin.patch('/devices/dev_ten-stock', { site_id: MINE.site }),
      scopedAdmin.patch(`/inventory/${THEIRS.inventory}`, { state: 'rma' }),
      scopedAdmin.put(`/devices/${THEIRS.device}/desired-state`, { desired_state: { x: 1 } }),
      scopedAdmin.del(`/sites/${THEIRS.site}?cascade=true`),
      scopedAdmin.del(`/deployments/${THEIRS.deployment}`),
      scopedAdmin.del(`/devices/${THEIRS.gateway}`),
      scopedAdmin.del(`/inventory/${THEIRS.inventory}`),
    ];
    for (const res of await Promise.all(attempts)) expect(res.statusCode).toBe(404);
    // A scoped admin manages its own tenant, never customers as such.
    expect((await scopedAdmin.del(`/customers/${THEIRS.customer}`)).statusCode).toBe(403);
    expect(await snapshot(t.ctx.db)).toEqual(before);
  });

  it('cannot create under another customer, nor outside any customer', async () => {
    const before = await snapshot(t.ctx.db);
    const cases: Array<[Promise<{ statusCode: number; json(): any }>, number, RegExp]> = [
      [
        scopedAdmin.post('/customers', { id: 'cus_ten-new', name: 'New tenant' }),
        403,
        /changes what every customer shares: a token scoped to customer cus_ten-mine may not/,
      ],
      [
        scopedAdmin.post('/sites', { id: 'site_ten-x', customer_id: THEIRS.customer, name: 'x' }),
        404,
        /customer cus_ten-theirs not found/,
      ],
      [
        scopedAdmin.post('/deployments', {
          id: 'dep_ten-x',
          site_id: THEIRS.site,
          product_code: 'pump-ctl',
          product_version: '1.4.2',
        }),
        404,
        /site site_ten-theirs not found/,
      ],
      [
        scopedAdmin.post('/devices', {
          id: 'dev_ten-x',
          deployment_id: THEIRS.deployment,
          product_code: 'soil-probe',
          role: 'sensor',
        }),
        404,
        /deployment dep_ten-theirs not found/,
      ],
      [
        scopedAdmin.post('/devices', {
          id: 'dev_ten-y',
          site_id: THEIRS.site,
          product_code: 'soil-probe',
          role: 'sensor',
        }),
        404,
        /site site_ten-theirs not found/,
      ],
      [
        scopedAdmin.post('/devices', { id: 'dev_ten-z', product_code: 'soil-probe', role: 'sensor' }),
        400,
        /must place the device at one of its sites/,
      ],
      [
        scopedAdmin.post('/inventory', { id: 'inv_ten-x', sku: 'X', deployment_id: THEIRS.deployment }),
        404,
        /deployment dep_ten-theirs not found/,
      ],
      [scopedAdmin.post('/inventory', { id: 'inv_ten-y', sku: 'X' }), 400, /customer-scoped token/],
      [
        scopedAdmin.post('/tokens', { name: 'theirs', role: 'admin', customer_id: THEIRS.customer }),
        403,
        /its own customer/,
      ],
    ];
    for (const [res, status, message] of cases) {
      const r = await res;
      expect(r.statusCode, JSON.stringify(r.json())).toBe(status);
      expect(r.json().message).toMatch(message);
    }
    expect(await snapshot(t.ctx.db)).toEqual(before);
  });

  it('cannot move its own things into, or out to, another tenant', async () => {
    const before = await snapshot(t.ctx.db);
    for (const [res, status] of [
      [await scopedAdmin.patch(`/devices/${MINE.device}`, { deployment_id: THEIRS.deployment }), 404],
      [await scopedAdmin.patch(`/devices/${MINE.device}`, { deployment_id: null, site_id: THEIRS.site }), 404],
      [await scopedAdmin.patch(`/devices/${MINE.device}`, { deployment_id: null, site_id: null }), 400],
      [await scopedAdmin.patch(`/inventory/${MINE.inventory}`, { deployment_id: THEIRS.deployment }), 404],
      [await scopedAdmin.patch(`/inventory/${MINE.inventory}`, { deployment_id: null }), 400],
    ] as const) {
      expect(res.statusCode, res.body).toBe(status);
    }
    expect(await snapshot(t.ctx.db)).toEqual(before);
  });

  it('creates and changes freely inside its own tenant', async () => {
    await must(scopedAdmin.post('/sites', { id: 'site_ten-mine-2', customer_id: MINE.customer, name: 'Second' }));
    await must(
      scopedAdmin.post('/deployments', {
        id: 'dep_ten-mine-2',
        site_id: 'site_ten-mine-2',
        product_code: 'pump-ctl',
        product_version: '1.4.2',
      }),
    );
    const dev = await must(
      scopedAdmin.post('/devices', {
        id: 'dev_ten-mine-2',
        deployment_id: 'dep_ten-mine-2',
        product_code: 'pump-ctl',
        role: 'controller',
      }),
    );
    expect(dev.customer_id).toBe(MINE.customer);
    await must(scopedAdmin.patch(`/customers/${MINE.customer}`, { name: 'Mine, renamed' }), 200);
    await must(scopedAdmin.put('/devices/dev_ten-mine-2/desired-state', { desired_state: { pump: 'auto' } }), 200);
    await must(scopedAdmin.post('/inventory', { id: 'inv_ten-mine-2', sku: 'PUMP', deployment_id: 'dep_ten-mine-2' }));
    // A token the scoped admin creates is scoped to the same customer, even when it does not say so.
    const token = await must(scopedAdmin.post('/tokens', { name: 'mine-2', role: 'viewer' }));
    expect(token.customer_id).toBe(MINE.customer);
    expect((await client(t.app, token.token).get(`/sites/${THEIRS.site}`)).statusCode).toBe(404);
  });

  it('the audit log and the token list show only the tenant’s own entries', async () => {
    const entries = await walk<{ id: number; customer_id: string | null; entity_id: string }>(
      scopedViewer,
      '/audit',
      500,
    );
    expect(entries.length).toBeGreaterThan(5);
    expect(entries.every((e) => e.customer_id === MINE.customer)).toBe(true);
    expect((await scopedViewer.get(`/audit?entity_id=${THEIRS.device}`)).json().items).toEqual([]);
    expect((await root.get(`/audit?entity_id=${THEIRS.device}`)).json().items.length).toBeGreaterThan(0);

    const tokens = (await scopedAdmin.get('/tokens')).json().items;
    expect(tokens.map((x: { name: string }) => x.name).sort()).toEqual(['mine-2', 'mine-admin', 'mine-viewer']);
    const theirs = await t.ctx.db
      .selectFrom('api_tokens')
      .select('id')
      .where('name', '=', 'theirs-viewer')
      .executeTakeFirstOrThrow();
    expect((await scopedAdmin.del(`/tokens/${theirs.id}`)).statusCode).toBe(404);
  });

  it('whoami names the tenant', async () => {
    expect((await scopedViewer.get('/whoami')).json()).toEqual({
      kind: 'token',
      name: 'mine-viewer',
      role: 'viewer',
      customer_id: MINE.customer,
    });
  });
});
