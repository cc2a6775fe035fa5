import { useMemo, useState } from 'react';
import { devicePage, type Device } from '../../../data-api/src/contracts/registry.ts';
import { useLiveResource, useLiveRows } from '../../data/useLive.ts';
import { devicesPath, movesDevicePage, type DeviceFilters } from './filters.ts';

/**
 * One page of devices through the API's keyset cursor (a stack of cursors for "previous"),
 * rows kept live through the entity store; an event that can move a device into or out of the
 * page re-reads it (`movesDevicePage`).
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
    refetchOn: (e) => movesDevicePage(filters, e),
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
