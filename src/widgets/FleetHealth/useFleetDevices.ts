import { useEffect, useRef, useState } from 'react';
import type { Device } from '../../../data-api/src/contracts/registry.ts';
import { useConnection, useLiveTopics, type LiveState } from '../../data/useLive';
import { useDataClient } from '../../data/useResource';
import { devicesPath, type DeviceFilters } from '../DeviceTable/useDevicePage';
import { applyDeviceEvent, type DeviceLite } from './counts';

const PAGE = 500;

/**
 * Every device matching the filters, read page by page through the keyset cursor, then kept
 * live from `device` change events. Known debt: the registry has no count endpoint yet, so
 * at 100k devices this reads 200 pages once per page view; /api/v1/uptime covers uptime.
 */
export function useFleetDevices(filters: DeviceFilters): LiveState<ReadonlyMap<string, DeviceLite>> & { loaded: number } {
  const client = useDataClient();
  const connection = useConnection();
  const [state, setState] = useState<LiveState<ReadonlyMap<string, DeviceLite>>>({ status: 'loading', data: null, error: null, updatedAt: null });
  const [loaded, setLoaded] = useState(0);
  const key = JSON.stringify(filters);
  const accepts = useRef<(d: DeviceLite) => boolean>(() => true);
  accepts.current = (d) =>
    (!filters.site || d.site_id === filters.site) && (!filters.customer || d.customer_id === filters.customer) && (!filters.product || d.product_code === filters.product);

  useEffect(() => {
    let cancelled = false;
    const controller = new AbortController();
    (async () => {
      const map = new Map<string, DeviceLite>();
      let cursor: string | undefined;
      try {
        do {
          const page = await client.get<{ items: Device[]; next_cursor: string | null }>(devicesPath(JSON.parse(key), PAGE, cursor), controller.signal);
          for (const d of page.items) map.set(d.id, { id: d.id, status: d.status, site_id: d.site_id, product_code: d.product_code, customer_id: d.customer_id });
          cursor = page.next_cursor ?? undefined;
          if (!cancelled) setLoaded(map.size);
        } while (cursor && !cancelled);
        if (!cancelled) setState({ status: 'ready', data: map, error: null, updatedAt: new Date() });
      } catch (err) {
        if (cancelled) return;
        setState((cur) => (cur.data ? { status: 'stale', data: cur.data, error: err as Error, updatedAt: cur.updatedAt! } : { status: 'error', data: null, error: err as Error, updatedAt: null }));
      }
    })();
    return () => {
      cancelled = true;
      controller.abort();
    };
  }, [client, key, connection.epoch]);

  useLiveTopics(['device'], {
    onChange: (e) =>
      setState((cur) => {
        if (!cur.data) return cur;
        const next = applyDeviceEvent(cur.data, e, accepts.current);
        return next === cur.data ? cur : { ...cur, data: next };
      }),
  });

  const shown: LiveState<ReadonlyMap<string, DeviceLite>> =
    connection.status === 'offline' && state.status === 'ready' ? { status: 'stale', data: state.data, error: null, updatedAt: state.updatedAt } : state;
  return { ...shown, loaded };
}
