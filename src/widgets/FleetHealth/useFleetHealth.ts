import type { ChangeEventMessage } from '../../../data-api/src/contracts/stream.ts';
import { fleetHealthSchema } from '../../../data-api/src/contracts/fleet.ts';
import { useLiveResource } from '../../data/useLive.ts';
import { fleetQuery, type FleetSelection } from './query.ts';

/** Events that can move a count: a device added, removed, moved or changing health; sites removed or filled. */
const movesCounts = (e: ChangeEventMessage) =>
  (e.type.startsWith('device.') && e.type !== 'device.desired_state') ||
  e.type === 'site.deleted' ||
  e.type === 'site.devices_provisioned';

/**
 * Up / down / unknown per group from `GET /fleet/health` (counted by the API in one grouped
 * query, tenant-scoped by the caller's token), re-read when a change event can move a count.
 */
export function useFleetHealth(f: FleetSelection) {
  return useLiveResource(`/fleet/health?${fleetQuery(f).toString()}`, fleetHealthSchema, {
    topics: ['device', 'site'],
    refetchOn: movesCounts,
  });
}
