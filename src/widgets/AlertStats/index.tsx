import React, { type ReactNode } from 'react';
import { alertStatsSchema, type AlertStatsFigures } from '../../../data-api/src/contracts/alerts.ts';
import { useLiveResource } from '../../data/useLive.ts';
import { frameStyles as s, WidgetFrame, scrollRegion, titleText } from '../shared/WidgetFrame.tsx';
import { useSiteRead } from '../shared/useSiteRead.ts';
import { alertStatsPath, formatSeconds, type AlertStatsSelection, type AlertStatsWindow } from './stats.ts';

export interface AlertStatsProps {
  /** The alerts opened in the last `7d` (default), `30d` or `90d`. */
  window?: AlertStatsWindow;
  /** Only this severity (one row). */
  severity?: AlertStatsSelection['severity'];
  /** Only the alerts of this site (`site_…`). */
  site?: string;
  /** Only the alerts of this customer (`cus_…`). */
  customer?: string;
  title?: ReactNode;
}

const COLUMNS: Array<{ key: keyof AlertStatsFigures; label: string; seconds?: boolean; optional?: boolean }> = [
  { key: 'opened', label: 'opened' },
  { key: 'acknowledged', label: 'acknowledged' },
  { key: 'ack_median_s', label: 'to ack (median)', seconds: true },
  { key: 'ack_p90_s', label: 'to ack (p90)', seconds: true },
  { key: 'resolve_median_s', label: 'to resolve (median)', seconds: true, optional: true },
  { key: 'auto_resolved', label: 'auto-resolved' },
  { key: 'escalated', label: 'escalated' },
];

function Cells({ f }: { f: AlertStatsFigures }): ReactNode {
  return COLUMNS.map((c) => (
    <td key={c.key} className={c.optional ? s.optional : undefined} data-col={c.key}>
      {c.seconds ? formatSeconds(f[c.key]) : (f[c.key] ?? 0).toLocaleString()}
    </td>
  ));
}

/** How fast alerts are answered: per severity, opened, acknowledged, time to acknowledge, auto-resolved, escalated. */
export function AlertStats({ window = '7d', severity, site, customer, title }: AlertStatsProps): ReactNode {
  const path = alertStatsPath({ window, severity, site, customer }, Date.now());
  const res = useLiveResource(path, alertStatsSchema, {
    topics: ['alert'],
    // Coalesced by useLiveResource: a burst of alert events costs one re-read.
    refetchOn: (e) => e.type.startsWith('alert.'),
    missingIsUnavailable: true,
  });
  const checked = useSiteRead('AlertStats', site, res);
  const heading = title ?? `Alert response, last ${window}`;
  const name = titleText(title, `Alert response, last ${window}`);
  const total = res.data?.total;
  return (
    <WidgetFrame
      name="AlertStats"
      testId="alert-stats"
      title={heading}
      state={checked.state}
      connection={res.connection}
      refused={checked.refused}
      empty={!checked.siteRefused && res.status === 'ready' && total?.opened === 0}
      emptyText={`No alerts opened in the last ${window}${severity ? ` of severity ${severity}` : ''}.`}
      unavailableText="AlertStats: this data API does not serve alert figures yet (GET /api/v1/alerts/stats answered 404)."
      data={
        total
          ? {
              window,
              opened: total.opened,
              acknowledged: total.acknowledged,
              'auto-resolved': total.auto_resolved,
              escalated: total.escalated,
            }
          : { window }
      }
    >
      {res.data && (
        <div className={s.tableWrap} {...scrollRegion(name)}>
          <table className={s.table}>
            <caption className={s.muted} style={{ captionSide: 'top', textAlign: 'left' }}>
              Alerts opened in the last {window}, by severity
            </caption>
            <thead>
              <tr>
                <th scope="col">severity</th>
                {COLUMNS.map((c) => (
                  <th key={c.key} scope="col" className={c.optional ? s.optional : undefined}>
                    {c.label}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {res.data.by_severity.map((r) => (
                <tr key={r.severity} data-testid={`alert-stats-${r.severity}`} data-opened={r.opened}>
                  <th scope="row">{r.severity}</th>
                  <Cells f={r} />
                </tr>
              ))}
              {res.data.by_severity.length > 1 && (
                <tr data-testid="alert-stats-total" data-opened={res.data.total.opened}>
                  <th scope="row">all</th>
                  <Cells f={res.data.total} />
                </tr>
              )}
            </tbody>
          </table>
        </div>
      )}
    </WidgetFrame>
  );
}

export default AlertStats;
