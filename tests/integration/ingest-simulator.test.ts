import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Simulation, type SimDevice } from '../../data-api/src/demo/simulate/simulator.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { backendName, bearer, startTestIngest } from './ingest-fixtures.ts';

// The simulator is real MQTT clients (gateways batching their sensors' readings,
// controllers publishing their own, faults injected). Every reading the broker
// acknowledged must be stored exactly once, and every malformed message dead-lettered.
describe(`fleet simulator end to end (${backendName()})`, () => {
  let t: TestApp;
  let ingest: Awaited<ReturnType<typeof startTestIngest>>;

  beforeAll(async () => {
    t = await createTestApp();
    ingest = await startTestIngest(t);
  });
  afterAll(async () => {
    await ingest?.forget();
    await t?.close();
  });

  it('provisions the simulated fleet through the admin route, with a token per device', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/simulator/fleet',
      headers: { ...(await bearer(t.ctx.db, 'admin')), 'content-type': 'application/json' },
      payload: JSON.stringify({ devices: 300 }),
    });
    expect(res.statusCode).toBe(200);
    const devices = res.json().devices as SimDevice[];
    expect(devices).toHaveLength(300);
    expect(devices.filter((d) => d.role === 'gateway').map((d) => d.id)).toEqual([
      'gw_sim-1-1',
      'gw_sim-1-2',
      'gw_sim-2-1',
      'gw_sim-2-2',
    ]);
    expect(devices.every((d) => d.token?.startsWith('fbd_'))).toBe(true);
    const sensor = devices.find((d) => d.role === 'sensor')!;
    expect(sensor.gateway_id).toMatch(/^gw_sim-1-/);
    const stored = await t.ctx.db
      .selectFrom('devices')
      .select(['id', 'site_id', 'customer_id'])
      .where('customer_id', '=', 'cus_sim')
      .execute();
    expect(stored).toHaveLength(300);
    // Idempotent: a second call rotates tokens, creates nothing new.
    await t.app.inject({
      method: 'POST',
      url: '/api/v1/simulator/fleet',
      headers: { ...(await bearer(t.ctx.db, 'admin')), 'content-type': 'application/json' },
      payload: JSON.stringify({ devices: 300 }),
    });
    expect(
      await t.ctx.db.selectFrom('devices').select('id').where('customer_id', '=', 'cus_sim').execute(),
    ).toHaveLength(300);
    expect(
      (
        await t.app.inject({
          method: 'POST',
          url: '/api/v1/simulator/fleet',
          headers: { ...(await bearer(t.ctx.db, 'operator')), 'content-type': 'application/json' },
          payload: '{"devices":1}',
        })
      ).statusCode,
    ).toBe(403);
  });

  it(
    'stores every acknowledged reading exactly once under faults, and dead-letters the malformed messages',
    { timeout: 60_000 },
    async () => {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/simulator/fleet',
        headers: { ...(await bearer(t.ctx.db, 'admin')), 'content-type': 'application/json' },
        payload: JSON.stringify({ devices: 300 }),
      });
      const devices = res.json().devices as SimDevice[];
      const sim = new Simulation({
        url: t.testBroker.url,
        devices,
        rate: 400,
        durationS: 5,
        faults: true,
        record: true,
        gatewayFlushMs: 500,
      });
      await sim.start();
      const report = await sim.done;
      expect(report.errors).toEqual([]);
      expect(report.readings).toBeGreaterThan(500);
      const ids = [...report.ids!];
      const simIds = devices.map((d) => d.id);
      const count = async () =>
        Number(
          (
            await t.ctx.db
              .selectFrom('telemetry')
              .select((eb) => eb.fn.countAll().as('n'))
              .where('device_id', 'in', simIds)
              .executeTakeFirstOrThrow()
          ).n,
        );
      await expect.poll(count, { timeout: 30_000 }).toBe(ids.length);
      await ingest.drain();
      const rows = await t.ctx.db
        .selectFrom('telemetry')
        .select(['device_id', 'msg_id'])
        .where('device_id', 'in', simIds)
        .execute();
      const stored = new Set(rows.map((r) => `${r.device_id} ${r.msg_id}`));
      expect(ids.filter((i) => !stored.has(i))).toEqual([]); // lost: none
      expect(rows.length).toBe(stored.size); // duplicates: none
      const dead = await t.ctx.db
        .selectFrom('dead_letters')
        .select('reason')
        .where('topic', 'like', 'fleetbook/v1/site_sim-%')
        .execute();
      expect(dead.length).toBe(report.malformed);
      // Readings of simulated sensors arrived through their gateways' batches.
      const up = await t.ctx.db
        .selectFrom('devices')
        .select('id')
        .where('customer_id', '=', 'cus_sim')
        .where('status', '=', 'up')
        .execute();
      expect(up.length).toBeGreaterThan(100);
    },
  );
});
