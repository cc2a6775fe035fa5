/**
 * What each demo device reads at a given time: one deterministic function of (device, time)
 * for the seeded week and the live simulation alike, so a chart has no seam where history
 * ends and live readings begin. Shapes follow the product pages' healthy ranges: gateways run
 * hotter in the afternoon, soil dries between morning irrigations, pumps hold their setpoint.
 * The demo sites are in Asia/Bangkok (UTC+7), whose day drives the daily cycles.
 */

import type { z } from 'zod';
import type { deviceRunStatus } from '../contracts/mqtt.ts';

type DeviceRunStatus = z.infer<typeof deviceRunStatus>;

export type DemoProduct = 'lorawan-gw' | 'soil-probe' | 'pump-ctl' | 'rfid-station';

export interface Reading {
  status: DeviceRunStatus;
  metrics: Record<string, number>;
}

const SITE_UTC_OFFSET_H = 7;
const HOUR_MS = 3_600_000;

/** A stable number in [0, 1) for a device id: its phase, spread and personality. */
export function unitHash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return ((h >>> 0) % 1_000_003) / 1_000_003;
}

const round = (v: number, digits = 1) => Math.round(v * 10 ** digits) / 10 ** digits;
/** Local hour of day at the demo sites, fractional. */
const localHour = (t: number) => (((t / HOUR_MS + SITE_UTC_OFFSET_H) % 24) + 24) % 24;
/** 0 at night, up to 1 mid-afternoon (peak at 15:00). */
const sun = (t: number) => {
  const h = localHour(t);
  return h >= 7 && h <= 23 ? Math.sin(((h - 7) / 16) * Math.PI) : 0;
};
/** Small deterministic wobble, different per device. */
const wobble = (t: number, seed: number, periodMin: number) =>
  Math.sin((t / 60_000 / periodMin) * 2 * Math.PI + seed * 40);

export function readingFor(product: DemoProduct, deviceId: string, t: number): Reading {
  const k = unitHash(deviceId);
  switch (product) {
    case 'lorawan-gw':
      return {
        status: 'ok',
        metrics: {
          cpu_temp_c: round(44 + 6 * k + 22 * sun(t) + 1.2 * wobble(t, k, 37)),
          uplinks_per_min: Math.round(90 + 60 * k + 40 * sun(t) + 12 * wobble(t, k, 11)),
          crc_error_pct: round(1.5 + 1.2 * Math.abs(wobble(t, k, 53)), 2),
          downlinks_per_min: Math.round(4 + 3 * Math.abs(wobble(t, k, 17))),
          duty_cycle_pct: round(0.2 + 0.15 * Math.abs(wobble(t, k, 29)), 2),
          backhaul_rtt_ms: Math.round(18 + 10 * k + 6 * Math.abs(wobble(t, k, 7))),
          supply_v: round(12.1 + 0.15 * wobble(t, k, 61), 2),
          buffered_msgs_count: 0,
        },
      };
    case 'soil-probe': {
      // Irrigation at 06:00 local: a sharp rise, then the soil dries for a day (a saw-tooth).
      const sinceWatering = (localHour(t) - 6 + 24) % 24;
      return {
        status: 'ok',
        metrics: {
          soil_moisture_pct: round(38 - 4 * k - 16 * (sinceWatering / 24) + 0.6 * wobble(t, k, 47)),
          temp_c: round(24 + 3 * k + 6 * sun(t) + 0.3 * wobble(t, k, 31)),
          // A healthy cell: a little sag in the cool of the night.
          battery_v: round(3.52 + 0.08 * k - 0.02 * (1 - sun(t)), 2),
          rssi_dbm: Math.round(-98 - 14 * k + 3 * wobble(t, k, 23)),
          snr_db: round(4 + 5 * k + 1.5 * wobble(t, k, 19)),
        },
      };
    }
    case 'pump-ctl':
      return {
        status: 'running',
        metrics: {
          flow_lpm: Math.round(220 + 80 * k + 15 * wobble(t, k, 13)),
          pressure_bar: round(3.2 + 0.4 * k + 0.12 * wobble(t, k, 9), 2),
          motor_temp_c: round(56 + 8 * k + 9 * sun(t) + 1.5 * wobble(t, k, 21)),
          motor_current_a: round(11 + 4 * k + 0.6 * wobble(t, k, 15)),
          run_hours_h: Math.round(2_000 + 9_000 * k + Math.max(0, t / HOUR_MS - 480_000)),
          supply_v: round(24 + 0.2 * wobble(t, k, 41), 2),
          rssi_dbm: Math.round(-62 - 18 * k + 3 * wobble(t, k, 27)),
        },
      };
    case 'rfid-station': {
      const h = localHour(t);
      const shift = h >= 6 && h < 22 ? 1 : 0.1;
      const reads = Math.round((600 + 2_400 * k) * shift * (0.8 + 0.2 * Math.abs(wobble(t, k, 5))));
      return {
        status: 'ok',
        metrics: {
          reads_per_min: reads,
          unique_tags_per_min: Math.round(reads / 6),
          events_per_min: Math.round(reads / 8),
          antenna_return_loss_db: round(22 + 6 * k + 0.5 * wobble(t, k, 71)),
          reader_temp_c: round(38 + 5 * k + 8 * sun(t) + 0.8 * wobble(t, k, 33)),
          cpu_temp_c: round(46 + 6 * k + 10 * sun(t) + wobble(t, k, 39)),
          event_queue_depth_count: 0,
        },
      };
    }
  }
}
