import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken } from '../../data-api/src/kernel/auth/service.ts';
import { loadConfig } from '../../data-api/src/kernel/config/index.ts';
import { startFleetbook, type RunningFleetbook } from '../../data-api/src/server.ts';
import { forgetIngestSession } from '../../data-api/src/telemetry/ingest/service.ts';
import { createTestBroker, type TestBroker } from '../helpers/broker.ts';
import { createPgDatabase, dropPgDatabase } from '../helpers/database.ts';
import { freePort } from '../helpers/ports.ts';
import { requestJson } from '../helpers/http.ts';

// The registry over real HTTP, as a client sees it: an admin builds customer → site →
// deployment → devices; a viewer token reads everything back; a customer-scoped token
// reads only its own customer (contracts.md: HTTP API, tokens, tenancy).

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetbook-e2e-registry-'));

describe('registry end to end (real HTTP)', () => {
  const instance = `e2e-${path.basename(import.meta.filename, '.test.ts')}-${randomBytes(3).toString('hex')}`;
  let running: RunningFleetbook;
  let broker: TestBroker;
  let dbUrl: string | null = null;
  let adminToken: string;

  beforeAll(async () => {
    const base = process.env.TEST_DATABASE_URL;
    dbUrl = base ? await createPgDatabase(base) : null;
    broker = await createTestBroker();
    const env: Record<string, string> = {
      HOST: '127.0.0.1',
      PORT: '0',
      FLEETBOOK_DATA_DIR: path.join(tmp, 'data'),
      FLEETBOOK_SITE_DIR: path.join(tmp, 'site'),
      FLEETBOOK_OPEN_READS: '0', // every read needs a token here, even from localhost
      MQTT_URL: broker.url,
    };
    if (dbUrl) env.DATABASE_URL = dbUrl;
    // Its own MQTT session and share group: the default (the host name) is every other fleetbook's on a shared broker.
    running = await startFleetbook(loadConfig(env), {
      buildSite: 'never',
      logger: pino({ level: 'silent' }),
      telemetry: { instance, sharedGroup: instance },
    });
    // Embedded mode prints an admin token on first start; with PostgreSQL it comes from the CLI's service.
    adminToken =
      running.firstAdminToken ?? (await createToken(running.ctx.db, { name: 'e2e-admin', role: 'admin' })).token;
  });
  afterAll(async () => {
    await running?.close();
    await forgetIngestSession(broker.url, instance).catch(() => {});
    await broker?.close();
    if (dbUrl) await dropPgDatabase(process.env.TEST_DATABASE_URL!, dbUrl);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  const call = (token: string | null, method: string, url: string, body?: unknown) =>
    requestJson(`${running.url}/api/v1${url}`, { method, token, body });
  const ok = async (token: string, method: string, url: string, body?: unknown, status = 201) => {
    const res = await call(token, method, url, body);
    expect(res.status, JSON.stringify(res.body)).toBe(status);
    return res.body;
  };

  it('admin creates, viewer reads all, a customer-scoped token reads only its own', async () => {
    expect(running.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await call(null, 'GET', '/devices')).toMatchObject({ status: 401, body: { error: 'unauthorized' } });

    // Admin builds two tenants.
    for (const [cus, site, dep, n] of [
      ['cus_e2e-greenacre', 'site_e2e-farm', 'dep_e2e-farm-soil', 5],
      ['cus_e2e-northport', 'site_e2e-dc', 'dep_e2e-dc-rfid', 2],
    ] as const) {
      await ok(adminToken, 'POST', '/customers', { id: cus, name: cus.slice(8) });
      await ok(adminToken, 'POST', '/sites', {
        id: site,
        customer_id: cus,
        name: site,
        timezone: 'Asia/Bangkok',
        location: { lat: 13.7, lon: 100.5 },
      });
      const product = dep.endsWith('soil')
        ? { product_code: 'soil-probe', product_version: '1.4.2', role: 'sensor' }
        : { product_code: 'rfid-station', product_version: '3.1.0', role: 'station' };
      await ok(adminToken, 'POST', '/deployments', {
        id: dep,
        site_id: site,
        product_code: product.product_code,
        product_version: product.product_version,
      });
      await ok(adminToken, 'PATCH', `/deployments/${dep}`, { state: 'installing' }, 200);
      await ok(adminToken, 'POST', '/devices', {
        id: `gw_${site.slice(5)}`,
        deployment_id: dep,
        product_code: 'lorawan-gw',
        role: 'gateway',
        external_refs: { chirpstack: { dev_eui: dep.endsWith('soil') ? '0016c001ff000001' : '0016c001ff000002' } },
      });
      for (let i = 0; i < n; i++) {
        await ok(adminToken, 'POST', '/devices', {
          id: `dev_${site.slice(5)}-${i}`,
          deployment_id: dep,
          product_code: product.product_code,
          product_version: product.product_version,
          role: product.role,
          serial: `SN-${site}-${i}`,
        });
      }
    }
    const desired = await ok(
      adminToken,
      'PUT',
      '/devices/gw_e2e-farm/desired-state',
      { desired_state: { region: 'AS923_1' } },
      200,
    );
    expect(desired.desired_version).toBe(1);

    // Tokens made through the API by the admin.
    const viewer = (await ok(adminToken, 'POST', '/tokens', { name: 'e2e-viewer', role: 'viewer' })).token as string;
    const tenant = (
      await ok(adminToken, 'POST', '/tokens', {
        name: 'e2e-greenacre',
        role: 'viewer',
        customer_id: 'cus_e2e-greenacre',
      })
    ).token as string;

    // The viewer sees both tenants, page by page.
    const all: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await ok(
        viewer,
        'GET',
        `/devices?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        undefined,
        200,
      );
      all.push(...page.items.map((d: { id: string }) => d.id));
      cursor = page.next_cursor;
    } while (cursor);
    expect(all).toHaveLength(9);
    expect(new Set(all).size).toBe(9);
    expect((await ok(viewer, 'GET', '/customers', undefined, 200)).items).toHaveLength(2);
    const gw = await ok(viewer, 'GET', '/devices/gw_e2e-farm', undefined, 200);
    expect(gw).toMatchObject({
      site_id: 'site_e2e-farm',
      deployment_id: 'dep_e2e-farm-soil',
      customer_id: 'cus_e2e-greenacre',
      desired_state: { region: 'AS923_1' },
    });
    expect((await ok(viewer, 'GET', '/deployments/dep_e2e-dc-rfid', undefined, 200)).state).toBe('installing');
    expect((await ok(viewer, 'GET', '/devices?site_id=site_e2e-dc&role=station', undefined, 200)).items).toHaveLength(
      2,
    );
    expect(
      (await ok(viewer, 'GET', '/devices?q=0016C001FF000002', undefined, 200)).items.map((d: { id: string }) => d.id),
    ).toEqual(['gw_e2e-dc']);
    // …but may not write.
    expect((await call(viewer, 'POST', '/customers', { name: 'nope' })).status).toBe(403);

    // The tenant token sees only Greenacre.
    const mine = await ok(tenant, 'GET', '/devices?limit=500', undefined, 200);
    expect(mine.items.map((d: { id: string }) => d.id).sort()).toEqual([
      'dev_e2e-farm-0',
      'dev_e2e-farm-1',
      'dev_e2e-farm-2',
      'dev_e2e-farm-3',
      'dev_e2e-farm-4',
      'gw_e2e-farm',
    ]);
    expect((await ok(tenant, 'GET', '/customers', undefined, 200)).items.map((c: { id: string }) => c.id)).toEqual([
      'cus_e2e-greenacre',
    ]);
    expect((await ok(tenant, 'GET', '/sites', undefined, 200)).items.map((c: { id: string }) => c.id)).toEqual([
      'site_e2e-farm',
    ]);
    expect((await ok(tenant, 'GET', '/sites/site_e2e-farm', undefined, 200)).location).toEqual({
      lat: 13.7,
      lon: 100.5,
    });
    for (const url of [
      '/sites/site_e2e-dc',
      '/devices/gw_e2e-dc',
      '/deployments/dep_e2e-dc-rfid',
      '/customers/cus_e2e-northport',
    ]) {
      const res = await call(tenant, 'GET', url);
      expect(res.status, url).toBe(404);
      expect(res.body.error).toBe('not_found');
    }
    expect(await ok(tenant, 'GET', '/whoami', undefined, 200)).toEqual({
      kind: 'token',
      name: 'e2e-greenacre',
      role: 'viewer',
      customer_id: 'cus_e2e-greenacre',
    });

    // Every write left an audit entry, visible to the viewer; the tenant sees only its own.
    const audit = await ok(viewer, 'GET', '/audit?limit=500', undefined, 200);
    expect(
      audit.items.filter((e: { action: string; entity: string }) => e.action === 'create' && e.entity === 'device'),
    ).toHaveLength(9);
    const tenantAudit = await ok(tenant, 'GET', '/audit?limit=500', undefined, 200);
    expect(tenantAudit.items.length).toBeGreaterThan(5);
    expect(tenantAudit.items.every((e: { customer_id: string | null }) => e.customer_id === 'cus_e2e-greenacre')).toBe(
      true,
    );

    // The OpenAPI document is served over the same HTTP.
    const doc = await call(null, 'GET', '/openapi.json');
    expect(doc.status).toBe(200);
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining(['/api/v1/devices', '/api/v1/devices/{id}', '/api/v1/devices/{id}/desired-state']),
    );
  });
});
