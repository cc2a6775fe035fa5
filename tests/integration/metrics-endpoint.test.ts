import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { openAlert } from '../../data-api/src/alerts/service.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { backendName, bearer, connectDevice, nowS, publish, seedFleet, startTestIngest, tag, topic, type Fleet } from './ingest-fixtures.ts';

// contracts.md: GET /metrics — Prometheus text: ingest rate, lag, dead letters, broker
// clients, SSE clients, DB errors, alert counts.
describe(`GET /metrics (${backendName()})`, () => {
  let t: TestApp;
  let fleet: Fleet;
  let ingest: Awaited<ReturnType<typeof startTestIngest>>;
  let device: MqttClient;
  const id = tag();

  beforeAll(async () => {
    t = await createTestApp();
    fleet = await seedFleet(t.ctx.db, id, { sites: 1, devices: [{ name: 'a' }] });
    ingest = await startTestIngest(t);
    device = await connectDevice(t.testBroker.url);
  });
  afterAll(async () => {
    await device?.endAsync();
    await ingest?.forget();
    await t?.close();
  });

  const scrape = async (headers: Record<string, string>) => t.app.inject({ method: 'GET', url: '/metrics', headers });
  const sample = (body: string, name: string, labels = '') => {
    const m = new RegExp(`^${name}${labels.replace(/[{}"]/g, (c) => `\\${c}`)} (\\S+)$`, 'm').exec(body);
    return m ? Number(m[1]) : undefined;
  };

  it('needs a token that is not scoped to a customer', async () => {
    expect((await scrape({})).statusCode).toBe(401);
    expect((await scrape(await bearer(t.ctx.db, 'viewer', fleet.customer))).statusCode).toBe(403);
    expect((await scrape(await bearer(t.ctx.db, 'viewer'))).statusCode).toBe(200);
  });

  it('counts what the ingest stored and dead-lettered, and shows lag, alerts and clients', async () => {
    const headers = await bearer(t.ctx.db, 'viewer');
    const before = (await scrape(headers)).body;
    const a = fleet.devices.a!;
    for (let i = 0; i < 10; i++) await publish(device, topic(a.site, a.id, 'telemetry'), { schema_version: 1, msg_id: `m${i}`, ts: nowS(), metrics: { temp_c: i } });
    await publish(device, topic(a.site, a.id, 'telemetry'), { schema_version: 1, msg_id: 'm0', ts: nowS(), metrics: { temp_c: 0 } }); // a repeat
    await publish(device, topic(a.site, a.id, 'telemetry'), 'garbage');
    await expect.poll(() => t.ctx.db.selectFrom('dead_letters').select('id').where('device_id', '=', a.id).execute(), { timeout: 10_000 }).toHaveLength(1);
    await ingest.drain();
    await openAlert(t.ctx.db, 'test', { ruleId: 'device_down', subject: { type: 'device', id: a.id }, customerId: fleet.customer, siteId: a.site, severity: 'critical', title: 'x', dedupeKey: `x:${a.id}` });

    const res = await scrape(headers);
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    const body = res.body;
    const delta = (name: string, labels = '') => (sample(body, name, labels) ?? 0) - (sample(before, name, labels) ?? 0);
    expect(delta('fleetbook_ingest_rows_total')).toBeGreaterThanOrEqual(10);
    expect(delta('fleetbook_ingest_duplicates_total')).toBeGreaterThanOrEqual(1);
    expect(delta('fleetbook_ingest_messages_total')).toBeGreaterThanOrEqual(12);
    expect(delta('fleetbook_ingest_dead_letters_total', '{reason="validation"}')).toBeGreaterThanOrEqual(1);
    expect(sample(body, 'fleetbook_ingest_lag_seconds')).toBeGreaterThanOrEqual(0);
    expect(sample(body, 'fleetbook_ingest_connected')).toBe(1);
    expect(sample(body, 'fleetbook_alerts', '{severity="critical",state="open"}')).toBe(1);
    expect(sample(body, 'fleetbook_sse_clients')).toBe(0);
    expect(sample(body, 'fleetbook_db_errors_total')).toBe(0);
    expect(sample(body, 'fleetbook_broker_connected')).toBe(1);
    expect(body).toMatch(/^# TYPE fleetbook_ingest_rows_total counter$/m);
    expect(body).toMatch(/^# TYPE fleetbook_ingest_lag_seconds gauge$/m);
  });
});
