import type { DemoProduct, Reading } from './signals.ts';

/**
 * The demo's scripted incidents, played on a loop so alerts, uptime and notifications always
 * have something true to show. Times are demo minutes from the start of the simulation; the
 * demo's speed (FLEETBOOK_DEMO_SPEED, tests) divides them.
 *
 * - gateway quiet: a gateway loses its uplink for 10 minutes; its sensors' readings wait in
 *   its buffer and arrive late (backfilled, with their own timestamps) when it is back. The
 *   gateway is marked down after 3 missed heartbeats, which opens a critical alert.
 * - pump overheating: a pump's motor climbs past 95 °C (the pump_motor_overheat rule) while it
 *   runs, holds for 5 minutes, then cools below 85 °C (the rule's clear level).
 * - battery sagging: a soil probe's cell drops under 3.3 V (soil_probe_battery_low, for 30m)
 *   for 40 minutes; then a technician swaps it (3.6 V).
 */
export interface IncidentPlan {
  kind: 'gateway_quiet' | 'pump_overheat' | 'battery_sag';
  /** Which device plays it. */
  device: string;
  /** Demo minutes: the loop's length, when in the loop it starts, how long it lasts. */
  everyMin: number;
  atMin: number;
  forMin: number;
}

/** Devices that play the incidents when they report (chosen to be on the handbook's pages). */
export const INCIDENT_CAST: Array<{ kind: IncidentPlan['kind']; product: DemoProduct; prefer: string }> = [
  { kind: 'gateway_quiet', product: 'lorawan-gw', prefer: 'gw_farm-north-1-002' },
  { kind: 'pump_overheat', product: 'pump-ctl', prefer: 'dev_farm-north-4-001' },
  { kind: 'battery_sag', product: 'soil-probe', prefer: 'dev_farm-north-3-002' },
];

const TIMING: Record<IncidentPlan['kind'], Pick<IncidentPlan, 'everyMin' | 'atMin' | 'forMin'>> = {
  gateway_quiet: { everyMin: 30, atMin: 5, forMin: 10 },
  pump_overheat: { everyMin: 30, atMin: 18, forMin: 9 },
  battery_sag: { everyMin: 60, atMin: 2, forMin: 55 },
};

/** Picks the cast among the devices that report: the preferred device, else the first of its product. */
export function castIncidents(reporters: Array<{ id: string; product_code: string }>): IncidentPlan[] {
  const plans: IncidentPlan[] = [];
  for (const c of INCIDENT_CAST) {
    const device = reporters.find((r) => r.id === c.prefer) ?? reporters.find((r) => r.product_code === c.product);
    if (device) plans.push({ kind: c.kind, device: device.id, ...TIMING[c.kind] });
  }
  return plans;
}

/** Where in the incident a moment falls: null outside it, else demo minutes since it began. */
export function incidentMinute(plan: IncidentPlan, elapsedMs: number, speed: number): number | null {
  const demoMin = (elapsedMs * speed) / 60_000;
  const inLoop = demoMin % plan.everyMin;
  return inLoop >= plan.atMin && inLoop < plan.atMin + plan.forMin ? inLoop - plan.atMin : null;
}

/** True while a gateway_quiet incident keeps its gateway off the air. */
export const isQuiet = (plan: IncidentPlan, elapsedMs: number, speed: number) =>
  plan.kind === 'gateway_quiet' && incidentMinute(plan, elapsedMs, speed) !== null;

/** The reading as the incident bends it (unchanged outside the incident). */
export function applyIncident(plan: IncidentPlan, reading: Reading, elapsedMs: number, speed: number): Reading {
  const m = incidentMinute(plan, elapsedMs, speed);
  if (m === null) return reading;
  const metrics = { ...reading.metrics };
  if (plan.kind === 'pump_overheat') {
    const base = metrics.motor_temp_c ?? 60;
    // 2 minutes climbing to 104 °C, 5 minutes at 100–104, 2 minutes cooling to 80.
    const peak = 102 + 2 * Math.sin(m * 3);
    metrics.motor_temp_c = round(
      m < 2 ? base + ((peak - base) * m) / 2 : m < 7 ? peak : peak - ((peak - 80) * (m - 7)) / 2,
    );
    metrics.motor_current_a = round((metrics.motor_current_a ?? 12) * (m < 7 ? 1.35 : 1.1));
    return { status: 'running', metrics };
  }
  if (plan.kind === 'battery_sag') {
    // 3.45 V falling to 3.12 V over 15 minutes, then flat until the swap at the end.
    metrics.battery_v = round(m < 15 ? 3.45 - (0.33 * m) / 15 : 3.12 + 0.02 * Math.sin(m), 2);
    return { ...reading, metrics };
  }
  return reading;
}

const round = (v: number, digits = 1) => Math.round(v * 10 ** digits) / 10 ** digits;
