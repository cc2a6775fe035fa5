// Pure: up / down / unknown counts per group, kept live from change events.
import type { ChangeEventMessage } from '../../../data-api/src/contracts/stream.ts';

export type GroupBy = 'site' | 'product' | 'customer';

export interface DeviceLite {
  id: string;
  status: string;
  site_id: string | null;
  product_code: string;
  customer_id: string | null;
}

export interface GroupCount {
  key: string;
  up: number;
  down: number;
  unknown: number;
  total: number;
}

export const groupKey = (d: DeviceLite, by: GroupBy): string =>
  (by === 'site' ? d.site_id : by === 'customer' ? d.customer_id : d.product_code) ?? '(none)';

export function countByGroup(devices: Iterable<DeviceLite>, by: GroupBy): { groups: GroupCount[]; total: GroupCount } {
  const map = new Map<string, GroupCount>();
  const total: GroupCount = { key: 'total', up: 0, down: 0, unknown: 0, total: 0 };
  for (const d of devices) {
    const key = groupKey(d, by);
    let g = map.get(key);
    if (!g) map.set(key, (g = { key, up: 0, down: 0, unknown: 0, total: 0 }));
    const st = d.status === 'up' || d.status === 'down' ? d.status : 'unknown';
    g[st]++;
    g.total++;
    total[st]++;
    total.total++;
  }
  return { groups: [...map.values()].sort((a, b) => b.down - a.down || a.key.localeCompare(b.key)), total };
}

/** A device change event applied to the id → device map (a new Map when something changed). */
export function applyDeviceEvent(devices: ReadonlyMap<string, DeviceLite>, e: ChangeEventMessage, accepts: (d: DeviceLite) => boolean): ReadonlyMap<string, DeviceLite> {
  if (e.subject.type !== 'device') return devices;
  const id = e.subject.id;
  if (e.type === 'device.deleted') {
    if (!devices.has(id)) return devices;
    const next = new Map(devices);
    next.delete(id);
    return next;
  }
  const p = e.payload as Partial<DeviceLite>;
  const have = devices.get(id);
  const full = p.id === id && typeof p.status === 'string' && typeof p.product_code === 'string';
  if (!have && !full) return devices;
  const merged: DeviceLite = full
    ? { id, status: p.status!, site_id: p.site_id ?? null, product_code: p.product_code!, customer_id: p.customer_id ?? null }
    : { ...have!, ...(typeof p.status === 'string' ? { status: p.status } : {}) };
  if (!have && !accepts(merged)) return devices;
  const next = new Map(devices);
  if (accepts(merged)) next.set(id, merged);
  else next.delete(id);
  if (have && next.get(id) && have.status === merged.status && have.site_id === merged.site_id && have.customer_id === merged.customer_id) return devices;
  return next;
}
