import React, { type ReactNode } from 'react';
import { fleetFirmwareSchema } from '../../../data-api/src/contracts/firmware.ts';
import { useLiveResource } from '../../data/useLive.ts';
import { useNow } from '../shared/useNow.ts';
import { frameStyles as s, StatusBadge, WidgetFrame, scrollRegion } from '../shared/WidgetFrame.tsx';
import { RelativeTime } from '../shared/Time.tsx';

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
  const data = res.data;
  const total = data?.total;

  return (
    <WidgetFrame
      name="FirmwareDrift"
      testId="firmware-drift"
      title={title ?? (product ? `${product}: versions, firmware and drift` : 'Firmware drift')}
      state={res}
      connection={res.connection}
      empty={!!total && total.devices === 0}
      emptyText="No devices in the registry for this selection."
      data={total ? { devices: total.devices, reported: total.reported, drift: total.drift } : {}}
    >
      {data && total && (
        <>
          <div className={s.grid}>
            <div className={s.stat} data-testid="firmware-drift-count" data-count={total.drift}>
              <div className={s.statValue} style={total.drift ? { color: 'var(--fleetbook-text-danger)' } : undefined}>
                {total.drift.toLocaleString()}
              </div>
              <div className={s.statLabel}>off their baseline</div>
            </div>
            <div className={s.stat}>
              <div className={s.statValue}>{total.reported.toLocaleString()}</div>
              <div className={s.statLabel}>reported a firmware</div>
            </div>
            <div className={s.stat}>
              <div className={s.statValue}>{total.devices.toLocaleString()}</div>
              <div className={s.statLabel}>devices</div>
            </div>
          </div>
          <div className={s.tableWrap} {...scrollRegion('Firmware versions')} style={{ marginTop: '0.75rem' }}>
            <table className={s.table}>
              <caption className={s.muted} style={{ captionSide: 'top', textAlign: 'left' }}>
                Devices by version and reported firmware
              </caption>
              <thead>
                <tr>
                  {!product && <th>product</th>}
                  <th>version</th>
                  <th>baseline</th>
                  <th>firmware reported</th>
                  <th>devices</th>
                </tr>
              </thead>
              <tbody>
                {data.groups.map((g) => (
                  <tr
                    key={`${g.product_code}/${g.product_version}/${g.firmware}`}
                    data-testid="firmware-drift-group"
                    data-version={g.product_version ?? ''}
                    data-firmware={g.firmware ?? ''}
                    data-devices={g.devices}
                    data-drift={g.drift}
                  >
                    {!product && <td className={s.mono}>{g.product_code}</td>}
                    <td className={s.mono}>{g.product_version ?? '—'}</td>
                    <td className={s.mono}>{g.baseline ?? '—'}</td>
                    <td>
                      <span className={s.mono}>{g.firmware ?? 'not reported'}</span>{' '}
                      {g.drift && (
                        <span className={`${s.badge} ${s.s_warning}`} data-testid="firmware-drift-badge">
                          <span className={s.dot} aria-hidden />
                          drift
                        </span>
                      )}
                    </td>
                    <td>{g.devices.toLocaleString()}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {data.drifting.length > 0 && (
            <div
              className={s.tableWrap}
              {...scrollRegion('Devices off their baseline')}
              style={{ marginTop: '0.75rem' }}
            >
              <table className={s.table}>
                <caption className={s.muted} style={{ captionSide: 'top', textAlign: 'left' }}>
                  Off their baseline
                  {total.drift > data.drifting.length ? ` (first ${data.drifting.length} of ${total.drift})` : ''}
                </caption>
                <thead>
                  <tr>
                    <th>device</th>
                    <th>runs</th>
                    <th>baseline</th>
                    <th>status</th>
                    <th className={s.optional}>last seen</th>
                  </tr>
                </thead>
                <tbody>
                  {data.drifting.map((d) => (
                    <tr key={d.id} data-testid={`firmware-drift-device-${d.id}`}>
                      <td>
                        {d.name ?? d.id}
                        <div className={`${s.muted} ${s.mono}`}>
                          {d.id} · {d.product_code} {d.product_version}
                        </div>
                      </td>
                      <td className={s.mono}>{d.firmware}</td>
                      <td className={s.mono}>{d.baseline}</td>
                      <td>
                        <StatusBadge status={d.status} />
                      </td>
                      <td className={s.optional}>
                        <RelativeTime iso={d.last_seen} now={now} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}
    </WidgetFrame>
  );
}

export default FirmwareDrift;
