import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { devicePage } from '../../data-api/src/contracts/registry.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { bearer, client, must, snapshot, type Client } from '../helpers/registry.ts';

// The registry (domain.md: customers, sites, deployments, devices, inventory) through
// GET/POST /<things>, GET/PATCH/DELETE /<things>/:id (contracts.md), with an admin token.

const GENERATED = (prefix: string) => new RegExp(`^${prefix}[0-9a-hjkmnp-tv-z]{26}$`);

describe('registry CRUD', () => {
  let t: TestApp;
  let admin: Client;
  let viewer: Client;
  beforeAll(async () => {
    t = await createTestApp();
    admin = client(t.app, await bearer(t.ctx.db, 'admin', null, 'crud-admin'));
    viewer = client(t.app, await bearer(t.ctx.db, 'viewer'));
  });
  afterAll(async () => t?.close());

  describe('customers', () => {
    it('creates with a caller-chosen id, reads, lists, renames and deletes', async () => {
      // domain.md: callers may choose the id body (`cus_…`).
      const created = await must(admin.post('/customers', { id: 'cus_crud-acme', name: 'Acme Farms' }));
      expect(created).toMatchObject({ id: 'cus_crud-acme', name: 'Acme Farms' });
      expect(Date.parse(created.created_at)).not.toBeNaN();

      expect((await viewer.get('/customers/cus_crud-acme')).json()).toEqual(created);
      const list = (await viewer.get('/customers')).json();
      expect(list.items.map((c: { id: string }) => c.id)).toContain('cus_crud-acme');

      const renamed = await must(admin.patch('/customers/cus_crud-acme', { name: 'Acme Farms Ltd' }), 200);
      expect(renamed.name).toBe('Acme Farms Ltd');
      expect(Date.parse(renamed.updated_at)).toBeGreaterThanOrEqual(Date.parse(created.updated_at));

      expect((await admin.del('/customers/cus_crud-acme')).statusCode).toBe(204);
      const gone = await viewer.get('/customers/cus_crud-acme');
      expect(gone.statusCode).toBe(404);
      expect(gone.json()).toEqual({ error: 'not_found', message: 'customer cus_crud-acme not found' });
    });

    it('generates a prefixed, time-sortable id when none is given', async () => {
      // domain.md: ids carry a type prefix; the API generates one when the caller does not.
      const a = await must(admin.post('/customers', { name: 'Generated One' }));
      const b = await must(admin.post('/customers', { name: 'Generated Two' }));
      expect(a.id).toMatch(GENERATED('cus_'));
      expect(b.id).toMatch(GENERATED('cus_'));
      expect(a.id).not.toBe(b.id);
    });

    it('refuses to delete a customer that still has sites (409), naming the site', async () => {
      await must(admin.post('/customers', { id: 'cus_crud-keep', name: 'Keep' }));
      await must(admin.post('/sites', { id: 'site_crud-keep', customer_id: 'cus_crud-keep', name: 'Keep site' }));
      const res = await admin.del('/customers/cus_crud-keep');
      expect(res.statusCode).toBe(409);
      expect(res.json().message).toContain('site_crud-keep');
      expect((await viewer.get('/customers/cus_crud-keep')).statusCode).toBe(200);
    });
  });

  describe('sites', () => {
    beforeAll(async () => {
      await must(admin.post('/customers', { id: 'cus_crud-sites', name: 'Sites Co' }));
    });

    it('creates with timezone, location and lan notes; patches and clears the location', async () => {
      // domain.md: site = id, customer_id, name, timezone, location (optional lat/lon), lan notes.
      const site = await must(
        admin.post('/sites', {
          id: 'site_crud-north',
          customer_id: 'cus_crud-sites',
          name: 'North',
          timezone: 'Asia/Bangkok',
          location: { lat: 18.79, lon: 98.98 },
          lan_notes: 'VLAN 20, gateway on .1',
        }),
      );
      expect(site).toMatchObject({
        customer_id: 'cus_crud-sites',
        timezone: 'Asia/Bangkok',
        location: { lat: 18.79, lon: 98.98 },
        lan_notes: 'VLAN 20, gateway on .1',
      });

      const moved = await must(admin.patch('/sites/site_crud-north', { name: 'North Farm', location: null }), 200);
      expect(moved).toMatchObject({
        name: 'North Farm',
        location: null,
        timezone: 'Asia/Bangkok',
        lan_notes: 'VLAN 20, gateway on .1',
      });
      expect((await viewer.get('/sites/site_crud-north')).json()).toEqual(moved);
    });

    it('defaults the timezone to UTC and generates site_ ids', async () => {
      const site = await must(admin.post('/sites', { customer_id: 'cus_crud-sites', name: 'Anywhere' }));
      expect(site.id).toMatch(GENERATED('site_'));
      expect(site).toMatchObject({ timezone: 'UTC', location: null, lan_notes: null });
    });

    it('lists sites filtered by customer', async () => {
      await must(admin.post('/customers', { id: 'cus_crud-other', name: 'Other' }));
      await must(admin.post('/sites', { id: 'site_crud-other', customer_id: 'cus_crud-other', name: 'Other site' }));
      const list = (await viewer.get('/sites?customer_id=cus_crud-other')).json();
      expect(list.items.map((s: { id: string }) => s.id)).toEqual(['site_crud-other']);
    });

    it('deletes an empty site', async () => {
      await must(admin.post('/sites', { id: 'site_crud-empty', customer_id: 'cus_crud-sites', name: 'Empty' }));
      expect((await admin.del('/sites/site_crud-empty')).statusCode).toBe(204);
      expect((await viewer.get('/sites/site_crud-empty')).statusCode).toBe(404);
    });

    it('keeps a site with deployments (409) unless an admin passes cascade=true', async () => {
      // Issue acceptance: deleting a site with deployments is 409 unless ?cascade=true by an admin.
      await must(admin.post('/sites', { id: 'site_crud-cascade', customer_id: 'cus_crud-sites', name: 'Cascade' }));
      await must(
        admin.post('/deployments', {
          id: 'dep_crud-cascade',
          site_id: 'site_crud-cascade',
          product_code: 'soil-probe',
          product_version: '1.4.2',
        }),
      );
      await must(
        admin.post('/devices', {
          id: 'dev_crud-cascade-1',
          deployment_id: 'dep_crud-cascade',
          product_code: 'soil-probe',
          role: 'sensor',
          secrets: { app_key: '00112233445566778899aabbccddeeff' },
        }),
      );
      await must(
        admin.post('/inventory', {
          id: 'inv_crud-cascade',
          sku: 'SP-1',
          state: 'allocated',
          deployment_id: 'dep_crud-cascade',
        }),
      );

      const before = await snapshot(t.ctx.db);
      const refused = await admin.del('/sites/site_crud-cascade');
      expect(refused.statusCode).toBe(409);
      expect(refused.json()).toMatchObject({ error: 'conflict', message: expect.stringContaining('cascade=true') });
      expect(await snapshot(t.ctx.db)).toEqual(before);

      // A viewer or operator may not cascade (the admin role is required for any site delete).
      const operator = client(t.app, await bearer(t.ctx.db, 'operator'));
      expect((await operator.del('/sites/site_crud-cascade?cascade=true')).statusCode).toBe(403);
      expect((await viewer.del('/sites/site_crud-cascade?cascade=true')).statusCode).toBe(403);

      expect((await admin.del('/sites/site_crud-cascade?cascade=true')).statusCode).toBe(204);
      expect((await viewer.get('/sites/site_crud-cascade')).statusCode).toBe(404);
      expect((await viewer.get('/deployments/dep_crud-cascade')).statusCode).toBe(404);
      expect((await viewer.get('/devices/dev_crud-cascade-1')).statusCode).toBe(404);
      // Inventory allocated to the deleted deployment returns to stock.
      expect((await viewer.get('/inventory/inv_crud-cascade')).json()).toMatchObject({
        state: 'in_stock',
        deployment_id: null,
      });
      const secrets = await t.ctx.db
        .selectFrom('device_secrets')
        .select('device_id')
        .where('device_id', '=', 'dev_crud-cascade-1')
        .execute();
      expect(secrets).toEqual([]);
    });

    it('cascade=false behaves like no cascade', async () => {
      await must(
        admin.post('/sites', { id: 'site_crud-nocascade', customer_id: 'cus_crud-sites', name: 'No cascade' }),
      );
      await must(
        admin.post('/deployments', {
          id: 'dep_crud-nocascade',
          site_id: 'site_crud-nocascade',
          product_code: 'pump-ctl',
          product_version: '1.4.2',
        }),
      );
      expect((await admin.del('/sites/site_crud-nocascade?cascade=false')).statusCode).toBe(409);
      expect((await viewer.get('/deployments/dep_crud-nocascade')).statusCode).toBe(200);
    });
  });

  describe('deployments', () => {
    beforeAll(async () => {
      await must(admin.post('/customers', { id: 'cus_crud-dep', name: 'Dep Co' }));
      await must(admin.post('/sites', { id: 'site_crud-dep', customer_id: 'cus_crud-dep', name: 'Dep site' }));
    });

    it('creates a planned deployment of a catalog product, taking the site’s customer', async () => {
      const dep = await must(
        admin.post('/deployments', {
          id: 'dep_crud-gw',
          site_id: 'site_crud-dep',
          name: 'Gateways',
          product_code: 'lorawan-gw',
          product_version: '2.1.0',
          planned_date: '2026-03-01',
        }),
      );
      expect(dep).toMatchObject({
        site_id: 'site_crud-dep',
        customer_id: 'cus_crud-dep',
        state: 'planned',
        planned_date: '2026-03-01',
        started_date: null,
      });
    });

    it('refuses a product or version that docs/products does not declare (400 naming the field)', async () => {
      const a = await admin.post('/deployments', {
        site_id: 'site_crud-dep',
        product_code: 'warp-drive',
        product_version: '1.0.0',
      });
      expect(a.statusCode).toBe(400);
      expect(a.json().issues).toEqual([
        { path: 'body.product_code', message: expect.stringContaining('unknown product warp-drive') },
      ]);
      const b = await admin.post('/deployments', {
        site_id: 'site_crud-dep',
        product_code: 'lorawan-gw',
        product_version: '9.9.9',
      });
      expect(b.statusCode).toBe(400);
      expect(b.json().issues).toEqual([
        { path: 'body.product_version', message: 'product lorawan-gw has no version 9.9.9' },
      ]);
    });

    it('moves only planned → installing → live ⇄ paused → retired', async () => {
      // Issue acceptance: deployment state moves only planned → installing → live ⇄ paused → retired.
      const id = 'dep_crud-flow';
      await must(
        admin.post('/deployments', {
          id,
          site_id: 'site_crud-dep',
          product_code: 'soil-probe',
          product_version: '1.4.2',
        }),
      );
      const step = async (state: string, status = 200) => {
        const res = await admin.patch(`/deployments/${id}`, { state });
        expect(res.statusCode, `${state}: ${res.body}`).toBe(status);
        return res.json();
      };
      const skip = await step('live', 409);
      expect(skip.message).toBe(
        `deployment ${id} cannot move from planned to live; from planned it may move to installing, retired`,
      );
      await step('paused', 409);

      const installing = await step('installing');
      // Starting the installation stamps the start date.
      expect(installing.started_date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      await step('planned', 409);
      await step('paused', 409);
      await step('live');
      await step('installing', 409);
      await step('planned', 409);
      await step('paused');
      await step('live');
      await step('paused');
      await step('installing', 409);
      const retired = await step('retired');
      expect(retired.state).toBe('retired');
      for (const s of ['planned', 'installing', 'live', 'paused']) {
        const res = await admin.patch(`/deployments/${id}`, { state: s });
        expect(res.statusCode).toBe(409);
        expect(res.json().message).toContain('retired is final');
      }
      expect((await viewer.get(`/deployments/${id}`)).json().state).toBe('retired');
    });

    it('changes name, version and dates; keeps the state when it is not given', async () => {
      const dep = await must(
        admin.patch('/deployments/dep_crud-gw', {
          name: 'Gateways v2.0',
          product_version: '2.0.0',
          planned_date: null,
        }),
        200,
      );
      expect(dep).toMatchObject({
        name: 'Gateways v2.0',
        product_version: '2.0.0',
        planned_date: null,
        state: 'planned',
      });
      const bad = await admin.patch('/deployments/dep_crud-gw', { product_version: '3.0.0' });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().issues[0].path).toBe('body.product_version');
    });

    it('lists by site, state and product', async () => {
      const ids = (url: string) => viewer.get(url).then((r) => r.json().items.map((d: { id: string }) => d.id));
      expect(await ids('/deployments?site_id=site_crud-dep&product_code=lorawan-gw')).toEqual(['dep_crud-gw']);
      expect(await ids('/deployments?site_id=site_crud-dep&state=retired')).toEqual(['dep_crud-flow']);
    });

    it('refuses to delete a deployment with devices (409), deletes it once empty', async () => {
      await must(
        admin.post('/deployments', {
          id: 'dep_crud-del',
          site_id: 'site_crud-dep',
          product_code: 'pump-ctl',
          product_version: '1.4.2',
        }),
      );
      await must(
        admin.post('/devices', {
          id: 'dev_crud-del',
          deployment_id: 'dep_crud-del',
          product_code: 'pump-ctl',
          role: 'controller',
        }),
      );
      const res = await admin.del('/deployments/dep_crud-del');
      expect(res.statusCode).toBe(409);
      expect(res.json().message).toContain('dev_crud-del');
      expect((await admin.del('/devices/dev_crud-del')).statusCode).toBe(204);
      expect((await admin.del('/deployments/dep_crud-del')).statusCode).toBe(204);
      expect((await viewer.get('/deployments/dep_crud-del')).statusCode).toBe(404);
    });
  });

  describe('devices', () => {
    beforeAll(async () => {
      await must(admin.post('/customers', { id: 'cus_crud-dev', name: 'Dev Co' }));
      await must(admin.post('/sites', { id: 'site_crud-dev-a', customer_id: 'cus_crud-dev', name: 'A' }));
      await must(admin.post('/sites', { id: 'site_crud-dev-b', customer_id: 'cus_crud-dev', name: 'B' }));
      await must(
        admin.post('/deployments', {
          id: 'dep_crud-dev-a',
          site_id: 'site_crud-dev-a',
          product_code: 'soil-probe',
          product_version: '1.4.2',
        }),
      );
      await must(
        admin.post('/deployments', {
          id: 'dep_crud-dev-b',
          site_id: 'site_crud-dev-b',
          product_code: 'soil-probe',
          product_version: '1.4.2',
        }),
      );
    });

    it('a device in a deployment takes the deployment’s site and customer', async () => {
      // domain.md: a device's site must match its deployment's site.
      const dev = await must(
        admin.post('/devices', {
          id: 'dev_crud-probe-1',
          deployment_id: 'dep_crud-dev-a',
          product_code: 'soil-probe',
          product_version: '1.4.2',
          role: 'sensor',
          serial: 'SP-0001',
          name: 'Probe 1',
          heartbeat_interval_s: 300,
        }),
      );
      expect(dev).toMatchObject({
        id: 'dev_crud-probe-1',
        deployment_id: 'dep_crud-dev-a',
        site_id: 'site_crud-dev-a',
        customer_id: 'cus_crud-dev',
        role: 'sensor',
        serial: 'SP-0001',
        status: 'unknown',
        last_seen: null,
        desired_state: {},
        desired_version: 0,
        observed_state: {},
        external_refs: {},
        heartbeat_interval_s: 300,
        secrets_set: [],
      });
      // Given both and equal is fine too.
      const both = await must(
        admin.post('/devices', {
          id: 'dev_crud-probe-2',
          deployment_id: 'dep_crud-dev-a',
          site_id: 'site_crud-dev-a',
          product_code: 'soil-probe',
          role: 'sensor',
        }),
      );
      // No interval given: the product's (docs/products/soil-probe: a 15-minute uplink).
      expect(both.heartbeat_interval_s).toBe(900);
    });

    it('a device created without an interval takes its product’s, else the contract’s 60 s', async () => {
      await sql`insert into products (code, name, category, source_path, spec)
        values ('crud-silent', 'Silent', 'other', 'test', '{"heartbeat_interval_s": null}'::jsonb)
        on conflict (code) do nothing`.execute(t.ctx.db);
      const post = (id: string, product_code: string, extra: Record<string, unknown> = {}) =>
        must(admin.post('/devices', { id, site_id: 'site_crud-dev-a', product_code, role: 'sensor', ...extra }));
      expect((await post('dev_crud-hb-probe', 'soil-probe')).heartbeat_interval_s).toBe(900);
      expect((await post('dev_crud-hb-pump', 'pump-ctl', { role: 'controller' })).heartbeat_interval_s).toBe(60);
      expect((await post('dev_crud-hb-silent', 'crud-silent')).heartbeat_interval_s).toBe(60);
      expect((await post('dev_crud-hb-given', 'soil-probe', { heartbeat_interval_s: 1800 })).heartbeat_interval_s).toBe(
        1800,
      );
    });

    it('refuses a site that differs from the deployment’s site (400, nothing written)', async () => {
      // domain.md: a device's site must match its deployment's site.
      const before = await snapshot(t.ctx.db);
      const res = await admin.post('/devices', {
        id: 'dev_crud-mismatch',
        deployment_id: 'dep_crud-dev-a',
        site_id: 'site_crud-dev-b',
        product_code: 'soil-probe',
        role: 'sensor',
      });
      expect(res.statusCode).toBe(400);
      expect(res.json().issues).toEqual([
        {
          path: 'body.site_id',
          message: 'must equal the site of deployment dep_crud-dev-a (site_crud-dev-a), got site_crud-dev-b',
        },
      ]);
      expect(await snapshot(t.ctx.db)).toEqual(before);
    });

    it('moving a device to another deployment moves it to that site; a site alone that disagrees is refused', async () => {
      const moved = await must(admin.patch('/devices/dev_crud-probe-2', { deployment_id: 'dep_crud-dev-b' }), 200);
      expect(moved).toMatchObject({ deployment_id: 'dep_crud-dev-b', site_id: 'site_crud-dev-b' });
      const bad = await admin.patch('/devices/dev_crud-probe-2', { site_id: 'site_crud-dev-a' });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().issues[0].path).toBe('body.site_id');
      const mismatch = await admin.patch('/devices/dev_crud-probe-2', {
        deployment_id: 'dep_crud-dev-a',
        site_id: 'site_crud-dev-b',
      });
      expect(mismatch.statusCode).toBe(400);
      expect((await viewer.get('/devices/dev_crud-probe-2')).json()).toMatchObject({
        deployment_id: 'dep_crud-dev-b',
        site_id: 'site_crud-dev-b',
      });
      // Out of the deployment but still at a site; then back to stock (no site, no customer).
      const loose = await must(admin.patch('/devices/dev_crud-probe-2', { deployment_id: null }), 200);
      expect(loose).toMatchObject({ deployment_id: null, site_id: 'site_crud-dev-b', customer_id: 'cus_crud-dev' });
      const stock = await must(admin.patch('/devices/dev_crud-probe-2', { site_id: null }), 200);
      expect(stock).toMatchObject({ deployment_id: null, site_id: null, customer_id: null });
    });

    it('gateways get gw_ ids, every other role dev_; a wrong prefix for the role is refused', async () => {
      // domain.md: `gw_` (a device whose role is gateway), `dev_` (every other device).
      const gw = await must(
        admin.post('/devices', { deployment_id: 'dep_crud-dev-a', product_code: 'lorawan-gw', role: 'gateway' }),
      );
      expect(gw.id).toMatch(GENERATED('gw_'));
      const sensor = await must(
        admin.post('/devices', { site_id: 'site_crud-dev-a', product_code: 'soil-probe', role: 'station' }),
      );
      expect(sensor.id).toMatch(GENERATED('dev_'));
      const chosen = await must(
        admin.post('/devices', {
          id: 'gw_crud-mast',
          site_id: 'site_crud-dev-a',
          product_code: 'lorawan-gw',
          role: 'gateway',
        }),
      );
      expect(chosen.id).toBe('gw_crud-mast');

      const wrongGw = await admin.post('/devices', {
        id: 'dev_crud-gw',
        site_id: 'site_crud-dev-a',
        product_code: 'lorawan-gw',
        role: 'gateway',
      });
      expect(wrongGw.statusCode).toBe(400);
      expect(wrongGw.json().issues).toEqual([
        { path: 'body.id', message: 'a gateway id starts with gw_, got dev_crud-gw' },
      ]);
      const wrongDev = await admin.post('/devices', {
        id: 'gw_crud-sensor',
        site_id: 'site_crud-dev-a',
        product_code: 'soil-probe',
        role: 'sensor',
      });
      expect(wrongDev.statusCode).toBe(400);
      expect(wrongDev.json().issues[0].message).toBe('a sensor id starts with dev_, got gw_crud-sensor');
      expect((await viewer.get('/devices/gw_crud-mast')).statusCode).toBe(200);
    });

    it('keeps ChirpStack and RFID external refs (normalised), and finds a device by them', async () => {
      // domain.md: external_refs { chirpstack: { dev_eui, device_id }, rfid: { station_id, mac } }.
      const dev = await must(
        admin.post('/devices', {
          id: 'dev_crud-refs',
          site_id: 'site_crud-dev-a',
          product_code: 'rfid-station',
          role: 'station',
          external_refs: {
            chirpstack: { dev_eui: 'A84041FFFF000001', device_id: 'cs-1' },
            rfid: { station_id: 'st-7', mac: 'AA:BB:CC:00:11:22' },
          },
        }),
      );
      expect(dev.external_refs).toEqual({
        chirpstack: { dev_eui: 'a84041ffff000001', device_id: 'cs-1' },
        rfid: { station_id: 'st-7', mac: 'aa:bb:cc:00:11:22' },
      });
      const patched = await must(
        admin.patch('/devices/dev_crud-refs', { external_refs: { rfid: { station_id: 'st-8' } } }),
        200,
      );
      expect(patched.external_refs).toEqual({ rfid: { station_id: 'st-8' } });
      // A DevEUI belongs to one device.
      await must(
        admin.patch('/devices/dev_crud-refs', { external_refs: { chirpstack: { dev_eui: 'a84041ffff000001' } } }),
        200,
      );
      const dup = await admin.post('/devices', {
        site_id: 'site_crud-dev-a',
        product_code: 'soil-probe',
        role: 'sensor',
        external_refs: { chirpstack: { dev_eui: 'A84041FFFF000001' } },
      });
      expect(dup.statusCode).toBe(409);
      expect(dup.json().message).toBe('DevEUI a84041ffff000001 already belongs to device dev_crud-refs');
      // Re-saving a device's own DevEUI is not a conflict.
      await must(
        admin.patch('/devices/dev_crud-refs', { external_refs: { chirpstack: { dev_eui: 'A84041FFFF000001' } } }),
        200,
      );
    });

    it('PUT desired-state bumps desired_version; if_version guards against stale writes (409)', async () => {
      // Issue acceptance: PUT /devices/:id/desired-state bumps desired_version (if_version → 409 on mismatch).
      const one = await must(
        admin.put('/devices/dev_crud-probe-1/desired-state', { desired_state: { report_interval_s: 600 } }),
        200,
      );
      expect(one).toMatchObject({ desired_state: { report_interval_s: 600 }, desired_version: 1 });
      const two = await must(
        admin.put('/devices/dev_crud-probe-1/desired-state', {
          desired_state: { report_interval_s: 300 },
          if_version: 1,
        }),
        200,
      );
      expect(two).toMatchObject({ desired_state: { report_interval_s: 300 }, desired_version: 2 });

      const before = await snapshot(t.ctx.db);
      const stale = await admin.put('/devices/dev_crud-probe-1/desired-state', {
        desired_state: { report_interval_s: 60 },
        if_version: 1,
      });
      expect(stale.statusCode).toBe(409);
      expect(stale.json()).toEqual({
        error: 'conflict',
        message: 'device dev_crud-probe-1 desired_version is 2, not 1: re-read and retry',
      });
      expect(await snapshot(t.ctx.db)).toEqual(before);
      expect((await viewer.get('/devices/dev_crud-probe-1')).json()).toMatchObject({
        desired_state: { report_interval_s: 300 },
        desired_version: 2,
      });
    });

    it('never lets observed_state (or status, last_seen, desired_version) be written through the API (400)', async () => {
      // domain.md: observed_state is what the fleet last told us; nobody writes it by hand.
      await t.ctx.db
        .updateTable('devices')
        .set({ observed_state: JSON.stringify({ status: 'up', fw: '1.4.2' }) as never })
        .where('id', '=', 'dev_crud-probe-1')
        .execute();
      const before = await snapshot(t.ctx.db);
      const attempts = [
        admin.put('/devices/dev_crud-probe-1/desired-state', { desired_state: {}, observed_state: { status: 'down' } }),
        admin.patch('/devices/dev_crud-probe-1', { observed_state: { status: 'down' } }),
        admin.patch('/devices/dev_crud-probe-1', { status: 'down' }),
        admin.patch('/devices/dev_crud-probe-1', { last_seen: new Date().toISOString() }),
        admin.patch('/devices/dev_crud-probe-1', { desired_version: 7 }),
        admin.post('/devices', {
          site_id: 'site_crud-dev-a',
          product_code: 'soil-probe',
          role: 'sensor',
          observed_state: { status: 'up' },
        }),
      ];
      for (const res of await Promise.all(attempts)) {
        expect(res.statusCode).toBe(400);
        expect(res.json().issues[0].message).toMatch(
          /^unknown field "(observed_state|status|last_seen|desired_version)"$/,
        );
      }
      expect(await snapshot(t.ctx.db)).toEqual(before);
      expect((await viewer.get('/devices/dev_crud-probe-1')).json().observed_state).toEqual({
        status: 'up',
        fw: '1.4.2',
      });
    });

    it('lists devices exactly as their contract would answer them (the page is sent as built, not through zod)', async () => {
      // kernel/validation/serializer.ts: the device page skips zod's parse; the bytes must not change.
      await must(
        admin.patch('/devices/dev_crud-probe-2', {
          tags: ['north', 'pilot'],
          external_refs: { chirpstack: { dev_eui: '70b3d57ed0000abc' } },
          secrets: { app_key: '00112233445566778899aabbccddeeff' },
        }),
        200,
      );
      await t.ctx.db
        .updateTable('devices')
        .set({
          status: 'up',
          last_seen: new Date('2026-11-01T10:00:00.123Z'),
          observed_state: JSON.stringify({
            '10': 'a key that sorts first',
            fw: '1.4.2',
            metrics: { battery_v: 3.6 },
          }) as never,
        })
        .where('id', '=', 'dev_crud-probe-2')
        .execute();
      for (const query of ['limit=1', 'limit=500', 'sort=-last_seen&limit=2', 'status=up']) {
        const res = await viewer.get(`/devices?${query}`);
        expect(res.statusCode).toBe(200);
        expect(res.body).toBe(JSON.stringify(devicePage.parse(JSON.parse(res.body))));
      }
      const page = (await viewer.get('/devices?limit=500')).json();
      expect(page.items.find((d: { id: string }) => d.id === 'dev_crud-probe-2')).toMatchObject({
        tags: ['north', 'pilot'],
        secrets_set: ['app_key'],
        last_seen: '2026-11-01T10:00:00.123Z',
      });
    });

    it('an unscoped admin can keep a device in stock (no site, no customer)', async () => {
      const dev = await must(
        admin.post('/devices', { id: 'dev_crud-stock', product_code: 'soil-probe', role: 'sensor' }),
      );
      expect(dev).toMatchObject({ deployment_id: null, site_id: null, customer_id: null });
      const placed = await must(admin.patch('/devices/dev_crud-stock', { site_id: 'site_crud-dev-b' }), 200);
      expect(placed).toMatchObject({ site_id: 'site_crud-dev-b', customer_id: 'cus_crud-dev' });
    });

    it('deletes a device', async () => {
      expect((await admin.del('/devices/dev_crud-stock')).statusCode).toBe(204);
      expect((await viewer.get('/devices/dev_crud-stock')).statusCode).toBe(404);
      expect((await admin.del('/devices/dev_crud-stock')).statusCode).toBe(404);
    });
  });

  describe('concurrent writes', () => {
    beforeAll(async () => {
      await must(admin.post('/customers', { id: 'cus_crud-race', name: 'Race' }));
      await must(admin.post('/sites', { id: 'site_crud-race', customer_id: 'cus_crud-race', name: 'Race' }));
      await must(
        admin.post('/devices', {
          id: 'dev_crud-race',
          site_id: 'site_crud-race',
          product_code: 'soil-probe',
          role: 'sensor',
        }),
      );
    });
    const statuses = (rs: Array<{ statusCode: number }>) => rs.map((r) => r.statusCode).sort();

    it('the same id created six times at once: one 201, five 409', async () => {
      const rs = await Promise.all(
        Array.from({ length: 6 }, () =>
          admin.post('/devices', {
            id: 'dev_crud-twin',
            site_id: 'site_crud-race',
            product_code: 'soil-probe',
            role: 'sensor',
          }),
        ),
      );
      expect(statuses(rs)).toEqual([201, 409, 409, 409, 409, 409]);
    });

    it('the same DevEUI claimed by six new devices at once: one wins', async () => {
      // A DevEUI maps ChirpStack uplinks to exactly one registry device (contracts.md).
      const rs = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          admin.post('/devices', {
            id: `dev_crud-eui-${i}`,
            site_id: 'site_crud-race',
            product_code: 'soil-probe',
            role: 'sensor',
            external_refs: { chirpstack: { dev_eui: '70b3d57ed0000001' } },
          }),
        ),
      );
      expect(statuses(rs)).toEqual([201, 409, 409, 409, 409, 409]);
      const owners = (await viewer.get('/devices?q=70b3d57ed0000001')).json().items;
      expect(owners).toHaveLength(1);
    });

    it('six desired-state writes against the same if_version: one 200, five 409, version bumped once', async () => {
      const rs = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          admin.put('/devices/dev_crud-race/desired-state', { desired_state: { writer: i }, if_version: 0 }),
        ),
      );
      expect(statuses(rs)).toEqual([200, 409, 409, 409, 409, 409]);
      expect((await viewer.get('/devices/dev_crud-race')).json().desired_version).toBe(1);
      // Without if_version every write lands and each bumps the version.
      await Promise.all(
        Array.from({ length: 4 }, (_, i) =>
          must(admin.put('/devices/dev_crud-race/desired-state', { desired_state: { writer: i } }), 200),
        ),
      );
      expect((await viewer.get('/devices/dev_crud-race')).json().desired_version).toBe(5);
    });
  });

  describe('inventory', () => {
    beforeAll(async () => {
      await must(admin.post('/customers', { id: 'cus_crud-inv', name: 'Inv Co' }));
      await must(admin.post('/sites', { id: 'site_crud-inv', customer_id: 'cus_crud-inv', name: 'Inv' }));
      await must(
        admin.post('/deployments', {
          id: 'dep_crud-inv',
          site_id: 'site_crud-inv',
          product_code: 'lorawan-gw',
          product_version: '2.1.0',
        }),
      );
    });

    it('stocks, allocates, installs, lists and deletes items', async () => {
      // domain.md: inventory item = sku, serial, state (in_stock, allocated, installed, rma), allocated deployment.
      const item = await must(
        admin.post('/inventory', { id: 'inv_crud-gw-1', sku: 'GW-OUT-8CH', serial: 'GW-2026-0001' }),
      );
      expect(item).toMatchObject({ sku: 'GW-OUT-8CH', serial: 'GW-2026-0001', state: 'in_stock', deployment_id: null });
      const gen = await must(admin.post('/inventory', { sku: 'ANT-923-6DBI' }));
      expect(gen.id).toMatch(GENERATED('inv_'));

      const allocated = await must(
        admin.patch('/inventory/inv_crud-gw-1', { state: 'allocated', deployment_id: 'dep_crud-inv' }),
        200,
      );
      expect(allocated).toMatchObject({ state: 'allocated', deployment_id: 'dep_crud-inv' });
      await must(admin.patch('/inventory/inv_crud-gw-1', { state: 'installed' }), 200);

      const byDep = (await viewer.get('/inventory?deployment_id=dep_crud-inv')).json();
      expect(byDep.items.map((i: { id: string }) => i.id)).toEqual(['inv_crud-gw-1']);
      const bySku = (await viewer.get('/inventory?sku=ANT-923-6DBI&state=in_stock')).json();
      expect(bySku.items.map((i: { id: string }) => i.id)).toEqual([gen.id]);
      const byQ = (await viewer.get('/inventory?q=GW-2026')).json();
      expect(byQ.items.map((i: { id: string }) => i.id)).toEqual(['inv_crud-gw-1']);

      const unknownDep = await admin.patch('/inventory/inv_crud-gw-1', { deployment_id: 'dep_crud-nowhere' });
      expect(unknownDep.statusCode).toBe(404);
      expect(unknownDep.json().message).toBe('deployment dep_crud-nowhere not found');

      expect((await admin.del(`/inventory/${gen.id}`)).statusCode).toBe(204);
      expect((await viewer.get(`/inventory/${gen.id}`)).statusCode).toBe(404);
    });

    it('deleting a deployment returns its allocated inventory to stock', async () => {
      await must(
        admin.post('/deployments', {
          id: 'dep_crud-inv-2',
          site_id: 'site_crud-inv',
          product_code: 'lorawan-gw',
          product_version: '2.1.0',
        }),
      );
      await must(
        admin.post('/inventory', {
          id: 'inv_crud-gw-2',
          sku: 'GW-OUT-8CH',
          state: 'allocated',
          deployment_id: 'dep_crud-inv-2',
        }),
      );
      expect((await admin.del('/deployments/dep_crud-inv-2')).statusCode).toBe(204);
      expect((await viewer.get('/inventory/inv_crud-gw-2')).json()).toMatchObject({
        state: 'in_stock',
        deployment_id: null,
      });
    });
  });
});
