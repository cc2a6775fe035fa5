import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { openAlert } from '../../data-api/src/health/alerts/service.ts';
import { deliveryOutcome, notificationDeliverySeconds } from '../../data-api/src/kernel/metrics/notifications.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { parseExposition, promtoolCheck } from '../helpers/prometheus.ts';
import {
  backendName,
  bearer,
  connectDevice,
  nowS,
  publish,
  seedFleet,
  startTestIngest,
  tag,
  topic,
  type Fleet,
} from './ingest-fixtures.ts';

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
    for (let i = 0; i < 10; i++)
      await publish(device, topic(a.site, a.id, 'telemetry'), {
        schema_version: 1,
        msg_id: `m${i}`,
        ts: nowS(),
        metrics: { temp_c: i },
      });
    await publish(device, topic(a.site, a.id, 'telemetry'), {
      schema_version: 1,
      msg_id: 'm0',
      ts: nowS(),
      metrics: { temp_c: 0 },
    }); // a repeat
    await publish(device, topic(a.site, a.id, 'telemetry'), 'garbage');
    await expect
      .poll(() => t.ctx.db.selectFrom('dead_letters').select('id').where('device_id', '=', a.id).execute(), {
        timeout: 10_000,
      })
      .toHaveLength(1);
    await ingest.drain();
    await openAlert(t.ctx.db, 'test', {
      ruleId: 'device_down',
      subject: { type: 'device', id: a.id },
      customerId: fleet.customer,
      siteId: a.site,
      severity: 'critical',
      title: 'x',
      dedupeKey: `x:${a.id}`,
    });

    const res = await scrape(headers);
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    const body = res.body;
    const delta = (name: string, labels = '') =>
      (sample(body, name, labels) ?? 0) - (sample(before, name, labels) ?? 0);
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

  it('is promtool-clean, with process metrics and histograms of HTTP requests, ingest batches and notification deliveries', async () => {
    const headers = await bearer(t.ctx.db, 'viewer');
    const a = fleet.devices.a!;
    await publish(device, topic(a.site, a.id, 'telemetry'), {
      schema_version: 1,
      msg_id: `h${id}`,
      ts: nowS(),
      metrics: { temp_c: 1 },
    });
    await ingest.drain();
    await expect
      .poll(() => t.ctx.db.selectFrom('telemetry').select('device_id').where('device_id', '=', a.id).execute(), {
        timeout: 10_000,
      })
      .not.toHaveLength(0);
    for (let i = 0; i < 3; i++)
      expect((await t.app.inject({ method: 'GET', url: `/api/v1/devices/${a.id}`, headers })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/devices/dev_nope', headers })).statusCode).toBe(404);
    notificationDeliverySeconds(t.ctx).observe(
      { channel: 'webhook', outcome: deliveryOutcome({ ok: false, retryable: true }) },
      0.3,
    );

    const body = (await scrape(headers)).body;
    expect(promtoolCheck(body)).toEqual({ status: 0, output: '' });
    const families = parseExposition(body);
    const family = (name: string) => families.get(name) ?? expect.fail(`no metric ${name}`);

    expect(family('process_cpu_seconds_total').type).toBe('counter');
    expect(family('process_resident_memory_bytes').samples[0]!.value).toBeGreaterThan(0);
    expect(family('nodejs_eventloop_lag_seconds').type).toBe('gauge');

    const http = family('http_request_duration_seconds');
    expect(http.type).toBe('histogram');
    const count = (labels: Record<string, string>) =>
      http.samples.find((s) => s.name.endsWith('_count') && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
        ?.value;
    expect(count({ method: 'GET', route: '/api/v1/devices/:id', status_code: '200' })).toBeGreaterThanOrEqual(3);
    expect(count({ method: 'GET', route: '/api/v1/devices/:id', status_code: '404' })).toBeGreaterThanOrEqual(1);
    // The route template, never the id: one series per route.
    expect(http.samples.some((s) => Object.values(s.labels).some((v) => v.includes(a.id)))).toBe(false);
    // Buckets are cumulative and +Inf is the count, for every series.
    const series = new Map<string, number[]>();
    for (const s of http.samples.filter((s) => s.name.endsWith('_bucket'))) {
      const { le: _le, ...rest } = s.labels;
      series.set(JSON.stringify(rest), [...(series.get(JSON.stringify(rest)) ?? []), s.value]);
    }
    for (const [labels, buckets] of series) {
      expect(buckets).toEqual([...buckets].sort((x, y) => x - y));
      expect(buckets.at(-1)).toBe(count(JSON.parse(labels)));
    }

    const batches = family('fleetbook_ingest_batch_duration_seconds');
    expect(batches.type).toBe('histogram');
    expect(
      batches.samples.find((s) => s.name === 'fleetbook_ingest_batch_duration_seconds_count')!.value,
    ).toBeGreaterThanOrEqual(1);
    expect(family('fleetbook_ingest_batch_seconds').type).toBe('gauge'); // the last batch, as before

    const deliveries = family('fleetbook_notification_delivery_seconds');
    expect(deliveries.type).toBe('histogram');
    expect(
      deliveries.samples.find(
        (s) => s.name.endsWith('_count') && s.labels.channel === 'webhook' && s.labels.outcome === 'retry',
      )?.value,
    ).toBe(1);
    expect(
      deliveries.samples.find(
        (s) => s.name.endsWith('_bucket') && s.labels.outcome === 'retry' && s.labels.le === '0.25',
      )?.value,
    ).toBe(0);
    expect(
      deliveries.samples.find(
        (s) => s.name.endsWith('_bucket') && s.labels.outcome === 'retry' && s.labels.le === '0.5',
      )?.value,
    ).toBe(1);
  });
});
