import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { alertPage } from '../../data-api/src/contracts/alerts.ts';
import { fleetHealthSchema } from '../../data-api/src/contracts/fleet.ts';
import { deviceSchema } from '../../data-api/src/contracts/registry.ts';
import { stateDrift } from '../../data-api/src/contracts/device-state.ts';
import { telemetrySeries } from '../../data-api/src/contracts/telemetry.ts';
import { uptimeSchema } from '../../data-api/src/contracts/uptime.ts';
import { loadConfig } from '../../data-api/src/kernel/config/index.ts';
import { startFleetbook, type RunningFleetbook } from '../../data-api/src/server.ts';
import { createPgDatabase, dropPgDatabase } from '../helpers/database.ts';
import { freePort } from '../helpers/ports.ts';

// Issue 17, "a demo that lives": `fleetbook start --demo` left alone for 30 demo minutes, on a
// clock 20 times faster (FLEETBOOK_DEMO_SPEED: heartbeats and the scripted incidents shrink
// together; the monitor sweeps every 500 ms). Real PostgreSQL when TEST_DATABASE_URL is set,
// the embedded broker, the real ingest and monitor: nothing here is stubbed.
const SPEED = 20;
const DEMO_MINUTES = 30;
/** Demo minutes after a gateway outage for its backlog to arrive and its devices to be up again. */
const OUTAGE_RECOVERY_MIN = 8;
const silent = pino({ level: 'silent' });
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetbook-demo-lives-'));
const root = path.resolve(__dirname, '../..');

