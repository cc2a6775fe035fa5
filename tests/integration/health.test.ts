import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { healthSchema } from '../../data-api/src/contracts/health.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import {
  bearer,
  connectDevice,
  count,
  nowS,
  publish,
  seedFleet,
  startTestIngest,
  tag,
  topic,
} from './ingest-fixtures.ts';

describe('GET /api/v1/health', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => t?.close());

  it('reports database, broker and build, and matches its own schema', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/health' });
    expect(res.statusCode).toBe(200);
    const body = healthSchema.parse(res.json());
    expect(body.status).toBe('ok');
    expect(body.database).toMatchObject({ status: 'up', kind: t.database.backend });
    expect(body.database.latency_ms).toBeGreaterThanOrEqual(0);
    expect(body.broker).toMatchObject({ status: 'up', kind: 'external', url: t.testBroker.url });
    expect(body.build.status).toBe('disabled');
    // No ingest runs in this process (yet): nothing to lag.
    expect(body.ingest).toEqual({
      status: 'off',
      reason: null,
      scope: 'replica',
      instance: null,
      connected: false,
      subscribed: false,
      lag_ms: 0,
      queued: 0,
      last_received_at: null,
      last_stored_at: null,
      max_lag_ms: null,
    });
  });

  it('is listed in the OpenAPI document generated from the route schemas', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toBe('3.1.0');
    const op = doc.paths['/api/v1/health'].get;
    expect(op.responses['200']).toBeDefined();
    expect(op.responses['200'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/Health' });
    expect(Object.keys(doc.components.schemas.Health.properties)).toEqual([
      'status',
      'version',
      'uptime_s',
      'database',
      'broker',
      'build',
      'ingest',
    ]);
    expect(doc.components.securitySchemes.bearer).toEqual(expect.objectContaining({ scheme: 'bearer' }));
  });

  it('reports this replica’s ingest lag: it rises while the database holds the telemetry table (503), then returns to 0', async () => {
    const id = tag();
    const fleet = await seedFleet(t.ctx.db, id, { sites: 1, devices: [{ name: 'a' }] });
    const a = fleet.devices.a!;
    const ingest = await startTestIngest(t, { maxLagMs: 300, sites: fleet.sites });
    const device = await connectDevice(t.testBroker.url);
    const health = async () => {
      const res = await t.app.inject({ method: 'GET', url: '/api/v1/health' });
      return { code: res.statusCode, body: healthSchema.parse(res.json()) };
    };
    const viewer = await bearer(t.ctx.db, 'viewer'); // before the table is held: PGlite has one connection
    const lagGauge = async () => {
      const res = await t.app.inject({ method: 'GET', url: '/metrics', headers: viewer });
      return Number(/^fleetbook_ingest_lag_seconds (\S+)$/m.exec(res.body)?.[1]);
    };
    try {
      await publish(device, topic(a.site, a.id, 'telemetry'), {
        schema_version: 1,
        msg_id: 'before',
        ts: nowS(),
        metrics: { temp_c: 1 },
      });
      await expect
        .poll(() => count(t.ctx.db, 'telemetry', (q) => q.where('device_id', '=', a.id)), { timeout: 10_000 })
        .toBe(1);
      await ingest.drain();
      const idle = await health();
      expect(idle.code).toBe(200);
      expect(idle.body.ingest).toMatchObject({
        status: 'ok',
        scope: 'replica',
        instance: ingest.instance,
        lag_ms: 0,
        queued: 0,
        max_lag_ms: 300,
      });
      const storedBefore = Date.parse(idle.body.ingest.last_stored_at!);

      // The database cannot take the insert: the message waits, received but not stored.
      const release = await holdTelemetryTable(t);
      try {
        await publish(device, topic(a.site, a.id, 'telemetry'), {
          schema_version: 1,
          msg_id: 'held',
          ts: nowS(),
          metrics: { temp_c: 2 },
        });
        await expect.poll(async () => (await health()).body.ingest.lag_ms, { timeout: 10_000 }).toBeGreaterThan(300);
        const slow = await health();
        expect(slow.code).toBe(503);
        expect(slow.body).toMatchObject({
          status: 'degraded',
          broker: { status: 'up' },
          ingest: { status: 'lagging', queued: 1 },
        });
        // Only the lag makes it degraded; the gauge says the same. (PGlite has one connection,
        // held too: its ping, and /metrics' alert counts, wait for it.)
        if (t.database.backend === 'pg') {
          expect(slow.body.database.status).toBe('up');
          expect(await lagGauge()).toBeGreaterThan(0.3);
        }
      } finally {
        await release();
      }

      await expect.poll(async () => (await health()).body.ingest.lag_ms, { timeout: 10_000 }).toBe(0);
      const after = await health();
      expect(after.code).toBe(200);
      expect(after.body.ingest).toMatchObject({ status: 'ok', queued: 0 });
      expect(Date.parse(after.body.ingest.last_stored_at!)).toBeGreaterThan(storedBefore);
      expect(await count(t.ctx.db, 'telemetry', (q) => q.where('device_id', '=', a.id))).toBe(2);
      expect(await lagGauge()).toBe(0);
    } finally {
      await device.endAsync();
      await ingest.forget();
    }
  });

  it('answers 503 degraded when the broker connection is gone', async () => {
    await t.broker.client.endAsync();
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/health' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ status: 'degraded', broker: { status: 'down' }, database: { status: 'up' } });
  });
});

/**
 * Locks the telemetry table against writes until the returned function is called. On
 * PostgreSQL from a connection of its own, so the app's pool (and its health ping) is untouched.
 */
async function holdTelemetryTable(t: TestApp): Promise<() => Promise<void>> {
  if (t.database.url) {
    const client = new pg.Client({ connectionString: t.database.url });
    await client.connect();
    await client.query('begin');
    await client.query('lock table telemetry in exclusive mode');
    return async () => {
      await client.query('rollback');
      await client.end();
    };
  }
  let locked!: () => void;
  let release!: () => void;
  const isLocked = new Promise<void>((r) => (locked = r));
  const gate = new Promise<void>((r) => (release = r));
  const held = t.ctx.db.transaction().execute(async (trx) => {
    await sql`lock table telemetry in exclusive mode`.execute(trx);
    locked();
    await gate;
  });
  await isLocked;
  return async () => {
    release();
    await held;
  };
}
