import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../data-api/src/kernel/config/index.ts';
import { PortInUseError, startFleetbook, type RunningFleetbook } from '../../data-api/src/server.ts';
import { forgetIngestSession } from '../../data-api/src/telemetry/ingest/service.ts';
import type { TelemetryOptions } from '../../data-api/src/telemetry/ingest/options.ts';
import { createPgDatabase, dropPgDatabase } from '../helpers/database.ts';
import { freePort } from '../helpers/ports.ts';

const silent = pino({ level: 'silent' });
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetbook-server-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

async function start(
  env: Record<string, string>,
  telemetry: Partial<TelemetryOptions> = {},
): Promise<RunningFleetbook> {
  const config = loadConfig({ HOST: '127.0.0.1', PORT: '0', FLEETBOOK_SITE_DIR: path.join(tmp, 'site'), ...env });
  // The demo fleet without its simulation: this test is about the process, not the devices.
  return startFleetbook(config, { buildSite: 'never', logger: silent, telemetry: { simulate: false, ...telemetry } });
}

const health = async (running: RunningFleetbook) => (await fetch(`${running.url}/api/v1/health`)).json();

describe('fleetbook start (embedded PGlite + aedes)', () => {
  it(
    'serves health over real HTTP, accepts MQTT clients, and keeps data across a restart',
    { timeout: 180_000 },
    async () => {
      const dataDir = path.join(tmp, 'data');
      const mqttPort = await freePort();
      const env = { FLEETBOOK_DATA_DIR: dataDir, MQTT_PORT: String(mqttPort), FLEETBOOK_DEMO: '1' };

      const first = await start(env);
      try {
        expect(await health(first)).toMatchObject({
          status: 'ok',
          database: { status: 'up', kind: 'pglite' },
          broker: { status: 'up', kind: 'aedes' },
        });
        const device = mqtt.connect(`mqtt://127.0.0.1:${mqttPort}`, { clientId: 'probe-device' });
        await new Promise((resolve, reject) => device.once('connect', resolve).once('error', reject));
        await device.endAsync();
        // The demo fleet is dated from when it was loaded: most of it was seen within the last minute.
        const recent = await first.ctx.db
          .selectFrom('devices')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('status', '=', 'up')
          .where('last_seen', '>', new Date(Date.now() - 5 * 60_000))
          .where('last_seen', '<=', new Date())
          .executeTakeFirstOrThrow();
        expect(Number(recent.n)).toBeGreaterThan(1000);
        await first.ctx.db.insertInto('customers').values({ id: 'cus_survivor', name: 'Survives restarts' }).execute();
      } finally {
        await first.close();
      }
      expect(fs.existsSync(path.join(dataDir, 'pg'))).toBe(true);

      const second = await start(env);
      try {
        const row = await second.ctx.db
          .selectFrom('customers')
          .select('name')
          .where('id', '=', 'cus_survivor')
          .executeTakeFirst();
        expect(row?.name).toBe('Survives restarts');
        const { count } = await second.ctx.db
          .selectFrom('devices')
          .select((eb) => eb.fn.countAll<number>().as('count'))
          .executeTakeFirstOrThrow();
        expect(Number(count)).toBeGreaterThan(1900); // demo loaded once, not twice
      } finally {
        await second.close();
      }
    },
  );

  it('refuses a taken HTTP or MQTT port with a clear error', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const taken = (blocker.address() as net.AddressInfo).port;
    try {
      const config = loadConfig({ HOST: '127.0.0.1', PORT: String(taken), FLEETBOOK_DATA_DIR: path.join(tmp, 'x') });
      await expect(startFleetbook(config, { buildSite: 'never', logger: silent })).rejects.toThrow(
        new PortInUseError('HTTP', taken, '--port or PORT'),
      );
      const config2 = loadConfig({
        HOST: '127.0.0.1',
        PORT: '0',
        MQTT_PORT: String(taken),
        FLEETBOOK_DATA_DIR: path.join(tmp, 'y'),
      });
      await expect(startFleetbook(config2, { buildSite: 'never', logger: silent })).rejects.toThrow(
        /port \d+ \(MQTT\) is already in use/,
      );
    } finally {
      blocker.close();
    }
  });
});

describe('fleetbook start with DATABASE_URL and MQTT_URL', () => {
  // CI points these at the machine's PostgreSQL and Mosquitto; on a laptop with only
  // Node the same test runs against an embedded broker and PGlite stand-ins.
  it('uses pg and the external broker instead of the embedded ones', async () => {
    const base = process.env.TEST_DATABASE_URL;
    const dbUrl = base ? await createPgDatabase(base) : null;
    const { createTestBroker } = await import('../helpers/broker.ts');
    const broker = await createTestBroker();
    const env: Record<string, string> = { MQTT_URL: broker.url, FLEETBOOK_DATA_DIR: path.join(tmp, 'ext') };
    if (dbUrl) env.DATABASE_URL = dbUrl;
    // A broker shared with other processes on this host: the default instance (the host name) is
    // their MQTT session too, and two clients with one id throw each other off the broker (the
    // ingest then is rightly "not connected"); the default share group would split their messages.
    const instance = `server-test-${randomBytes(4).toString('hex')}`;
    const running = await start(env, { instance, sharedGroup: instance });
    try {
      expect(await health(running)).toMatchObject({
        status: 'ok',
        database: { status: 'up', kind: dbUrl ? 'pg' : 'pglite' },
        broker: { status: 'up', kind: 'external', url: broker.url },
        // Started means subscribed: no "starting" window to wait out.
        ingest: { status: 'ok', instance, connected: true, subscribed: true },
      });
    } finally {
      await running.close();
      await forgetIngestSession(broker.url, instance).catch(() => {});
      await broker.close();
      if (dbUrl) await dropPgDatabase(base!, dbUrl);
    }
  });

  it('fails with a message naming the database when it cannot connect', async () => {
    const port = await freePort(); // nothing listens there
    const config = loadConfig({
      HOST: '127.0.0.1',
      PORT: '0',
      MQTT_PORT: '0',
      DATABASE_URL: `postgres://postgres:secret@127.0.0.1:${port}/x`,
    });
    const err = await startFleetbook(config, { buildSite: 'never', logger: silent }).catch((e: Error) => e);
    expect((err as Error).message).toMatch(
      /^cannot connect to PostgreSQL at postgres:\/\/postgres:\*\*\*@127\.0\.0\.1/,
    );
    expect((err as Error).message).not.toContain('secret');
  });
});
