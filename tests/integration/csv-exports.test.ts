import { csvParse } from 'd3-dsv';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAlert } from '../../data-api/src/health/alerts/service.ts';
import { json } from '../../data-api/src/kernel/db/index.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { backendName, bearer, seedFleet, tag, type Fleet } from './ingest-fixtures.ts';

// Issue 17: `Accept: text/csv` on devices, alerts, automation runs, dead letters and uptime:
// every row the caller may see (no cursor), streamed, in RFC 4180 (read back with d3-dsv).
describe(`CSV exports (${backendName()})`, () => {
  let t: TestApp;
  let base: string;
  let a: Fleet;
  let b: Fleet;
  const id = tag();
  const MANY = 620; // more than one page (500): the export walks the pages itself

  beforeAll(async () => {
    t = await createTestApp();
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}/api/v1`;
    const db = t.ctx.db;
    a = await seedFleet(db, `${id}a`, { sites: 1, devices: [{ name: 'named' }] });
    b = await seedFleet(db, `${id}b`, { sites: 1, devices: [{ name: 'other' }] });
    const site = a.sites[0]!;
    await db
      .insertInto('devices')
      .values(
        Array.from({ length: MANY - 1 }, (_, i) => ({
          id: `dev_${id}a-bulk-${String(i).padStart(4, '0')}`,
          site_id: site,
          customer_id: a.customer,
          product_code: 'soil-probe',
          role: 'sensor',
          // A name that needs quoting, and one a spreadsheet would run as a formula.
          name: i === 0 ? 'Probe "north", row 1\nsecond line' : i === 1 ? '=HYPERLINK("http://x")' : `probe ${i}`,
          desired_state: json({}),
          observed_state: json({}),
          external_refs: json({}),
          heartbeat_interval_s: 60,
        })) as never,
      )
      .execute();
    for (const [fleet, device] of [
      [a, a.devices.named!],
      [b, b.devices.other!],
    ] as const) {
      await openAlert(db, 'test', {
        ruleId: 'device_down',
        subject: { type: 'device', id: device.id },
        customerId: fleet.customer,
        siteId: device.site,
        severity: 'critical',
        title: `${device.id} is down`,
        dedupeKey: `csv:${device.id}`,
      });
      await db
        .insertInto('dead_letters')
        .values({
          reason: 'validation',
          topic: `fleetbook/v1/${device.site}/${device.id}/telemetry`,
          site_id: device.site,
          device_id: device.id,
          customer_id: fleet.customer,
          detail: 'metrics: expected a number',
          payload: '{"metrics":{"t":"x"}}',
          payload_encoding: 'utf8',
          payload_bytes: 20,
        })
        .execute();
      const dep = `dep_${device.id.slice(4)}`;
      await db
        .insertInto('deployments')
        .values({
          id: dep,
          site_id: device.site,
          customer_id: fleet.customer,
          name: dep,
          product_code: 'lorawan-gw',
          product_version: '2.1.0',
          state: 'live',
        } as never)
        .execute();
      await db
        .insertInto('automation_runs')
        .values({
          id: `arun_${device.id.slice(4)}`,
          project: 'csv',
          deployment_id: dep,
          site_id: device.site,
          customer_id: fleet.customer,
          product_code: 'lorawan-gw',
          product_version: '2.1.0',
          spec: json({}),
          spec_digest: `sha256:${'0'.repeat(64)}`,
          source: 'runner',
          state: 'succeeded',
          created_by: 'test',
        } as never)
        .execute();
      const hourAgo = new Date(Date.now() - 3600_000);
      await db
        .insertInto('device_health_events')
        .values([
          {
            device_id: device.id,
            site_id: device.site,
            customer_id: fleet.customer,
            product_code: device.product,
            status: 'up',
            at: hourAgo,
          },
        ])
        .execute();
    }
  });
  afterAll(async () => {
    await t?.close();
  });

  const get = async (path: string, headers: Record<string, string>, accept = 'text/csv') => {
    const res = await fetch(`${base}${path}`, { headers: { ...headers, accept } });
    return {
      status: res.status,
      type: res.headers.get('content-type'),
      chunked: res.headers.get('transfer-encoding') === 'chunked',
      length: res.headers.get('content-length'),
      disposition: res.headers.get('content-disposition'),
      vary: res.headers.get('vary'),
      text: await res.text(),
    };
  };

  it('devices: every row of the caller’s tenant in one streamed file, quoted per RFC 4180, no cursor, formulas defused', async () => {
    const scoped = await bearer(t.ctx.db, 'viewer', a.customer);
    const res = await get('/devices?limit=5', scoped);
    expect(res.status).toBe(200);
    expect(res.type).toBe('text/csv; charset=utf-8');
    expect(res.disposition).toMatch(/^attachment; filename="devices-\d{8}T\d{4}Z\.csv"$/);
    expect(res.vary).toContain('Accept');
    expect([res.chunked, res.length]).toEqual([true, null]); // streamed: no length known up front
    const rows = csvParse(res.text); // d3-dsv: RFC 4180, CRLF, quoted newlines
    expect(rows.columns[0]).toBe('id');
    expect(rows.columns).toEqual(expect.arrayContaining(['site_id', 'customer_id', 'name', 'product_code']));
    expect(rows).toHaveLength(MANY); // limit=5 is not a page here: the export has every row
    expect(new Set(rows.map((r) => r.customer_id))).toEqual(new Set([a.customer]));
    expect(new Set(rows.map((r) => r.id)).size).toBe(MANY);
    expect(rows.find((r) => r.id === `dev_${id}a-bulk-0000`)!.name).toBe('Probe "north", row 1\nsecond line');
    expect(rows.find((r) => r.id === `dev_${id}a-bulk-0001`)!.name).toBe(`'=HYPERLINK("http://x")`);
    const fleetWide = csvParse((await get('/devices', await bearer(t.ctx.db, 'viewer'))).text);
    expect(fleetWide.map((r) => r.id)).toEqual(expect.arrayContaining([a.devices.named!.id, b.devices.other!.id]));
    // The JSON answer is unchanged (and varies on Accept too).
    const page = await get('/devices?limit=5', scoped, 'application/json');
    expect(page.type).toMatch(/^application\/json/);
    expect(JSON.parse(page.text).items).toHaveLength(5);
    expect(page.vary).toContain('Accept');
  });

  it('alerts, automation runs, dead letters and uptime: tenant-scoped, nested fields as their own columns', async () => {
    const scoped = await bearer(t.ctx.db, 'viewer', b.customer);
    const alerts = csvParse((await get('/alerts', scoped)).text);
    expect(alerts.map((r) => [r['subject.type'], r['subject.id'], r.state])).toEqual([
      ['device', b.devices.other!.id, 'open'],
    ]);
    const runs = csvParse((await get('/automation-runs', scoped)).text);
    expect(runs.map((r) => [r.id, r.state])).toEqual([[`arun_${b.devices.other!.id.slice(4)}`, 'succeeded']]);
    const dead = csvParse((await get('/dead-letters', scoped)).text);
    expect(dead.map((r) => [r.device_id, r.reason, r.payload])).toEqual([
      [b.devices.other!.id, 'validation', '{"metrics":{"t":"x"}}'],
    ]);
    const uptime = await get('/uptime?group_by=customer', scoped);
    expect(uptime.disposition).toMatch(/filename="uptime-by-customer-\d{8}T/);
    // Filters are in the name, as FleetHealth's button names it: two selections, two files.
    const filtered = await get('/uptime?group_by=site&product_code=soil-probe', scoped);
    expect(filtered.disposition).toMatch(/filename="uptime-by-site-product-soil-probe-\d{8}T/);
    const groups = csvParse(uptime.text);
    expect(groups.columns).toEqual(['group_by', 'from', 'to', 'id', 'name', 'uptime_pct', 'up_s', 'down_s', 'devices']);
    expect(groups.map((r) => [r.group_by, r.id, r.uptime_pct, r.devices])).toEqual([
      ['customer', b.customer, '100', '1'],
    ]);
  });

  it('JSON stays the default: no Accept, */*, or JSON preferred by q', async () => {
    const headers = await bearer(t.ctx.db, 'viewer', b.customer);
    for (const accept of ['', '*/*', 'application/json, text/csv;q=0.5', 'text/csv;q=0']) {
      const res = await get('/alerts', headers, accept);
      expect(res.type, accept).toMatch(/^application\/json/);
    }
    expect((await get('/alerts', headers, 'text/csv, application/json;q=0.9')).type).toBe('text/csv; charset=utf-8');
    // Bad input is still a 400 with the field named, in JSON.
    const bad = await get('/alerts?state=nope', headers);
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.text).issues[0].path).toBe('querystring.state');
  });
});
