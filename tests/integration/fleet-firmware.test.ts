import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fleetFirmwareSchema } from '../../data-api/src/contracts/firmware.ts';
import { json } from '../../data-api/src/kernel/db/index.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { bearer, tag } from './ingest-fixtures.ts';

// Issue 15: "firmware drift — devices whose reported firmware differs from their version's
// baseline" (GET /api/v1/fleet/firmware), counted against docs/products' firmware_baseline.
describe('GET /api/v1/fleet/firmware', () => {
  let t: TestApp;
  const id = tag();
  const customers = [`cus_${id}-a`, `cus_${id}-b`];
  const get = async (query: string, headers: Record<string, string>) => {
    const res = await t.app.inject({ method: 'GET', url: `/api/v1/fleet/firmware${query}`, headers });
    return { status: res.statusCode, body: res.json() };
  };

  beforeAll(async () => {
    t = await createTestApp();
    const db = t.ctx.db;
    for (const [i, c] of customers.entries()) {
      await db.insertInto('customers').values({ id: c, name: c }).execute();
      await db
        .insertInto('sites')
        .values({ id: `site_${id}-${i}`, customer_id: c, name: `site ${i}`, timezone: 'UTC' })
        .execute();
    }
    // pump-ctl 1.5.0's baseline is 1.5.0; lorawan-gw 2.1.0's is 2.1.3 (docs/products).
    const devices: Array<[string, number, string, string | null, string | null]> = [
      ['pump-ok-1', 0, 'pump-ctl', '1.5.0', '1.5.0'],
      ['pump-ok-2', 0, 'pump-ctl', '1.5.0', '1.5.0'],
      ['pump-old', 0, 'pump-ctl', '1.5.0', '1.4.2'],
      ['pump-silent', 0, 'pump-ctl', '1.5.0', null],
      ['pump-noversion', 0, 'pump-ctl', null, '1.5.0'],
      ['gw-old', 1, 'lorawan-gw', '2.1.0', '2.1.0'],
      ['gw-ok', 1, 'lorawan-gw', '2.1.0', '2.1.3'],
    ];
    for (const [name, c, product, version, fw] of devices) {
      await db
        .insertInto('devices')
        .values({
          id: `dev_${id}-${name}`,
          site_id: `site_${id}-${c}`,
          customer_id: customers[c]!,
          product_code: product,
          product_version: version,
          role: product === 'lorawan-gw' ? 'gateway' : 'controller',
          name,
          desired_state: json({}),
          observed_state: json(fw ? { fw } : {}),
          external_refs: json({}),
          heartbeat_interval_s: 60,
        } as never)
        .execute();
    }
  });
  afterAll(async () => t?.close());

  it('counts devices by version and reported firmware against the baseline, and lists the drifting ones', async () => {
    const res = await get(`?customer_id=${customers[0]}`, await bearer(t.ctx.db, 'viewer'));
    expect(res.status).toBe(200);
    const body = fleetFirmwareSchema.parse(res.body);
    expect(body.total).toEqual({ devices: 5, reported: 4, drift: 1 });
    expect(body.groups).toEqual([
      {
        product_code: 'pump-ctl',
        product_version: '1.5.0',
        baseline: '1.5.0',
        firmware: '1.4.2',
        devices: 1,
        drift: true,
      },
      {
        product_code: 'pump-ctl',
        product_version: '1.5.0',
        baseline: '1.5.0',
        firmware: '1.5.0',
        devices: 2,
        drift: false,
      },
      {
        product_code: 'pump-ctl',
        product_version: '1.5.0',
        baseline: '1.5.0',
        firmware: null,
        devices: 1,
        drift: false,
      },
      { product_code: 'pump-ctl', product_version: null, baseline: null, firmware: '1.5.0', devices: 1, drift: false },
    ]);
    expect(body.drifting.map((d) => [d.id, d.firmware, d.baseline])).toEqual([
      [`dev_${id}-pump-old`, '1.4.2', '1.5.0'],
    ]);
  });

  it('filters by product, limits the list but never the counts', async () => {
    const admin = await bearer(t.ctx.db, 'admin');
    const gw = fleetFirmwareSchema.parse(
      (await get(`?product_code=lorawan-gw&customer_id=${customers[1]}`, admin)).body,
    );
    expect(gw.total).toEqual({ devices: 2, reported: 2, drift: 1 });
    expect(gw.drifting[0]).toMatchObject({
      id: `dev_${id}-gw-old`,
      firmware: '2.1.0',
      baseline: '2.1.3',
      role: 'gateway',
    });
    const none = fleetFirmwareSchema.parse(
      (await get(`?product_code=lorawan-gw&customer_id=${customers[1]}&limit=0`, admin)).body,
    );
    expect(none.drifting).toEqual([]);
    expect(none.total.drift).toBe(1);
  });

  it('a customer-scoped token counts only its own devices, whatever it asks for', async () => {
    const scoped = await bearer(t.ctx.db, 'viewer', customers[0]);
    const body = fleetFirmwareSchema.parse((await get(`?customer_id=${customers[1]}`, scoped)).body);
    expect(body.total.devices).toBe(0);
    const own = fleetFirmwareSchema.parse((await get('', scoped)).body);
    expect(own.total).toEqual({ devices: 5, reported: 4, drift: 1 });
    expect(own.drifting.every((d) => d.id.includes('pump'))).toBe(true);
  });

  it('refuses a bad query with the field and the reason', async () => {
    const res = await get('?limit=lots&product_code=Pump Ctl', await bearer(t.ctx.db, 'viewer'));
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('validation');
    expect(res.body.issues.map((i: { path: string }) => i.path).sort()).toEqual([
      'querystring.limit',
      'querystring.product_code',
    ]);
  });
});