describe('fleetbook start --demo: a demo that lives', () => {
  let running: RunningFleetbook;
  let dbUrl: string | null = null;
  const samples: Array<{ at: number; up: number; down: number; unknown: number }> = [];
  /** GET through real HTTP, parsed by the route's own contract. */
  const api = async <S extends z.ZodType>(p: string, schema: S): Promise<z.output<S>> => {
    const res = await fetch(`${running.url}/api/v1${p}`);
    expect(res.status, p).toBe(200);
    return schema.parse(await res.json());
  };

  beforeAll(async () => {
    if (process.env.TEST_DATABASE_URL) dbUrl = await createPgDatabase(process.env.TEST_DATABASE_URL);
    const config = loadConfig({
      HOST: '127.0.0.1',
      PORT: '0',
      MQTT_PORT: String(await freePort()),
      FLEETBOOK_DATA_DIR: path.join(tmp, 'data'),
      FLEETBOOK_SITE_DIR: path.join(tmp, 'site'),
      FLEETBOOK_DEMO: '1',
      FLEETBOOK_OPEN_READS: '1',
      ...(dbUrl ? { DATABASE_URL: dbUrl } : {}),
    });
    running = await startFleetbook(config, {
      buildSite: 'never',
      logger: silent,
      // simulate is left unset on purpose: --demo alone makes the fleet live.
      telemetry: { instance: 'demo-lives', demoSpeed: SPEED, monitorIntervalMs: 500 },
    });
    // Left alone: sample the fleet's health every demo minute.
    const started = Date.now();
    while (Date.now() - started < (DEMO_MINUTES * 60_000) / SPEED) {
      const h = (await api('/fleet/health?group_by=customer', fleetHealthSchema)).total;
      samples.push({ at: Date.now() - started, up: h.up, down: h.down, unknown: h.unknown });
      await new Promise((r) => setTimeout(r, 60_000 / SPEED));
    }
  }, 300_000);

  afterAll(async () => {
    await running?.close();
    if (dbUrl) await dropPgDatabase(process.env.TEST_DATABASE_URL!, dbUrl);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('runs the simulator by default with --demo, and keeps ≥ 90 % of the devices that reported up, but for the scripted gateway outage', () => {
    const stats = running.telemetry.simulation!.stats();
    expect(stats.reporting).toBeGreaterThan(1000);
    expect(stats.readings).toBeGreaterThan(stats.reporting * 10);
    // From the fifth demo minute on (at 20× speed a loaded machine needs the first demo minutes to get 1,200
    // simulated devices onto their heartbeat schedule: the monitor's first sweeps find some late), outside the scripted gateway outage: while it lasts, and until its buffered readings are back, the
    // gateway and the sensors behind it are down on purpose (≈ 10 % of the fleet).
    const demoMinute = (at: number) => (at * SPEED) / 60_000;
    const quiet = stats.incidents.filter((i) => i.kind === 'gateway_quiet');
    const inOutage = (at: number) =>
      quiet.some((i) => {
        const m = demoMinute(at) % i.everyMin;
        return m >= i.atMin && m < i.atMin + i.forMin + OUTAGE_RECOVERY_MIN;
      });
    const judged = samples.filter((s) => demoMinute(s.at) >= 5 && !inOutage(s.at));
    // Sampled at least every other demo minute, even on a loaded machine.
    expect(judged.length).toBeGreaterThanOrEqual((DEMO_MINUTES - 5 - 10 - OUTAGE_RECOVERY_MIN) / 2 - 1);
    // (That the outage played, and ended, is the scripted-incidents test below.)
    const worst = Math.min(...judged.map((s) => s.up / (s.up + s.down)));
    const last = judged.at(-1)!;
    console.log(
      `demo after ${DEMO_MINUTES} demo minutes: ${last.up} up, ${last.down} down, ${last.unknown} never reported; ` +
        `up share of reporting devices: last ${((100 * last.up) / (last.up + last.down)).toFixed(1)} %, worst ${(100 * worst).toFixed(1)} %; ` +
        `${stats.readings} readings, ${stats.reporting} devices reporting`,
    );
    console.log(samples.map((s) => `${(s.at / 1000).toFixed(0)}s ${s.up}/${s.down}`).join(' '));
    expect(worst).toBeGreaterThanOrEqual(0.9);
    // Some do stay down (the demo has a standing "down" list), so alerts have something true to show.
    expect(last.down).toBeGreaterThan(0);
  });

  it('every chart on the telemetry trends page has data, and a week of it', { timeout: 150_000 }, async () => {
    const page = fs.readFileSync(path.join(root, 'docs/dashboards/telemetry-trends.mdx'), 'utf8');
    const charts = [...page.matchAll(/<TelemetryChart device="([^"]+)" metric="([^"]+)" range="(\d+)([hd])"/g)].map(
      (m) => ({
        device: m[1]!,
        metric: m[2]!,
        rangeMs: Number(m[3]) * (m[4] === 'd' ? 86_400_000 : 3_600_000),
      }),
    );
    expect(charts.length).toBeGreaterThanOrEqual(4);
    for (const c of charts) {
      const to = new Date();
      const from = new Date(to.getTime() - c.rangeMs);
      const series = await api(
        `/devices/${c.device}/telemetry?metric=${c.metric}&from=${from.toISOString()}&to=${to.toISOString()}&bucket=auto`,
        telemetrySeries,
      );
      expect(series.points.length, `${c.device} ${c.metric}`).toBeGreaterThan(c.rangeMs > 86_400_000 ? 40 : 20);
      const first = Date.parse(series.points[0]!.t);
      const last = Date.parse(series.points.at(-1)!.t);
      // The whole range is covered: from its start to the last minutes.
      expect(first - from.getTime(), `${c.device} ${c.metric} starts late`).toBeLessThan(c.rangeMs * 0.1);
      expect(to.getTime() - last, `${c.device} ${c.metric} ends early`).toBeLessThan(c.rangeMs * 0.1);
    }
    // The week is rolled up like any late data (1-hour rollups hold it), beside the monitor's rounds.
    const days = async () =>
      (
        await sql<{ n: number }>`
          select count(distinct date_trunc('day', bucket))::int as n from telemetry_1h where device_id = 'dev_farm-north-3-002'`.execute(
          running.ctx.db,
        )
      ).rows[0]!.n;
    await expect.poll(days, { timeout: 120_000, interval: 1_000 }).toBeGreaterThanOrEqual(7);
  });

  it('uptime agrees with the device counts: every customer with devices up has a figure, none is 0 %', async () => {
    const [uptime, health] = await Promise.all([
      api('/uptime?group_by=customer', uptimeSchema),
      api('/fleet/health?group_by=customer', fleetHealthSchema),
    ]);
    const counts = new Map(health.groups.map((g) => [g.key, g]));
    expect(uptime.items.length).toBe(3);
    for (const item of uptime.items) {
      const c = counts.get(item.id)!;
      // Devices monitored in the window = devices that have reported (up or down now).
      expect(item.devices, item.id).toBe(c.up + c.down);
      expect(item.uptime_pct, item.id).not.toBeNull();
      // The week's up time dominates: at least the share of devices up now, give or take the silent ones' history.
      expect(item.uptime_pct, item.id).toBeGreaterThanOrEqual(90);
      expect(item.uptime_pct, item.id).toBeLessThanOrEqual(100);
    }
    // A site with no monitored device is absent or null, never 0 %.
    const sites = await api('/uptime?group_by=site', uptimeSchema);
    for (const s of sites.items) if (s.devices === 0) expect(s.uptime_pct).toBeNull();
  });

  it('played the scripted incidents: a gateway went quiet and came back, a pump overheated, a battery sagged', async () => {
    const [gw, pump, probe] = ['gateway_quiet', 'pump_overheat', 'battery_sag'].map(
      (k) => running.telemetry.simulation!.stats().incidents.find((i) => i.kind === k)!.device,
    );
    expect([gw, pump, probe]).toEqual(['gw_farm-north-1-002', 'dev_farm-north-4-001', 'dev_farm-north-3-002']);
    // The gateway: down (alert opened) during its quiet 10 minutes, up again after (alert resolved).
    const gwAlerts = (await api(`/alerts?limit=50&rule_id=device_down&subject_id=${gw}`, alertPage)).items;
    expect(gwAlerts.length).toBeGreaterThan(0);
    expect(gwAlerts.some((a) => a.state === 'resolved')).toBe(true);
    expect((await api(`/devices/${gw}`, deviceSchema)).status).toBe('up');
    // Its sensors' readings were kept in its buffer and arrived late, with their own timestamps.
    const late = await sql<{ n: number }>`
      select count(*)::int as n from telemetry where received_at - ts > interval '5 seconds' and msg_id like 'demo-%'`.execute(
      running.ctx.db,
    );
    expect(late.rows[0]!.n).toBeGreaterThan(0);
    // The featured pump runs a setpoint other than the registry's: desired vs reported shows the drift.
    const pumpRow = await api(`/devices/${pump}`, deviceSchema);
    expect(
      stateDrift(pumpRow.desired_state, pumpRow.observed_state).rows.find((r) => r.key === 'setpoint_bar'),
    ).toMatchObject({
      desired: 3.2,
      reported: 3,
      drift: 'differs',
    });
    const since = new Date(Date.now() - 3_600_000).toISOString();
    const peak = await api(`/devices/${pump}/telemetry?metric=motor_temp_c&from=${since}&bucket=raw`, telemetrySeries);
    expect(Math.max(...peak.points.map((p) => p.max))).toBeGreaterThan(95);
    const battery = await api(`/devices/${probe}/telemetry?metric=battery_v&from=${since}&bucket=raw`, telemetrySeries);
    expect(Math.min(...battery.points.map((p) => p.min))).toBeLessThan(3.3);
  });
});
