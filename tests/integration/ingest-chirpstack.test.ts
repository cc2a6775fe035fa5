import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { emitChange } from '../../data-api/src/kernel/changes/service.ts';
import { json } from '../../data-api/src/kernel/db/index.ts';
import { RegistryCache } from '../../data-api/src/telemetry/ingest/registry-cache.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { backendName, connectDevice, publish, seedFleet, startTestIngest, tag, type Fleet } from './ingest-fixtures.ts';

// contracts.md: ChirpStack (v4) is the truth for LoRaWAN identities. Its MQTT integration
// publishes uplinks on application/{application_id}/device/{dev_eui}/event/up; the ingest
// maps each one to the device whose external_refs.chirpstack.dev_eui matches, as
// telemetry and a liveness signal.

/** A ChirpStack v4 uplink event as its MQTT integration publishes it (JSON marshaler). */
function uplink(devEui: string, applicationId: string, overrides: Record<string, unknown> = {}) {
  return {
    deduplicationId: randomUUID(),
    time: new Date(Date.now() - 1500).toISOString().replace('Z', '123456+00:00'),
    deviceInfo: {
      tenantId: '52f14cd4-c6f1-4fbd-8f87-4025e1d49242',
      tenantName: 'ChirpStack',
      applicationId,
      applicationName: 'farm-north soil probes',
      deviceProfileId: '14855bf7-d10d-4aee-b618-ebfcb64dc7ad',
      deviceProfileName: 'soil-probe 1.4 (AS923)',
      deviceName: 'soil-2-017',
      devEui,
      deviceClassEnabled: 'CLASS_A',
      tags: { site: 'farm-north' },
    },
    devAddr: '00189440',
    adr: true,
    dr: 5,
    fCnt: 10233,
    fPort: 2,
    confirmed: false,
    data: 'AQIDBAUGBwg=',
    object: { soil_moisture_pct: 31.4, temp_c: 24.1, battery_v: 3.61, status: 'ok', alarm: false, nested: { a: 1 } },
    rxInfo: [
      {
        gatewayId: '0016c001f11a2b3d',
        uplinkId: 3721,
        rssi: -109,
        snr: -2,
        channel: 2,
        location: { latitude: 18.79, longitude: 98.98 },
        context: 'E3OWOQ==',
        metadata: { region_config_id: 'as923', region_common_name: 'AS923' },
        crcStatus: 'CRC_OK',
      },
      {
        gatewayId: '0016c001f11a2b3c',
        uplinkId: 55120,
        rssi: -97,
        snr: 7.5,
        channel: 2,
        context: 'E3OWOg==',
        metadata: { region_config_id: 'as923', region_common_name: 'AS923' },
        crcStatus: 'CRC_OK',
      },
    ],
    txInfo: {
      frequency: 923200000,
      modulation: { lora: { bandwidth: 125000, spreadingFactor: 7, codeRate: 'CR_4_5' } },
    },
    ...overrides,
  };
}

describe(`ChirpStack v4 uplinks (${backendName()})`, () => {
  let t: TestApp;
  let fleet: Fleet;
  let ingest: Awaited<ReturnType<typeof startTestIngest>>;
  let chirpstack: MqttClient;
  const id = tag();
  const eui = randomBytes(8).toString('hex');
  const app = randomUUID();
  const upTopic = (devEui: string) => `application/${app}/device/${devEui}/event/up`;

  beforeAll(async () => {
    t = await createTestApp();
    // Registered upper case: DevEUIs compare case-insensitively.
    fleet = await seedFleet(t.ctx.db, id, {
      sites: 1,
      devices: [{ name: 'soil', external_refs: { chirpstack: { dev_eui: eui.toUpperCase(), device_id: eui } } }],
    });
    ingest = await startTestIngest(t, { chirpstack: true });
    chirpstack = await connectDevice(t.testBroker.url);
  });
  afterAll(async () => {
    await chirpstack?.endAsync();
    await ingest?.forget();
    await t?.close();
  });

  it('subscribes to the ChirpStack uplink topic when configured', () => {
    expect(ingest.subscriptions.some((s) => s.endsWith('application/+/device/+/event/up'))).toBe(true);
  });

  it('stores the decoded numeric fields and the best radio figures as a reading of the mapped device', async () => {
    const dev = fleet.devices.soil!.id;
    const event = uplink(eui, app);
    await publish(chirpstack, upTopic(eui), event);
    await expect
      .poll(() => t.ctx.db.selectFrom('telemetry').selectAll().where('device_id', '=', dev).execute(), {
        timeout: 10_000,
      })
      .toHaveLength(1);
    const row = await t.ctx.db
      .selectFrom('telemetry')
      .selectAll()
      .where('device_id', '=', dev)
      .executeTakeFirstOrThrow();
    expect(row.msg_id).toBe(event.deduplicationId);
    expect(new Date(row.ts).getTime()).toBe(Date.parse(event.time));
    // booleans become 0/1 and one level of nesting is flattened; the text `status` goes to a partial dead letter.
    expect(row.metrics).toEqual({
      soil_moisture_pct: 31.4,
      temp_c: 24.1,
      battery_v: 3.61,
      alarm: 0,
      nested_a: 1,
      rssi_dbm: -97,
      snr_db: 7.5,
    });
    const device = await t.ctx.db
      .selectFrom('devices')
      .select(['status', 'last_seen', 'observed_state'])
      .where('id', '=', dev)
      .executeTakeFirstOrThrow();
    expect(device.status).toBe('up'); // an uplink is a liveness signal
    expect(device.observed_state).toMatchObject({
      rssi_dbm: -97,
      snr_db: 7.5,
      gateway_id: '0016c001f11a2b3c',
      metrics: { temp_c: 24.1 },
    });
  });

  it('stores a repeated uplink (same deduplicationId) once', async () => {
    const dev = fleet.devices.soil!.id;
    const event = uplink(eui, app);
    for (let i = 0; i < 5; i++) await publish(chirpstack, upTopic(eui), event);
    await expect
      .poll(() => t.ctx.db.selectFrom('telemetry').select('msg_id').where('device_id', '=', dev).execute(), {
        timeout: 10_000,
      })
      .toHaveLength(2);
    await ingest.drain();
    expect(
      await t.ctx.db.selectFrom('telemetry').select('msg_id').where('msg_id', '=', event.deduplicationId).execute(),
    ).toHaveLength(1);
  });

  it('dead-letters an uplink whose DevEUI no device has, and a malformed one', async () => {
    const stranger = randomBytes(8).toString('hex');
    await publish(chirpstack, upTopic(stranger), uplink(stranger, app));
    await publish(chirpstack, upTopic(eui), { deduplicationId: 'x', deviceInfo: { devEui: 'not-hex' } });
    await expect
      .poll(
        () =>
          t.ctx.db
            .selectFrom('dead_letters')
            .select(['reason', 'detail', 'topic'])
            .where('topic', 'in', [upTopic(stranger), upTopic(eui)])
            .where('reason', '!=', 'partial')
            .orderBy('reason')
            .execute(),
        { timeout: 10_000 },
      )
      .toEqual([
        { reason: 'unknown_device', detail: expect.stringContaining(stranger), topic: upTopic(stranger) },
        { reason: 'validation', detail: expect.stringContaining('deviceInfo.devEui'), topic: upTopic(eui) },
      ]);
  });
});

