import { useMemo, useState } from 'react';
import { devicePage, type Device } from '../../../data-api/src/contracts/registry.ts';
import { useLiveResource, useLiveRows } from '../../data/useLive.ts';

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

/**
 * One page of devices through the API's keyset cursor (a stack of cursors for "previous"),
 * rows kept live through the entity store; a created or deleted device re-reads the page.
 */
export function useDevicePage(filters: DeviceFilters, pageSize: number) {
  const key = JSON.stringify(filters);
  const [pages, setPages] = useState<{ key: string; cursors: (string | undefined)[] }>({ key, cursors: [undefined] });
  const cursors = pages.key === key ? pages.cursors : [undefined];
  const cursor = cursors[cursors.length - 1];
  const path = devicesPath(filters, pageSize, cursor);
  const resource = useLiveResource(path, devicePage, {
    topics: ['device'],
    seed: (page) => ({ type: 'device', rows: page.items }),
    refetchOn: (e) => e.type === 'device.created' || e.type === 'device.deleted',
  });
  const rows = useLiveRows<Device>('device', resource.data?.items ?? null);
  const next = resource.data?.next_cursor ?? null;
  return useMemo(
    () => ({
      resource,
      rows,
      page: cursors.length - 1,
      hasPrev: cursors.length > 1,
      hasNext: !!next,
      next: () => next && setPages({ key, cursors: [...cursors, next] }),
      prev: () => cursors.length > 1 && setPages({ key, cursors: cursors.slice(0, -1) }),
    }),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [resource, rows, next, key, cursors.length],
  );
}
