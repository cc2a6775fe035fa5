import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMonitor, type MonitorHandle } from '../../data-api/src/health/monitor/service.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { createToken } from '../../data-api/src/kernel/auth/service.ts';
import { backendName, seedFleet, tag, type Fleet } from './ingest-fixtures.ts';

// contracts.md § Health: a device silent for 3 × its heartbeat_interval_s is down, "the change
// opens an alert, and the next message marks it up and resolves the alert". A device deleted
// from the registry (or whose deployment is retired, so no longer watched) sends no next
// message: its alert must not stay open and escalate for ever.
describe(`alerts of deleted and retired devices (${backendName()})`, () => {
  let t: TestApp;
  let fleet: Fleet;
  let monitor: MonitorHandle;
  let admin: Record<string, string>;
  const id = tag();

  beforeAll(async () => {
    t = await createTestApp();
    fleet = await seedFleet(t.ctx.db, id, {
      sites: 2,
      devices: [
        { name: 'gone', heartbeat_interval_s: 1 },
        { name: 'kept', heartbeat_interval_s: 1 },
        { name: 'cascaded', site: 1, heartbeat_interval_s: 1 },
      ],
    });
    const token = await createToken(t.ctx.db, { name: `decommissioner-${id}`, role: 'admin', customerId: null });
    admin = { authorization: `Bearer ${token.token}`, 'content-type': 'application/json' };
    // Ticked by hand below.
    monitor = startMonitor(t.ctx, { instance: `mon-${id}`, intervalMs: 3_600_000 });
  });
  afterAll(async () => {
    await monitor?.stop();
    await t?.close();
  });

  const openAlertOf = (deviceId: string) =>
    t.ctx.db
      .selectFrom('alerts')
      .selectAll()
      .where('subject_id', '=', deviceId)
      .where('state', '<>', 'resolved')
      .executeTakeFirst();
  const alertOf = (alertId: string) =>
    t.ctx.db.selectFrom('alerts').selectAll().where('id', '=', alertId).executeTakeFirstOrThrow();
  /** Seen a minute ago, then the monitor's rounds until each is down with its alert open. */
  const downWithAlert = async (deviceIds: string[]) => {
    await t.ctx.db
      .updateTable('devices')
      .set({ status: 'up', last_seen: new Date(Date.now() - 60_000) })
      .where('id', 'in', deviceIds)
      .execute();
    await expect
      .poll(
        async () => {
          await monitor.tick();
          return Promise.all(deviceIds.map(async (d) => (await openAlertOf(d))?.rule_id ?? null));
        },
        { timeout: 15_000, interval: 500 },
      )
      .toEqual(deviceIds.map(() => 'device_down'));
    return Promise.all(deviceIds.map(async (d) => (await openAlertOf(d))!));
  };
  const resolvedEvents = (alertId: string) =>
    t.ctx.db
      .selectFrom('change_events')
      .select('type')
      .where('type', '=', 'alert.resolved')
      .where('subject_id', '=', alertId)
      .execute();

  it('deleting a device resolves its open alerts, on the change feed, and leaves the others open', async () => {
    const [gone, kept] = await downWithAlert([fleet.devices.gone!.id, fleet.devices.kept!.id]);
    const res = await t.app.inject({
      method: 'DELETE',
      url: `/api/v1/devices/${fleet.devices.gone!.id}`,
      headers: { authorization: admin.authorization! },
    });
    expect(res.statusCode).toBe(204);
    expect(await alertOf(gone!.id)).toMatchObject({ state: 'resolved', resolved_by: `decommissioner-${id}` });
    expect(await resolvedEvents(gone!.id)).toHaveLength(1);
    expect((await alertOf(kept!.id)).state).toBe('open');
  });

  it('deleting a site with cascade=true resolves the alerts of the devices it removed', async () => {
    const [cascaded] = await downWithAlert([fleet.devices.cascaded!.id]);
    const res = await t.app.inject({
      method: 'DELETE',
      url: `/api/v1/sites/${fleet.sites[1]}?cascade=true`,
      headers: { authorization: admin.authorization! },
    });
    expect(res.statusCode).toBe(204);
    expect(await alertOf(cascaded!.id)).toMatchObject({ state: 'resolved', resolved_by: `decommissioner-${id}` });
  });

  it('retiring a deployment resolves the device_down alerts of its devices, which are no longer watched', async () => {
    const dep = await t.app.inject({
      method: 'POST',
      url: '/api/v1/deployments',
      headers: admin,
      payload: { site_id: fleet.sites[0], product_code: 'soil-probe', product_version: '1.4.2', state: 'live' },
    });
    expect(dep.statusCode).toBe(201);
    const device = await t.app.inject({
      method: 'POST',
      url: '/api/v1/devices',
      headers: admin,
      payload: { deployment_id: dep.json().id, product_code: 'soil-probe', role: 'sensor' },
    });
    expect(device.statusCode, device.body).toBe(201);
    // The API's minimum is 5 s; 1 s keeps the test short, as seedFleet's devices.
    await t.ctx.db.updateTable('devices').set({ heartbeat_interval_s: 1 }).where('id', '=', device.json().id).execute();
    const [alert] = await downWithAlert([device.json().id]);
    const retired = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/deployments/${dep.json().id}`,
      headers: admin,
      payload: { state: 'retired' },
    });
    expect(retired.statusCode).toBe(200);
    expect(await alertOf(alert!.id)).toMatchObject({ state: 'resolved', resolved_by: `decommissioner-${id}` });
    // Not watched any more: later rounds open nothing for it.
    await monitor.tick();
    expect(await openAlertOf(device.json().id)).toBeUndefined();
  });
});
