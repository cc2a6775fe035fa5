import { sql, type Kysely } from 'kysely';
import type { Database } from '../kernel/db/index.ts';
import { unitHash, type DemoProduct } from './signals.ts';

/** A device the demo makes report: its registry facts. */
export interface DemoReporter {
  id: string;
  site_id: string;
  customer_id: string | null;
  product_code: DemoProduct;
  role: string;
  product_version: string | null;
  heartbeat_interval_s: number;
  last_seen: Date | null;
}

const PRODUCTS: DemoProduct[] = ['lorawan-gw', 'soil-probe', 'pump-ctl', 'rfid-station'];

/**
 * About 3 % of the devices that once reported stay silent for good (a flat battery, a probe
 * pulled out, a station unplugged): the demo's standing "down" list. Chosen by id, so the
 * same devices every start.
 */
/**
 * About 8 % of the pump controllers run with a setpoint other than the registry's (someone
 * changed it on the panel), and the featured pump always does: the device page shows the drift.
 */
export const isDrifting = (deviceId: string) =>
  deviceId === 'dev_farm-north-4-001' || unitHash(`${deviceId}:drift`) < 0.08;

export const isBrokenForGood = (deviceId: string) => unitHash(`${deviceId}:broken`) < 0.03;

/**
 * The devices the demo keeps reporting: those of live or paused deployments that have
 * reported before (never-seen devices stay "never reported", as a fleet always has some),
 * of the four demo products.
 */
export async function demoReporters(db: Kysely<Database>): Promise<DemoReporter[]> {
  const rows = await sql<DemoReporter>`
    select d.id, d.site_id, d.customer_id, d.product_code, d.role, d.product_version, d.heartbeat_interval_s, d.last_seen
    from devices d join deployments dep on dep.id = d.deployment_id
    where dep.state in ('live', 'paused') and d.status <> 'unknown' and d.site_id is not null
      and d.product_code in (${sql.join(PRODUCTS)})
    order by d.id`.execute(db);
  return rows.rows.map((r) => ({ ...r, last_seen: r.last_seen ? new Date(r.last_seen) : null }));
}
