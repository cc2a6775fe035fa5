import { sql, type Kysely } from 'kysely';
import type { Database } from '../kernel/db/index.ts';

export interface DemoHealthEvent {
  device_id: string;
  site_id: string | null;
  customer_id: string | null;
  product_code: string;
  status: 'up' | 'down';
  at: string;
}

const CHUNK = 5_000;

/**
 * Writes demo health transitions, skipping any the table already has (same device, status and
 * time): the fleet's current states and the seeded week both name a silent device's going down.
 */
export async function insertHealthEvents(db: Kysely<Database>, events: DemoHealthEvent[]): Promise<void> {
  for (let i = 0; i < events.length; i += CHUNK) {
    await sql`
      insert into device_health_events (device_id, site_id, customer_id, product_code, status, at)
      select x.device_id, x.site_id, x.customer_id, x.product_code, x.status, x.at
      from jsonb_to_recordset(${JSON.stringify(events.slice(i, i + CHUNK))}::jsonb)
        as x(device_id text, site_id text, customer_id text, product_code text, status text, at timestamptz)
      where not exists (
        select 1 from device_health_events e where e.device_id = x.device_id and e.status = x.status and e.at = x.at
      )`.execute(db);
  }
}

/**
 * The health history behind a loaded device's registry status, so uptime agrees with the fleet
 * from the first minute (with or without the seeded week): up since it was last seen, or down
 * from three heartbeats after that, as the monitor would have marked it. Unknown: no history.
 */
export function currentStateEvent(
  d: {
    id: string;
    site_id: string | null;
    customer_id: string | null;
    product_code: string;
    status: string;
    last_seen: string | null;
    heartbeat_interval_s: number;
  },
  now: Date,
): DemoHealthEvent | null {
  if (d.last_seen === null || (d.status !== 'up' && d.status !== 'down')) return null;
  const seen = Date.parse(d.last_seen);
  const at = d.status === 'up' ? seen : Math.min(now.getTime(), seen + 3 * d.heartbeat_interval_s * 1000);
  return {
    device_id: d.id,
    site_id: d.site_id,
    customer_id: d.customer_id,
    product_code: d.product_code,
    status: d.status,
    at: new Date(at).toISOString(),
  };
}
