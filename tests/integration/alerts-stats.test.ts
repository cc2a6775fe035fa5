import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAlert, resolveAlertsByKey } from '../../data-api/src/health/alerts/service.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { backendName, bearer, seedFleet, tag, type Fleet } from './ingest-fixtures.ts';

// GET /alerts/stats (contracts/alerts.ts): of the alerts opened in [from, to), per severity and in
// total, how many were acknowledged, resolved, resolved by the system before anyone acknowledged
// them, escalated, and how fast (median and p90 seconds to acknowledge, median to resolve).
// Alerts are opened, acknowledged and resolved the way the product does it (openAlert, the API's
// acknowledge/resolve routes, resolveAlertsByKey as ingest does when a device comes back), then
// given explicit times so the figures can be worked out by hand.
describe(`alert stats (${backendName()})`, () => {
  let t: TestApp;
  let fleet: Fleet;
  let other: Fleet;
  let admin: Record<string, string>;
  let operator: Record<string, string>;
  const id = tag();
  const from = '2026-11-01T00:00:00.000Z';
  const to = '2026-11-08T00:00:00.000Z';
  const t0 = Date.parse(from);
  const window = `from=${from}&to=${to}`;
  let n = 0;

  interface Spec {
    fleet?: Fleet;
    site?: number;
    severity: 'critical' | 'warning' | 'info';
    /** Opened this many seconds after `from` (negative: before), or at this instant. */
    at: number | Date;
    /** Acknowledged by a person this many seconds after it opened. */
    ack?: number;
    /** Resolved this many seconds after it opened, by a person or by the system. */
    resolve?: { by: 'person' | 'system'; after: number };
    escalation?: number;
  }

  /** Opens one alert, acknowledges/resolves it as a person (the API) or the system would, then dates it. */
  const alert = async (spec: Spec): Promise<string> => {
    const f = spec.fleet ?? fleet;
    const device = Object.values(f.devices)[0]!;
    const key = `stats_test:${id}:${n++}`;
    const row = await openAlert(t.ctx.db, 'test', {
      ruleId: 'stats_test',
      subject: { type: 'device', id: device.id },
      customerId: f.customer,
      siteId: f.sites[spec.site ?? 0]!,
      severity: spec.severity,
      title: key,
      dedupeKey: key,
    });
    const post = (action: string) =>
      t.app.inject({ method: 'POST', url: `/api/v1/alerts/${row!.id}/${action}`, headers: operator });
    if (spec.ack !== undefined) expect((await post('acknowledge')).statusCode).toBe(200);
    if (spec.resolve?.by === 'person') expect((await post('resolve')).statusCode).toBe(200);
    if (spec.resolve?.by === 'system')
      expect(await resolveAlertsByKey(t.ctx.db, 'system:ingest', [key])).toHaveLength(1);
    const opened = spec.at instanceof Date ? spec.at : new Date(t0 + spec.at * 1000);
    const later = (s: number | undefined) => (s === undefined ? null : new Date(opened.getTime() + s * 1000));
    await t.ctx.db
      .updateTable('alerts')
      .set({
        opened_at: opened,
        acked_at: later(spec.ack),
        resolved_at: later(spec.resolve?.after),
        escalation_level: spec.escalation ?? 0,
      })
      .where('id', '=', row!.id)
      .execute();
    return row!.id;
  };

  beforeAll(async () => {
    t = await createTestApp();
    fleet = await seedFleet(t.ctx.db, id, { sites: 2, devices: [{ name: 'a' }] });
    other = await seedFleet(t.ctx.db, `${id}o`, { sites: 1, devices: [{ name: 'z' }] });
    admin = await bearer(t.ctx.db, 'admin');
    operator = await bearer(t.ctx.db, 'operator');
    // Critical, at site 0: acknowledged after 60, 120 and 300 s; resolved after 600 (a person),
    // 1200 (the system, after an acknowledgement: not auto-resolved) and 90 s (the system, never
    // acknowledged: auto-resolved); two escalated. The first opens exactly at `from` (in the window).
    await alert({ severity: 'critical', at: 0, ack: 60, resolve: { by: 'person', after: 600 } });
    await alert({ severity: 'critical', at: 3600, ack: 120, resolve: { by: 'system', after: 1200 } });
    await alert({ severity: 'critical', at: 7200, ack: 300, escalation: 1 });
    await alert({ severity: 'critical', at: 9000, resolve: { by: 'system', after: 90 } });
    await alert({ severity: 'critical', at: 86_400, escalation: 2 });
    // Warning, at site 1: acknowledged after 240 then resolved by the system after 500; resolved by
    // a person after 30 s without an acknowledgement (neither acknowledged nor auto-resolved);
    // acknowledged after 600.
    await alert({ severity: 'warning', site: 1, at: 100, ack: 240, resolve: { by: 'system', after: 500 } });
    await alert({ severity: 'warning', site: 1, at: 200, resolve: { by: 'person', after: 30 } });
    await alert({ severity: 'warning', site: 1, at: 300, ack: 600 });
    // Outside the window: one second before `from`, and exactly at `to` (the window is half-open).
    await alert({ severity: 'critical', at: -1, ack: 1 });
    await alert({ severity: 'info', at: new Date(to), ack: 1 });
    // Another customer: one in the window, one an hour ago (the default window).
    await alert({ fleet: other, severity: 'critical', at: 60, ack: 5 });
    await alert({ fleet: other, severity: 'info', at: new Date(Date.now() - 3_600_000) });
  });
  afterAll(async () => t?.close());

  const get = (query: string, headers = admin) =>
    t.app.inject({ method: 'GET', url: `/api/v1/alerts/stats?${query}`, headers });
  const stats = async (query: string, headers = admin) => {
    const res = await get(query, headers);
    expect(res.statusCode, res.body).toBe(200);
    return res.json();
  };
  const zero = {
    opened: 0,
    acknowledged: 0,
    resolved: 0,
    auto_resolved: 0,
    escalated: 0,
    ack_median_s: null,
    ack_p90_s: null,
    resolve_median_s: null,
  };
  const critical = {
    opened: 5,
    acknowledged: 3,
    resolved: 3,
    auto_resolved: 1,
    escalated: 2,
    ack_median_s: 120, // 60, 120, 300
    ack_p90_s: 264, // 120 + 0.8 × (300 − 120)
    resolve_median_s: 600, // 90, 600, 1200
  };
  const warning = {
    opened: 3,
    acknowledged: 2,
    resolved: 2,
    auto_resolved: 0,
    escalated: 0,
    ack_median_s: 420, // 240, 600
    ack_p90_s: 564, // 240 + 0.9 × 360
    resolve_median_s: 265, // 30, 500
  };

  it('counts and times each severity and the total, worked out by hand', async () => {
    const body = await stats(`${window}&customer_id=${fleet.customer}`);
    expect(body.from).toBe(from);
    expect(body.to).toBe(to);
    expect(body.by_severity).toEqual([
      { severity: 'critical', ...critical },
      { severity: 'warning', ...warning },
      { severity: 'info', ...zero },
    ]);
    expect(body.total).toEqual({
      opened: 8,
      acknowledged: 5,
      resolved: 5,
      auto_resolved: 1,
      escalated: 2,
      ack_median_s: 240, // 60, 120, 240, 300, 600
      ack_p90_s: 480, // 300 + 0.6 × 300
      resolve_median_s: 500, // 30, 90, 500, 600, 1200
    });
  });

  it('is not taken for an alert id by GET /alerts/:id', async () => {
    const res = await get(window);
    expect(res.statusCode, res.body).toBe(200);
    // Everyone's, for an unscoped token: the other customer's critical alert too.
    expect(res.json().total.opened).toBe(9);
  });

  it('filters by severity, site and customer', async () => {
    const onlyWarning = await stats(`${window}&customer_id=${fleet.customer}&severity=warning`);
    expect(onlyWarning.by_severity).toEqual([{ severity: 'warning', ...warning }]);
    expect(onlyWarning.total).toEqual(warning);
    const site1 = await stats(`${window}&site_id=${fleet.sites[1]}`);
    expect(site1.total).toEqual(warning);
    expect(site1.by_severity[0]).toEqual({ severity: 'critical', ...zero });
    const otherCustomer = await stats(`${window}&customer_id=${other.customer}`);
    expect(otherCustomer.total).toMatchObject({ opened: 1, acknowledged: 1, ack_median_s: 5, ack_p90_s: 5 });
  });

  it('reads [from, to): an alert opened at `from` counts, one at `to` or before `from` does not', async () => {
    const firstSecond = await stats(`from=${from}&to=2026-11-01T00:00:01Z&customer_id=${fleet.customer}`);
    expect(firstSecond.total).toMatchObject({ opened: 1, acknowledged: 1, ack_median_s: 60 });
    const around = await stats(`from=2026-10-31T23:00:00Z&to=${from}&customer_id=${fleet.customer}`);
    expect(around.total).toMatchObject({ opened: 1, ack_median_s: 1 });
    const after = await stats(`from=${to}&to=2026-11-09T00:00:00Z&customer_id=${fleet.customer}`);
    expect(after.by_severity.find((r: { severity: string }) => r.severity === 'info')).toMatchObject({ opened: 1 });
  });

  it('defaults to the last 7 days, and takes at most 366 days', async () => {
    const before = Date.now();
    const body = await stats(`customer_id=${other.customer}`);
    expect(Date.parse(body.to)).toBeGreaterThanOrEqual(before - 1000);
    expect(Date.parse(body.to) - Date.parse(body.from)).toBe(7 * 86_400_000);
    expect(body.total.opened).toBe(1); // the one an hour ago, not the one in November
    expect((await get('from=2025-11-07T00:00:00Z&to=2026-11-08T00:00:00Z')).statusCode).toBe(200);
  });

  it('refuses a bad parameter with a 400 naming the field', async () => {
    const cases: Array<[string, string, RegExp]> = [
      ['from=yesterday', 'querystring.from', /ISO 8601/],
      [`from=garbage&to=${to}`, 'querystring.from', /ISO 8601/],
      ['to=2026-13-01', 'querystring.to', /ISO 8601/],
      [`from=0000-01-01T00:00:00Z&to=${to}`, 'querystring.from', /between the years 1 and 9999/],
      // Past 9999 in UTC, so also after `to`: still the one message, the range's.
      [`from=9999-12-31T23:00:00-14:00&to=${to}`, 'querystring.from', /between the years 1 and 9999/],
      ['severity=urgent', 'querystring.severity', /critical/],
      ['site_id=nope', 'querystring.site_id', /expected an id like site_…/],
      ['customer_id=site_x', 'querystring.customer_id', /expected an id like cus_…/],
      [`from=${to}&to=${from}`, 'querystring.from', /from must be before to/],
      ['from=2099-01-01T00:00:00Z', 'querystring.from', /from must be before to/],
      ['from=2025-11-06T00:00:00Z&to=2026-11-08T00:00:00Z', 'querystring.from', /at most 366 days/],
      ['window=7d', 'querystring.window', /.+/],
    ];
    for (const [query, field, message] of cases) {
      const res = await get(query);
      expect(res.statusCode, `${query}: ${res.body}`).toBe(400);
      const issues = (res.json() as { issues?: Array<{ path: string; message: string }> }).issues ?? [];
      // One message, on the field: a date-time's format error is not followed by its range check's.
      expect(issues, query).toEqual([{ path: field, message: expect.stringMatching(message) }]);
    }
  });

  it('a customer-scoped viewer counts only its customer’s alerts', async () => {
    const scoped = await bearer(t.ctx.db, 'viewer', other.customer);
    expect((await stats(window, scoped)).total).toMatchObject({ opened: 1, acknowledged: 1, ack_median_s: 5 });
    expect((await stats(`${window}&customer_id=${fleet.customer}`, scoped)).total).toEqual(zero);
    expect((await stats(`${window}&site_id=${fleet.sites[0]}`, scoped)).total).toEqual(zero);
    expect((await get(window, {})).statusCode).toBe(401);
  });

  it('is in the OpenAPI document, named, with its parameters', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json', headers: admin })).json();
    const op = doc.paths['/api/v1/alerts/stats'].get;
    expect(op.operationId).toBe('getAlertStats');
    expect(op.parameters.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining(['from', 'to', 'severity', 'site_id', 'customer_id']),
    );
  });
});
