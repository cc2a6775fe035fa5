import React, { type ReactNode } from 'react';
import type { FirmwareGroup } from '../../../data-api/src/contracts/firmware.ts';
import { frameStyles as s, scrollRegion } from '../shared/WidgetFrame.tsx';

export interface VersionGroupsProps {
  groups: FirmwareGroup[];
  /** Set when the widget shows one product: the product column is left out. */
  product?: string;
  /** The widget's title: the region is named after it. */
  heading: string;
}

/** Devices by product version and reported firmware, a drift badge where the firmware is not the baseline. */
export function VersionGroups({ groups, product, heading }: VersionGroupsProps): ReactNode {
  return (
    <div className={s.tableWrap} {...scrollRegion(`${heading}: firmware versions`)} style={{ marginTop: '0.75rem' }}>
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
          {groups.map((g) => (
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
  );
}
