import React, { type ReactNode } from 'react';
import type { FleetFirmware } from '../../../data-api/src/contracts/firmware.ts';
import { frameStyles as s } from '../shared/WidgetFrame.tsx';

/** The three counts over every selected device: off baseline (red when any), reported a firmware, devices. */
export function DriftCounts({ total }: { total: FleetFirmware['total'] }): ReactNode {
  return (
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
  );
}
