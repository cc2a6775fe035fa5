import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../data-api/src/kernel/config/index.ts';
import { openDatabase } from '../../data-api/src/kernel/db/index.ts';
import { startFleetbook, type RunningFleetbook } from '../../data-api/src/server.ts';
import { freePort } from '../helpers/ports.ts';
import { connectDevice, seedFleet, tag, topic } from './ingest-fixtures.ts';

// The whole process as `fleetbook start` runs it (embedded PGlite + aedes): the ingest
// starts after the broker with the broker's internal credential, devices need their
// token, and closing (Ctrl-C) writes every message the broker accepted before the broker
// and the database close.
const silent = pino({ level: 'silent' });
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetbook-ingest-life-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

async function start(
  dir: string,
  env: Record<string, string> = {},
  telemetry: Parameters<typeof startFleetbook>[1] = {},
): Promise<RunningFleetbook> {
  const mqttPort = await freePort();
  const config = loadConfig({
    HOST: '127.0.0.1',
    PORT: '0',
    MQTT_PORT: String(mqttPort),
    FLEETBOOK_DATA_DIR: dir,
    FLEETBOOK_SITE_DIR: path.join(tmp, 'site'),
    ...env,
  });
  return startFleetbook(config, { buildSite: 'never', logger: silent, ...telemetry });
}

describe('fleetbook start: ingest lifecycle (embedded PGlite + aedes)', () => {
  it(
    'enforces device credentials by default, ingests with its own, and loses no accepted message on close',
    { timeout: 120_000 },
    async () => {
      const dir = path.join(tmp, 'close');
      const running = await start(dir, {}, { telemetry: { instance: 'life', monitorIntervalMs: 3_600_000 } });
      const id = tag();
      let sent = 0;
      let deviceId = '';
      try {
        expect(running.telemetry.ingest?.clientId).toBe('fleetbook-ingest-life');
        const fleet = await seedFleet(running.ctx.db, id, { sites: 1, devices: [{ name: 'a' }] });
        const d = fleet.devices.a!;
        deviceId = d.id;
        // No token: refused. With the token from the admin route: accepted.
        await expect(connectDevice(running.mqttUrl, { username: d.id, password: 'nope' })).rejects.toThrow(
          /Bad username or password/i,
        );
        const issued = await fetch(`${running.url}/api/v1/devices/${d.id}/mqtt-token`, {
          method: 'POST',
          headers: { authorization: `Bearer ${running.firstAdminToken}` },
        });
        expect(issued.status).toBe(201);
        const { password } = (await issued.json()) as { password: string };
        const device = await connectDevice(running.mqttUrl, { username: d.id, password });
        // Publish (QoS 1: each acknowledged by the broker), then stop at once.
        for (let i = 0; i < 300; i++) {
          await device.publishAsync(
            topic(d.site, d.id, 'telemetry'),
            JSON.stringify({ schema_version: 1, msg_id: `c-${i}`, ts: Date.now() / 1000, metrics: { i } }),
            { qos: 1 },
          );
          sent++;
        }
        device.end(true);
      } finally {
        await running.close();
      }
      const reopened = await openDatabase({ kind: 'pglite', dataDir: path.join(dir, 'pg') });
      try {
        const rows = await reopened.db
          .selectFrom('telemetry')
          .select('msg_id')
          .where('device_id', '=', deviceId)
          .execute();
        expect(sent).toBe(300);
        expect(rows).toHaveLength(300);
      } finally {
        await reopened.close();
      }
    },
  );

  // The demo's simulation (on by default with --demo) is tested in demo-lives.test.ts.

  it('refuses a bad FLEETBOOK_MQTT_AUTH value with a one-line configuration error', async () => {
    const before = process.env.FLEETBOOK_MQTT_AUTH;
    process.env.FLEETBOOK_MQTT_AUTH = 'maybe';
    try {
      await expect(start(path.join(tmp, 'bad'))).rejects.toThrow('invalid configuration: FLEETBOOK_MQTT_AUTH');
    } finally {
      if (before === undefined) delete process.env.FLEETBOOK_MQTT_AUTH;
      else process.env.FLEETBOOK_MQTT_AUTH = before;
    }
  });
});
