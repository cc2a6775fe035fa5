import { sql, type Kysely } from 'kysely';
import type { Database } from '../kernel/db/index.ts';
import { insertTelemetryRows, type TelemetryRow } from '../telemetry/ingest/telemetry-insert.ts';
import { insertHealthEvents, type DemoHealthEvent } from './health-events.ts';
import type { DemoReporter } from './reporters.ts';
import { readingFor, unitHash, type DemoProduct } from './signals.ts';

/** How often each product's seeded history has a reading (live readings come every heartbeat). */
const HISTORY_STEP_S: Record<DemoProduct, number> = {
  'lorawan-gw': 900,
  'pump-ctl': 3_600,
  'rfid-station': 7_200,
  'soil-probe': 10_800,
};
/**
 * The seeded week carries each product's main metrics (those the dashboards chart); live
 * readings carry all of them. Every metric of the week is also a row in two rollups, and
 * on embedded PGlite that is what makes a first `--demo` start slow.
 */
export const HISTORY_METRICS: Record<DemoProduct, string[]> = {
  'lorawan-gw': ['cpu_temp_c', 'uplinks_per_min', 'backhaul_rtt_ms'],
  'pump-ctl': ['flow_lpm', 'pressure_bar', 'motor_temp_c'],
  'rfid-station': ['reads_per_min', 'reader_temp_c', 'cpu_temp_c'],
  'soil-probe': ['soil_moisture_pct', 'temp_c', 'battery_v'],
};
const CHUNK = 5_000;

export interface SeededHistory {
  readings: number;
  health_events: number;
}

/**
 * A week behind every chart: readings for each reporting device from `days` ago up to its
 * last report (the rollup job folds them into the 1-minute and 1-hour rollups like any late
 * data), and the health history uptime is computed from — up since the week began, down
 * from 3 heartbeats after the last report for those already silent. Seeded once: a device
 * that already has readings older than a day is left alone, so `--demo` at every start
 * never doubles the week.
 */
export async function seedDemoHistory(
  db: Kysely<Database>,
  reporters: DemoReporter[],
  options: { now?: Date; days?: number } = {},
): Promise<SeededHistory | null> {
  const now = (options.now ?? new Date()).getTime();
  const from = now - (options.days ?? 7) * 86_400_000;
  const probe = reporters[0];
  if (!probe) return null;
  const seeded = await sql<{ n: number }>`
    select count(*)::int as n from telemetry where device_id = ${probe.id} and ts < ${new Date(now - 86_400_000)}`.execute(
    db,
  );
  if ((seeded.rows[0]?.n ?? 0) > 0) return null;

  let readings = 0;
  let rows: TelemetryRow[] = [];
  const flush = async () => {
    if (rows.length) readings += (await insertTelemetryRows(db, rows)).inserted;
    rows = [];
  };
  for (const d of reporters) {
    const step = HISTORY_STEP_S[d.product_code] * 1000;
    const until = Math.min(now, d.last_seen?.getTime() ?? now);
    // Each device on its own phase, as real devices never report in step.
    for (let t = from + unitHash(d.id) * step; t < until; t += step) {
      const reading = readingFor(d.product_code, d.id, t);
      const metrics = Object.fromEntries(HISTORY_METRICS[d.product_code].map((m) => [m, reading.metrics[m]!]));
      rows.push({
        device_id: d.id,
        msg_id: `hist-${Math.round(t / 1000)}`,
        ts: t / 1000,
        status: reading.status,
        metrics,
      });
      if (rows.length >= CHUNK) await flush();
    }
  }
  await flush();

  const events = reporters.flatMap((d): DemoHealthEvent[] => {
    const up: DemoHealthEvent = {
      device_id: d.id,
      site_id: d.site_id,
      customer_id: d.customer_id,
      product_code: d.product_code,
      status: 'up',
      at: new Date(from).toISOString(),
    };
    const downAt = d.last_seen ? d.last_seen.getTime() + 3 * d.heartbeat_interval_s * 1000 : null;
    return downAt !== null && downAt < now ? [up, { ...up, status: 'down', at: new Date(downAt).toISOString() }] : [up];
  });
  await insertHealthEvents(db, events);
  return { readings, health_events: events.length };
}
