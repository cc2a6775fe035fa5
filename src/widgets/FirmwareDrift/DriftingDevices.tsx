import React, { type ReactNode } from 'react';
import type { DriftingDevice } from '../../../data-api/src/contracts/firmware.ts';
import { frameStyles as s, StatusBadge, scrollRegion } from '../shared/WidgetFrame.tsx';
import { RelativeTime } from '../shared/Time.tsx';

export interface DriftingDevicesProps {
  drifting: DriftingDevice[];
  /** How many drift in all (the list may be the first few). */
  driftTotal: number;
  now: number;
  /** The widget's title: the region is named after it. */
  heading: string;
}

/** The devices off their baseline: what they run against what they should, status, last seen. */
export function DriftingDevices({ drifting, driftTotal, now, heading }: DriftingDevicesProps): ReactNode {
  return (
    <div
      className={s.tableWrap}
      {...scrollRegion(`${heading}: devices off their baseline`)}
      style={{ marginTop: '0.75rem' }}
    >
      <table className={s.table}>
        <caption className={s.muted} style={{ captionSide: 'top', textAlign: 'left' }}>
          Off their baseline
          {driftTotal > drifting.length ? ` (first ${drifting.length} of ${driftTotal})` : ''}
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
          {drifting.map((d) => (
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
  );
}
