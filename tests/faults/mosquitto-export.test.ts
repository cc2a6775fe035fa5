import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_PAYLOAD_BYTES } from '../../data-api/src/contracts/mqtt.ts';
import { startFaultRig, storedReadings, waitForHealth, type FaultRig } from '../helpers/fault-rig.ts';
import { mosquittoVersion } from '../helpers/mosquitto.ts';

// Issue 11, defect 2 on Mosquitto: a device's own credentials with the client id
// `fleetbook-ingest-<instance>` disconnected the ingest (MQTT session takeover). The files
// `fleetbook mosquitto export` writes, run by the real mosquitto binary: on the devices'
// listener every client is named by its username, so no device can take fleetbook's session;
// fleetbook connects on its own listener. Also checked here: the packet limit refuses a
// publish above the payload limit without acknowledging it.

let rig: FaultRig;
beforeAll(async () => {
  rig = await startFaultRig({ devices: 2 });
  await rig.startFleetbook();
});
afterAll(() => rig?.close());

function connect(url: string, options: mqtt.IClientOptions): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect(url, { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5000, ...options });
    c.once('connect', () => resolve(c));
    c.once('error', reject);
  });
}

describe(`fleetbook mosquitto export, run by mosquitto ${mosquittoVersion()}`, () => {
  it('a device that connects with the ingest’s client id takes nothing over: the ingest stays connected and stores its reading', async () => {
    const fleetbook = rig.fleetbook!;
    await waitForHealth(fleetbook.url, (status, body) => status === 200 && body.ingest.subscribed);
    const [device] = rig.devices;
    const reconnectsBefore = fleetbook.output().split('ingest lost the MQTT broker').length;
    const intruder = await connect(rig.deviceUrl, {
      clientId: `fleetbook-ingest-${fleetbook.instance}`,
      username: device!.id,
      password: device!.password,
      clean: false,
    });
    const closed = new Promise<boolean>((resolve) => {
      intruder.once('close', () => resolve(true));
      setTimeout(() => resolve(false), 2000);
    });
    try {
      await intruder.publishAsync(
        `fleetbook/v1/${device!.site}/${device!.id}/telemetry`,
        JSON.stringify({ schema_version: 1, msg_id: 'intruder-1', ts: Date.now() / 1000, metrics: { v: 1 } }),
        { qos: 1 },
      );
      expect(await closed).toBe(false); // and it is not kicked either: it is simply the device's own session
      await expect.poll(async () => (await storedReadings(rig)).ids.has('intruder-1'), { timeout: 15_000 }).toBe(true);
      expect(fleetbook.output().split('ingest lost the MQTT broker').length).toBe(reconnectsBefore);
      expect((await fetch(`${fleetbook.url}/api/v1/health`)).status).toBe(200);
    } finally {
      await intruder.endAsync(true);
    }
  });

  it('refuses a packet above the payload limit: no PUBACK, the device is disconnected, nothing is stored', async () => {
    const device = rig.devices[1]!;
    const client = await connect(rig.deviceUrl, {
      clientId: device.id,
      username: device.id,
      password: device.password,
      clean: true,
    });
    const closed = new Promise<boolean>((resolve) => {
      client.once('close', () => resolve(true));
      setTimeout(() => resolve(false), 10_000);
    });
    const big = JSON.stringify({
      schema_version: 1,
      msg_id: 'too-big',
      ts: Date.now() / 1000,
      metrics: {},
      pad: 'x'.repeat(MAX_PAYLOAD_BYTES + 2048),
    });
    let acked = false;
    client.publish(`fleetbook/v1/${device.site}/${device.id}/telemetry`, big, { qos: 1 }, (err) => (acked = !err));
    expect(await closed).toBe(true);
    client.end(true);
    expect(acked).toBe(false);
    expect((await storedReadings(rig)).ids.has('too-big')).toBe(false);
  });
});
