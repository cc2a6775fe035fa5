// Pure: FleetHealth's props → the query strings of its two reads, which select the same devices.
import type { FleetGroupBy } from '../../../data-api/src/contracts/fleet.ts';

export interface FleetSelection {
  groupBy: FleetGroupBy;
  customer?: string;
  site?: string;
  product?: string;
}

/** `group_by` and the fleet filters, named as /fleet/health, /uptime and the device list name them. */
export function fleetQuery(f: FleetSelection): URLSearchParams {
  const q = new URLSearchParams({ group_by: f.groupBy });
  if (f.customer) q.set('customer_id', f.customer);
  if (f.site) q.set('site_id', f.site);
  if (f.product) q.set('product_code', f.product);
  return q;
}

/** `/uptime` for the same devices as the counts, over [from, to): the table's column and its CSV. */
export function uptimePath(f: FleetSelection, fromMs: number, toMs: number): string {
  const q = fleetQuery(f);
  q.set('from', new Date(fromMs).toISOString());
  q.set('to', new Date(toMs).toISOString());
  return `/uptime?${q.toString()}`;
}
