import type { ChangeEventMessage } from '../../../data-api/src/contracts/stream.ts';
import { fleetHealthSchema, type FleetGroupBy } from '../../../data-api/src/contracts/fleet.ts';
import { useLiveResource } from '../../data/useLive.ts';

/** Events that can move a count: a device added, removed, moved or changing health; sites removed or filled. */
const movesCounts = (e: ChangeEventMessage) =>
  (e.type.startsWith('device.') && e.type !== 'device.desired_state') ||
  e.type === 'site.deleted' ||
  e.type === 'site.devices_provisioned';

/**
 * Up / down / unknown per group from `GET /fleet/health` (counted by the API in one grouped
 * query, tenant-scoped by the caller's token), re-read when a change event can move a count.
 */
export function useFleetHealth(f: { groupBy: FleetGroupBy; customer?: string; site?: string; product?: string }) {
  const q = new URLSearchParams({ group_by: f.groupBy });
  if (f.customer) q.set('customer_id', f.customer);
  if (f.site) q.set('site_id', f.site);
  if (f.product) q.set('product_code', f.product);
  return useLiveResource(`/fleet/health?${q.toString()}`, fleetHealthSchema, {
    topics: ['device', 'site'],
    refetchOn: movesCounts,
  });
}
