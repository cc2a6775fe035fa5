import React, { useState, type ReactNode } from 'react';
import { alertPage } from '../../../data-api/src/contracts/alerts.ts';
import { changePayloadOf } from '../../../data-api/src/contracts/change-events.ts';
import type { Device } from '../../../data-api/src/contracts/registry.ts';
import { useLiveResource, useLiveTopics } from '../../data/useLive.ts';
import { refusalText } from '../shared/refusal.ts';
import { useDevice } from '../shared/useDevice.tsx';
import { firmwareOf } from '../DeviceTable/index.tsx';
import { useNow } from '../shared/useNow.ts';
import { frameStyles as s, StatusBadge, WidgetFrame, scrollRegion } from '../shared/WidgetFrame.tsx';
import { RelativeTime, TextWithTimes } from '../shared/Time.tsx';
import { stateDrift } from '../../../data-api/src/contracts/device-state.ts';

export interface DeviceHealthProps {
  /** Device id, e.g. `gw_farm-north-1-001`. */
  device: string;
  /** Metrics to show first (default: every metric the device reports). */
  metrics?: string[];
}

/** One device: status, last seen, firmware, its latest metrics (live) and recent alerts. */
export function DeviceHealth({ device, metrics }: DeviceHealthProps): ReactNode {
  const now = useNow(10_000);
  const topics = [`device:${device}`];
  const { res, row } = useDevice(device);
  const alerts = useLiveResource(
    `/alerts?subject_type=device&subject_id=${encodeURIComponent(device)}&limit=5`,
    alertPage,
    {
      topics: [`alert`],
      refetchOn: (e) => changePayloadOf(e, 'alert.*')?.alert.subject.id === device,
      missingIsUnavailable: true,
    },
  );
  const [live, setLive] = useState<{ ts: number; metrics: Record<string, number> } | null>(null);
  useLiveTopics(topics, {
    onTelemetry: (sample) => {
      if (sample.device_id === device)
        setLive((cur) => ({ ts: sample.ts, metrics: { ...(cur?.metrics ?? {}), ...sample.metrics } }));
    },
  });

  const observed = (row?.observed_state ?? {}) as { metrics?: Record<string, number>; metrics_at?: string };
  const values: Record<string, number> = { ...(observed.metrics ?? {}), ...(live?.metrics ?? {}) };
  const names = metrics?.length ? metrics : Object.keys(values).sort();
  const metricsAt = live ? new Date(live.ts * 1000).toISOString() : (observed.metrics_at ?? null);

  return (
    <WidgetFrame
      name="DeviceHealth"
      testId="device-health"
      title={row ? (row.name ?? row.id) : device}
      state={res}
      connection={res.connection}
      refused={{ lead: `DeviceHealth for ${device}`, byId: true }}
      data={{ device, status: row?.status ?? '' }}
    >
      {row && (
        <>
          <div className={s.grid}>
            <div className={s.stat}>
              <div className={s.statLabel}>status</div>
              <div className={s.statValue}>
                <StatusBadge status={row.status} testId="device-health-status" />
              </div>
            </div>
            <div className={s.stat}>
              <div className={s.statLabel}>last seen</div>
              <div className={s.statValue}>
                <RelativeTime iso={row.last_seen} now={now} />
              </div>
            </div>
            <div className={s.stat}>
              <div className={s.statLabel}>firmware</div>
              <div className={s.statValue}>{firmwareOf(row)}</div>
            </div>
            <div className={s.stat}>
              <div className={s.statLabel}>product</div>
              <div className={s.statValue} style={{ fontSize: '1rem' }}>
                {row.product_code} {row.product_version ?? ''}
              </div>
            </div>
          </div>
          <h4 style={{ margin: '0.75rem 0 0.25rem' }}>
            Metrics{' '}
            {metricsAt && (
              <small className={s.muted}>
                · <RelativeTime iso={metricsAt} now={now} />
              </small>
            )}
          </h4>
          {names.length === 0 ? (
            <p className={s.note}>No telemetry from this device yet.</p>
          ) : (
            <div className={s.grid} data-testid="device-health-metrics">
              {names.map((m) => (
                <div key={m} className={s.stat} data-testid={`device-health-metric-${m}`}>
                  <div className={s.statLabel}>{m}</div>
                  <div className={s.statValue}>{values[m] === undefined ? '—' : Number(values[m]!.toFixed(2))}</div>
                </div>
              ))}
            </div>
          )}
          <DesiredVsReported device={row} now={now} />
          <h4 style={{ margin: '0.75rem 0 0.25rem' }}>Recent alerts</h4>
          {alerts.status === 'unavailable' || alerts.status === 'error' ? (
            <p className={s.note}>{refusalText({ lead: 'Recent alerts' }, alerts.error)}</p>
          ) : alerts.data && alerts.data.items.length > 0 ? (
            <ul>
              {alerts.data.items.map((a) => (
                <li key={a.id}>
                  <StatusBadge status={a.state} /> <TextWithTimes text={a.title} now={now} />{' '}
                  <span className={s.muted}>
                    · <RelativeTime iso={a.opened_at} now={now} />
                  </span>
                </li>
              ))}
            </ul>
          ) : (
            <p className={s.note}>{alerts.status === 'loading' ? 'Loading…' : 'No recent alerts.'}</p>
          )}
        </>
      )}
    </WidgetFrame>
  );
}

const shown = (v: unknown) => (v === undefined ? '—' : typeof v === 'string' ? v : JSON.stringify(v));
const DRIFT_TEXT = { same: 'in step', differs: 'drift', missing: 'not reported', unmanaged: 'not managed' } as const;

/** Desired (the registry) beside reported (the device's retained state), and where they differ. */
function DesiredVsReported({ device, now }: { device: Device; now: number }): ReactNode {
  const { rows, drifting, reportedAt } = stateDrift(device.desired_state, device.observed_state);
  return (
    <>
      <h4 style={{ margin: '0.75rem 0 0.25rem' }}>
        Desired vs reported state{' '}
        <small className={s.muted}>
          · {rows.length === 0 ? 'none set' : drifting === 0 ? 'in step' : `${drifting} drifting`}
          {reportedAt && (
            <>
              {' '}
              · reported <RelativeTime iso={reportedAt} now={now} />
            </>
          )}
        </small>
      </h4>
      {rows.length === 0 ? (
        <p className={s.note}>No desired state is set for this device, and it has reported none.</p>
      ) : (
        <div className={s.tableWrap} {...scrollRegion(`Desired and reported state of ${device.name ?? device.id}`)}>
          <table className={s.table} data-testid="device-state" data-drifting={drifting}>
            <thead>
              <tr>
                <th>key</th>
                <th>desired</th>
                <th>reported</th>
                <th>drift</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.key} data-testid={`device-state-${r.key}`} data-drift={r.drift}>
                  <td>
                    <code>{r.key}</code>
                  </td>
                  <td>{shown(r.desired)}</td>
                  <td>{shown(r.reported)}</td>
                  <td>
                    {r.drift === 'same' || r.drift === 'unmanaged' ? (
                      DRIFT_TEXT[r.drift]
                    ) : (
                      <strong>{DRIFT_TEXT[r.drift]}</strong>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

export default DeviceHealth;