describe(`registry cache invalidation through the change feed (${backendName()})`, () => {
  let t: TestApp;
  const id = tag();
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => t?.close());

  it('forgets "no such device" when a device.* change event arrives (not by waiting for a TTL)', async () => {
    const fleet = await seedFleet(t.ctx.db, id, { sites: 2, devices: [{ name: 'mover' }] });
    const cache = new RegistryCache(t.ctx.db, t.ctx.database, { ttlMs: 3_600_000, negativeTtlMs: 3_600_000 });
    await cache.start();
    try {
      const newcomer = `dev_${id}-new`;
      expect((await cache.devices([newcomer])).get(newcomer)).toBeNull();
      expect((await cache.devices([fleet.devices.mover!.id])).get(fleet.devices.mover!.id)?.site_id).toBe(
        fleet.sites[0],
      );
      await t.ctx.db.transaction().execute(async (trx) => {
        await trx
          .insertInto('devices')
          .values({
            id: newcomer,
            site_id: fleet.sites[0]!,
            customer_id: fleet.customer,
            product_code: 'soil-probe',
            role: 'sensor',
            desired_state: json({}),
            observed_state: json({}),
            external_refs: json({}),
          } as never)
          .execute();
        await emitChange(trx, {
          type: 'device.created',
          subject: { type: 'device', id: newcomer },
          customerId: fleet.customer,
        });
        await trx
          .updateTable('devices')
          .set({ site_id: fleet.sites[1]! })
          .where('id', '=', fleet.devices.mover!.id)
          .execute();
        await emitChange(trx, {
          type: 'device.updated',
          subject: { type: 'device', id: fleet.devices.mover!.id },
          customerId: fleet.customer,
        });
      });
      await expect
        .poll(async () => (await cache.devices([newcomer])).get(newcomer)?.id, { timeout: 10_000 })
        .toBe(newcomer);
      await expect
        .poll(async () => (await cache.devices([fleet.devices.mover!.id])).get(fleet.devices.mover!.id)?.site_id, {
          timeout: 10_000,
        })
        .toBe(fleet.sites[1]);
    } finally {
      await cache.stop();
    }
  });

  it('loads the registry at start: a known device costs no query, and a change event still replaces it', async () => {
    const fleet = await seedFleet(t.ctx.db, tag(), { sites: 2, devices: [{ name: 'early' }] });
    const dev = fleet.devices.early!.id;
    const cache = new RegistryCache(t.ctx.db, t.ctx.database, { ttlMs: 3_600_000 });
    await cache.start();
    try {
      expect((await cache.devices([dev])).get(dev)?.site_id).toBe(fleet.sites[0]);
      expect(cache.misses).toBe(0);
      await t.ctx.db.transaction().execute(async (trx) => {
        await trx.updateTable('devices').set({ site_id: fleet.sites[1]! }).where('id', '=', dev).execute();
        await emitChange(trx, {
          type: 'device.updated',
          subject: { type: 'device', id: dev },
          customerId: fleet.customer,
        });
      });
      await expect
        .poll(async () => (await cache.devices([dev])).get(dev)?.site_id, { timeout: 10_000 })
        .toBe(fleet.sites[1]);
      expect(cache.misses).toBe(1);
    } finally {
      await cache.stop();
    }
  });
});
