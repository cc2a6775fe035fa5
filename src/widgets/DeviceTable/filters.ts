// Pure (no DOM): a DeviceTable's filters → its API path, and which change events can move a
// device into or out of its page.
import type { ChangeEventMessage } from '../../../data-api/src/contracts/stream.ts';

export interface DeviceFilters {
  site?: string;
  deployment?: string;
  customer?: string;
  role?: string;
  status?: string;
  product?: string;
  q?: string;
  /** The API's `sort` (e.g. `-last_seen`); default: by id. */
  sort?: string;
}

export function devicesPath(filters: DeviceFilters, limit: number, cursor?: string): string {
  const q = new URLSearchParams({ limit: String(limit) });
  if (filters.site) q.set('site_id', filters.site);
  if (filters.deployment) q.set('deployment_id', filters.deployment);
  if (filters.customer) q.set('customer_id', filters.customer);
  if (filters.role) q.set('role', filters.role);
  if (filters.status) q.set('status', filters.status);
  if (filters.product) q.set('product_code', filters.product);
  if (filters.q) q.set('q', filters.q);
  if (filters.sort) q.set('sort', filters.sort);
  if (cursor) q.set('cursor', cursor);
  return `/devices?${q.toString()}`;
}

/** Sort keys a registry edit (a move, a rename) can change the order of. */
const EDITABLE_SORTS = new Set(['name', 'serial', 'site_id', 'deployment_id']);

/**
 * Can this change event move a device into or out of the page (its filters and order)? Then the
 * page is read again; what a row shows (status, last seen, name) follows the store without a read.
 * - a device created or deleted;
 * - a device's health changed, when the table is filtered by a status it entered or left (a
 *   "devices down" table takes in the device that went down and drops the one that came back), or
 *   ordered by status;
 * - a device moved or edited, when the table is filtered by site, deployment, customer or text, or
 *   ordered by a field an edit changes.
 */
export function movesDevicePage(filters: DeviceFilters, e: ChangeEventMessage): boolean {
  const sortKey = filters.sort?.replace(/^-/, '');
  switch (e.type) {
    case 'device.created':
    case 'device.deleted':
      return true;
    case 'device.health_changed': {
      if (filters.site && e.site_id !== null && e.site_id !== filters.site) return false;
      if (sortKey === 'status') return true;
      if (!filters.status) return false;
      const { status, previous } = e.payload;
      return typeof status !== 'string' || status === filters.status || previous === filters.status;
    }
    case 'device.updated':
      return (
        !!(filters.site || filters.deployment || filters.customer || filters.q) ||
        (sortKey !== undefined && EDITABLE_SORTS.has(sortKey))
      );
    default:
      return false;
  }
}
