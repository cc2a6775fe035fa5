import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import type { MqttClient } from 'mqtt';
import { commandMessage } from '../../data-api/src/contracts/mqtt.ts';
import { applyCommandResult } from '../../data-api/src/telemetry/commands/service.ts';
import { startMonitor, type MonitorHandle } from '../../data-api/src/health/monitor/service.ts';
import { json } from '../../data-api/src/kernel/db/index.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import {
  backendName,
  bearer,
  connectDevice,
  publish,
  seedFleet,
  startTestIngest,
  tag,
  topic,
  type Fleet,
} from './ingest-fixtures.ts';

// contracts.md: POST /api/v1/devices/:id/commands publishes {cmd_id, action, params,
// expires_at} on the device's cmd topic and tracks it through cmd/result (accepted, done,
// failed) or to expired when no result comes by expires_at.
describe(`commands round trip (${backendName()})`, () => {
  let t: TestApp;
  let fleet: Fleet;
  let ingest: Awaited<ReturnType<typeof startTestIngest>>;
  let monitor: MonitorHandle;
  let pump: MqttClient;
  let operator: Record<string, string>;
  const id = tag();
  const received: Array<{ cmd_id: string; action: string; params: Record<string, unknown>; expires_at: number }> = [];
  let reply: (cmd: { cmd_id: string; action: string }) => Array<{ status: string; detail?: string }> = () => [];

  beforeAll(async () => {
    t = await createTestApp();
    fleet = await seedFleet(t.ctx.db, id, {
      sites: 1,
      devices: [
        { name: 'pump', role: 'controller' },
        { name: 'mute', role: 'controller' },
        { name: 'ctl', role: 'controller' },
        { name: 'probe' },
      ],
    });
    // Pump controllers of the catalog (docs/products/pump-ctl: start, stop, set_setpoint 0.5–8 bar,
    // fw_update url ≤ 200): pump and mute run 1.4.2, ctl 1.5.0. probe is a soil-probe 1.4.2, whose
    // product declares no commands.
    const version = async (name: string, product_code: string, product_version: string) =>
      t.ctx.db
        .updateTable('devices')
        .set({ product_code, product_version })
        .where('id', '=', fleet.devices[name]!.id)
        .execute();
    await version('pump', 'pump-ctl', '1.4.2');
    await version('mute', 'pump-ctl', '1.4.2');
    await version('ctl', 'pump-ctl', '1.5.0');
    await version('probe', 'soil-probe', '1.4.2');
    // And a command that pump-ctl only takes from 1.5.0 on (catalog `since`).
    const pumpCtl = await t.ctx.db
      .selectFrom('products')
      .select('spec')
      .where('code', '=', 'pump-ctl')
      .executeTakeFirstOrThrow();
    const setRamp = {
      action: 'set_ramp',
      description: 'Soft-start ramp',
      since: '1.5.0',
      params: [{ name: 'ramp_s', type: 'integer', min: 1, max: 60 }],
    };
    await t.ctx.db
      .updateTable('products')
      .set({ spec: json({ ...pumpCtl.spec, commands: [...(pumpCtl.spec.commands as unknown[]), setRamp] }) })
      .where('code', '=', 'pump-ctl')
      .execute();
    ingest = await startTestIngest(t);
    monitor = startMonitor(t.ctx, { instance: `cmd-${id}`, intervalMs: 3_600_000 });
    operator = await bearer(t.ctx.db, 'operator');
    // A fake device: executes what it is sent and reports back on cmd/result.
    const d = fleet.devices.pump!;
    pump = await connectDevice(t.testBroker.url);
    await pump.subscribeAsync(topic(d.site, d.id, 'cmd'), { qos: 1 });
    pump.on('message', (_topic, payload) => {
      const cmd = commandMessage.parse(JSON.parse(payload.toString()));
      received.push(cmd);
      void (async () => {
        for (const r of reply(cmd))
          await publish(pump, topic(d.site, d.id, 'cmd/result'), { cmd_id: cmd.cmd_id, ...r });
        // Then a reading: once it is stored, every result before it has been processed.
        await publish(pump, topic(d.site, d.id, 'telemetry'), {
          schema_version: 1,
          msg_id: `after-${cmd.cmd_id}`,
          ts: Date.now() / 1000,
          metrics: { x: 1 },
        });
      })();
    });
  });
  afterAll(async () => {
    await pump?.endAsync();
    await monitor?.stop();
    await ingest?.forget();
    await t?.close();
  });

  const send = (deviceId: string, body: unknown, headers = operator) =>
    t.app.inject({
      method: 'POST',
      url: `/api/v1/devices/${deviceId}/commands`,
      headers: { ...headers, 'content-type': 'application/json' },
      payload: JSON.stringify(body),
    });
  const status = async (deviceId: string, cmdId: string) =>
    (
      await t.app.inject({ method: 'GET', url: `/api/v1/devices/${deviceId}/commands/${cmdId}`, headers: operator })
    ).json();

  it('delivers the command to the device and follows its results to done', async () => {
    reply = () => [{ status: 'accepted' }, { status: 'done', detail: 'setpoint 3.2 bar applied' }];
    const d = fleet.devices.pump!;
    const before = Date.now() / 1000;
    const res = await send(d.id, { action: 'set_setpoint', params: { setpoint_bar: 3.2 }, expires_in_s: 300 });
    expect(res.statusCode).toBe(202);
    const cmd = res.json();
    expect(cmd).toMatchObject({
      device_id: d.id,
      site_id: d.site,
      action: 'set_setpoint',
      params: { setpoint_bar: 3.2 },
    });
    // The answer is the command as recorded once the broker took it: `sent`, or already `accepted` or
    // `done` when this quick device answered before the API read it back.
    expect(['sent', 'accepted', 'done']).toContain(cmd.status);
    expect(cmd.cmd_id).toMatch(/^cmd_/);
    await expect.poll(() => received.find((r) => r.cmd_id === cmd.cmd_id), { timeout: 10_000 }).toBeDefined();
    const got = received.find((r) => r.cmd_id === cmd.cmd_id)!;
    expect(got).toEqual({
      cmd_id: cmd.cmd_id,
      action: 'set_setpoint',
      params: { setpoint_bar: 3.2 },
      expires_at: expect.any(Number),
    });
    expect(got.expires_at).toBeGreaterThanOrEqual(Math.floor(before + 299));
    await expect
      .poll(() => status(d.id, cmd.cmd_id), { timeout: 10_000 })
      .toMatchObject({ status: 'done', detail: 'setpoint 3.2 bar applied', result_at: expect.any(String) });
    // The API records "sent" once the broker acknowledged the publish; a quick device may have
    // answered (and its results been stored) before that event is written, so wait for it.
    const feed = () =>
      t.ctx.db.selectFrom('change_events').select('type').where('subject_id', '=', cmd.cmd_id).orderBy('id').execute();
    await expect
      .poll(async () => (await feed()).map((e) => e.type), { timeout: 10_000 })
      .toEqual(['command.created', 'command.updated', 'command.updated', 'command.updated']);
    const audit = await t.ctx.db.selectFrom('audit_log').select('action').where('entity_id', '=', cmd.cmd_id).execute();
    expect(audit.map((a) => a.action)).toEqual(['command.create']);
    const list = (
      await t.app.inject({ method: 'GET', url: `/api/v1/devices/${d.id}/commands`, headers: operator })
    ).json();
    expect(list.items[0].cmd_id).toBe(cmd.cmd_id);
  });

  it('records a failure the device reports, and never moves a final state back', async () => {
    reply = () => [{ status: 'failed', detail: 'motor overheated' }, { status: 'accepted' }];
    const d = fleet.devices.pump!;
    const cmd = (await send(d.id, { action: 'start' })).json();
    await expect
      .poll(
        () => t.ctx.db.selectFrom('telemetry').select('msg_id').where('msg_id', '=', `after-${cmd.cmd_id}`).execute(),
        { timeout: 10_000 },
      )
      .toHaveLength(1);
    // Results and telemetry travel different paths: wait for the result, then check it stays final.
    await expect
      .poll(() => status(d.id, cmd.cmd_id), { timeout: 10_000 })
      .toMatchObject({ status: 'failed', detail: 'motor overheated' });
  });

  it('expires a command with no result by expires_at', async () => {
    const d = fleet.devices.mute!;
    const cmd = (await send(d.id, { action: 'stop', expires_in_s: 1 })).json();
    expect(cmd.status).toBe('sent');
    await expect
      .poll(async () => (await monitor.tick(), (await status(d.id, cmd.cmd_id)).status), {
        timeout: 10_000,
        interval: 300,
      })
      .toBe('expired');
    // A result after expiry is too late: the command stays expired.
    await publish(pump, topic(d.site, d.id, 'cmd/result'), { cmd_id: cmd.cmd_id, status: 'done' });
    // A reading published after it, on the same connection, marks that the result was processed.
    await publish(pump, topic(d.site, d.id, 'telemetry'), {
      schema_version: 1,
      msg_id: 'marker',
      ts: Date.now() / 1000,
      metrics: { x: 1 },
    });
    await expect
      .poll(() => t.ctx.db.selectFrom('telemetry').select('msg_id').where('device_id', '=', d.id).execute(), {
        timeout: 10_000,
      })
      .toHaveLength(1);
    await ingest.drain();
    expect((await status(d.id, cmd.cmd_id)).status).toBe('expired');
  });

  it('applies a result that waited for another writer of the command (READ COMMITTED recheck)', async () => {
    // Two ingest batches (or a batch and the API's "sent") write one command at once: the
    // second UPDATE waits for the first one's row lock and, in READ COMMITTED, is checked again
    // against the row as committed. `failed` after a concurrent `accepted` must still land.
    const d = fleet.devices.mute!;
    const cmd = (await send(d.id, { action: 'start' })).json();
    expect(cmd.status).toBe('sent');
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let holding!: () => void;
    const held = new Promise<void>((resolve) => (holding = resolve));
    const first = t.ctx.db.transaction().execute(async (trx) => {
      const applied = await applyCommandResult(trx, {
        cmdId: cmd.cmd_id,
        deviceId: d.id,
        status: 'accepted',
        detail: null,
      });
      holding();
      await released;
      return applied;
    });
    await held;
    const second = t.ctx.db
      .transaction()
      .execute((trx) =>
        applyCommandResult(trx, { cmdId: cmd.cmd_id, deviceId: d.id, status: 'failed', detail: 'motor overheated' }),
      );
    // PostgreSQL: the second UPDATE reaches the row lock before the first commits (PGlite has one
    // connection: the second just queues). Watched from a connection of its own, as the API's
    // small pool (listeners, the two transactions) may have none free.
    if (t.database.url) {
      const watcher = new pg.Client({ connectionString: t.database.url });
      await watcher.connect();
      try {
        const lockWaits = async () =>
          Number(
            (
              await watcher.query(
                `select count(*) as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`,
              )
            ).rows[0].n,
          );
        await expect.poll(lockWaits, { timeout: 10_000 }).toBe(1);
      } finally {
        await watcher.end();
      }
    }
    release();
    expect(await first).toBe('applied');
    expect(await second).toBe('applied');
    expect(await status(d.id, cmd.cmd_id)).toMatchObject({ status: 'failed', detail: 'motor overheated' });
  });

  it('refuses params that do not fit the product catalog (400 naming the param, nothing recorded or sent), the firmware’s rule', async () => {
    const d = fleet.devices.ctl!;
    const ctl = await connectDevice(t.testBroker.url);
    const got: string[] = [];
    ctl.on('message', (_t, payload) => got.push(JSON.parse(payload.toString()).cmd_id));
    await ctl.subscribeAsync(topic(d.site, d.id, 'cmd'), { qos: 1 });
    try {
      const refused = async (body: unknown) => {
        const res = await send(d.id, body);
        expect(res.statusCode, JSON.stringify(body)).toBe(400);
        return res.json().issues;
      };
      const setpoint = (params: Record<string, unknown>) => refused({ action: 'set_setpoint', params });
      expect(await setpoint({ setpoint_bar: 12 })).toEqual([
        { path: 'body.params.setpoint_bar', message: 'setpoint_bar 12 is out of range: expected 0.5 to 8 bar' },
      ]);
      expect(await setpoint({ setpoint_bar: '3.2' })).toEqual([
        { path: 'body.params.setpoint_bar', message: 'expected a number' },
      ]);
      expect(await setpoint({})).toEqual([{ path: 'body.params.setpoint_bar', message: 'missing param setpoint_bar' }]);
      expect(await setpoint({ setpoint_bar: 3, bogus: 1 })).toEqual([
        { path: 'body.params.bogus', message: 'unexpected param bogus: expected setpoint_bar' },
      ]);
      expect(await refused({ action: 'start', params: { now: true } })).toEqual([
        { path: 'body.params.now', message: 'unexpected param now: start takes none' },
      ]);
      expect(
        await refused({ action: 'fw_update', params: { url: `https://x/${'a'.repeat(200)}`, sha256: 'ab' } }),
      ).toEqual([{ path: 'body.params.url', message: 'expected a string of at most 200 characters' }]);
      const none = await t.ctx.db.selectFrom('commands').select('id').where('device_id', '=', d.id).execute();
      expect(none).toEqual([]);

      const ok = await send(d.id, { action: 'set_setpoint', params: { setpoint_bar: 8 } });
      expect(ok.statusCode).toBe(202);
      await expect.poll(() => got, { timeout: 10_000 }).toEqual([ok.json().cmd_id]);
    } finally {
      await ctl.endAsync();
    }
  });

  it('refuses an action the product does not declare for the device’s version (400 at body.action, nothing recorded or sent)', async () => {
    const [pumpDev, probeDev, ctlDev] = [fleet.devices.pump!, fleet.devices.probe!, fleet.devices.ctl!];
    const probe = await connectDevice(t.testBroker.url);
    const got: string[] = [];
    probe.on('message', (_t, payload) => got.push(JSON.parse(payload.toString()).cmd_id));
    await probe.subscribeAsync(topic(probeDev.site, probeDev.id, 'cmd'), { qos: 1 });
    const sentToPump = received.length;
    try {
      const refused = async (deviceId: string, body: unknown) => {
        const res = await send(deviceId, body);
        expect(res.statusCode, JSON.stringify(body)).toBe(400);
        return res.json().issues;
      };
      expect(await refused(pumpDev.id, { action: 'reboot' })).toEqual([
        {
          path: 'body.action',
          message: 'pump-ctl 1.4.2 declares no command reboot; it declares: start, stop, set_setpoint, fw_update',
        },
      ]);
      expect(await refused(pumpDev.id, { action: 'set_ramp', params: { ramp_s: 5 } })).toEqual([
        { path: 'body.action', message: 'set_ramp needs pump-ctl 1.5.0 or later; this device runs 1.4.2' },
      ]);
      expect(await refused(probeDev.id, { action: 'reboot' })).toEqual([
        { path: 'body.action', message: 'soil-probe 1.4.2 declares no commands: it takes none' },
      ]);
      const stored = await t.ctx.db
        .selectFrom('commands')
        .select('id')
        .where('device_id', 'in', [pumpDev.id, probeDev.id])
        .where('action', 'in', ['reboot', 'set_ramp'])
        .execute();
      expect(stored).toEqual([]);

      // The device that runs 1.5.0 takes set_ramp; a message sent after the refusals arrives
      // first on the probe's topic, so nothing was published there before it.
      const ok = await send(ctlDev.id, { action: 'set_ramp', params: { ramp_s: 5 } });
      expect(ok.statusCode).toBe(202);
      await probe.publishAsync(topic(probeDev.site, probeDev.id, 'cmd'), JSON.stringify({ cmd_id: 'marker' }), {
        qos: 1,
      });
      await expect.poll(() => got, { timeout: 10_000 }).toEqual(['marker']);
      expect(received.slice(sentToPump)).toEqual([]);
    } finally {
      await probe.endAsync();
    }
  });

  it('validates, authorises and scopes', async () => {
    const d = fleet.devices.pump!;
    const bad = await send(d.id, { action: 'Start Pump!' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().issues[0].path).toBe('body.action');
    expect((await send(d.id, { action: 'stop', expires_in_s: 999_999 })).json().issues[0].path).toBe(
      'body.expires_in_s',
    );
    expect((await send(d.id, { action: 'stop' }, await bearer(t.ctx.db, 'viewer'))).statusCode).toBe(403);
    const other = await t.ctx.db
      .insertInto('customers')
      .values({ id: `cus_${id}-x`, name: 'x' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const stranger = await bearer(t.ctx.db, 'operator', other.id);
    expect((await send(d.id, { action: 'stop' }, stranger)).statusCode).toBe(404);
    expect((await send(`dev_${id}-ghost`, { action: 'stop' })).statusCode).toBe(404);
    expect(
      (await t.app.inject({ method: 'GET', url: `/api/v1/devices/${d.id}/commands/cmd_nope`, headers: operator }))
        .statusCode,
    ).toBe(404);
    await t.ctx.db.updateTable('devices').set({ site_id: null }).where('id', '=', fleet.devices.mute!.id).execute();
    const inStock = await send(fleet.devices.mute!.id, { action: 'stop' });
    expect(inStock.statusCode).toBe(409);
  });
});
