// One device's registry row, live: read once (`GET /devices/:id`), then kept current by the
// device's change events through the entity store. A page that shows several widgets of one
// device (the device page: its facts, health, commands and charts) reads it once for all of them
// with <DeviceRead>; a widget placed on its own in MDX reads it itself.
import React, { createContext, useContext, type ReactNode } from 'react';
import { deviceSchema, type Device } from '../../../data-api/src/contracts/registry.ts';
import { useLiveResource, useLiveRows } from '../../data/useLive.ts';

function useDeviceResource(id: string | null) {
  const res = useLiveResource(id ? `/devices/${encodeURIComponent(id)}` : null, deviceSchema, {
    topics: id ? [`device:${id}`] : undefined,
    seed: (d) => ({ type: 'device', rows: [d] }),
    missingIsUnavailable: true,
  });
  const [row] = useLiveRows<Device>('device', res.data ? [res.data] : null);
  return { res, row: row as Device | undefined };
}

export type DeviceResource = ReturnType<typeof useDeviceResource>;

const Shared = createContext<{ id: string; device: DeviceResource } | null>(null);

/** Reads device `id` once for every widget of that device below it. */
export function DeviceRead({ id, children }: { id: string; children: ReactNode }): ReactNode {
  const device = useDeviceResource(id);
  return <Shared.Provider value={{ id, device }}>{children}</Shared.Provider>;
}

/** Device `id`: the page's shared read when there is one for it, else a read of its own. */
export function useDevice(id: string): DeviceResource {
  const shared = useContext(Shared);
  const mine = useDeviceResource(shared?.id === id ? null : id);
  return shared?.id === id ? shared.device : mine;
}
