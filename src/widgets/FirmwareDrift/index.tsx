import React, { type ReactNode } from 'react';
import { fleetFirmwareSchema } from '../../../data-api/src/contracts/firmware.ts';
import { useLiveResource } from '../../data/useLive.ts';
import { useNow } from '../shared/useNow.ts';
import { WidgetFrame, titleText } from '../shared/WidgetFrame.tsx';
import { useSiteRead } from '../shared/useSiteRead.ts';
import { DriftCounts } from './DriftCounts.tsx';
import { DriftingDevices } from './DriftingDevices.tsx';
import { VersionGroups } from './VersionGroups.tsx';

export interface FirmwareDriftProps {
  /** Product code, e.g. `pump-ctl` (default: every product). */
  product?: string;
  site?: string;
  customer?: string;
  /** Drifting devices to list (the counts cover every device). */
  limit?: number;
  title?: ReactNode;
}

/**
 * Where a product runs, by version and reported firmware, and the devices whose firmware differs
 * from their version's baseline in the catalog (GET /fleet/firmware).
 */
export function FirmwareDrift({ product, site, customer, limit = 10, title }: FirmwareDriftProps): ReactNode {
  const now = useNow(30_000);
  const q = new URLSearchParams({ limit: String(limit) });
  if (product) q.set('product_code', product);
  if (site) q.set('site_id', site);
  if (customer) q.set('customer_id', customer);
  // A heartbeat's fw moves the counts without a change event: re-read on device events and every minute.
  const res = useLiveResource(`/fleet/firmware?${q.toString()}`, fleetFirmwareSchema, {
    topics: ['device'],
    refetchOn: (e) => e.type.startsWith('device.'),
    refreshMs: 60_000,
  });
  const checked = useSiteRead('FirmwareDrift', site, res);
  const data = res.data;
  const total = data?.total;

  const heading = title ?? (product ? `${product}: versions, firmware and drift` : 'Firmware drift');

  // The tables' regions are named after the widget's title.
  const regionName = titleText(heading, 'Firmware drift');

  return (
    <WidgetFrame
      name="FirmwareDrift"
      testId="firmware-drift"
      title={heading}
      state={checked.state}
      connection={res.connection}
      refused={checked.refused}
      empty={!checked.siteRefused && !!total && total.devices === 0}
      emptyText="No devices in the registry for this selection."
      data={total ? { devices: total.devices, reported: total.reported, drift: total.drift } : {}}
    >
      {data && total && (
        <>
          <DriftCounts total={total} />
          <VersionGroups groups={data.groups} product={product} heading={regionName} />
          {data.drifting.length > 0 && (
            <DriftingDevices drifting={data.drifting} driftTotal={total.drift} now={now} heading={regionName} />
          )}
        </>
      )}
    </WidgetFrame>
  );
}

export default FirmwareDrift;
