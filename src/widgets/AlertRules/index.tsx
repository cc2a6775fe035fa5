import React, { type ReactNode } from 'react';
import { alertRuleList } from '../../../data-api/src/contracts/notifications.ts';
import { useLiveResource } from '../../data/useLive.ts';
import { frameStyles as s, StatusBadge, WidgetFrame, scrollRegion, titleText } from '../shared/WidgetFrame.tsx';

export interface AlertRulesProps {
  title?: ReactNode;
}

/**
 * Every rule of notifications/rules.yaml as the API loaded it, with its live firing and pending
 * counts (GET /alert-rules), re-read whenever an alert opens or resolves.
 */
export function AlertRules({ title }: AlertRulesProps): ReactNode {
  const res = useLiveResource('/alert-rules', alertRuleList, {
    topics: ['alert'],
    refetchOn: (e) => e.type.startsWith('alert.'),
    refreshMs: 30_000,
  });
  const data = res.data;
  const firing = data?.items.reduce((n, r) => n + r.firing, 0) ?? 0;
  return (
    <WidgetFrame
      name="AlertRules"
      testId="alert-rules"
      title={title ?? 'Alert rules'}
      state={res}
      connection={res.connection}
      empty={!!data && data.items.length === 0}
      emptyText={
        data && !data.configured
          ? 'This API runs without notifications/ (FLEETBOOK_NOTIFICATIONS_DIR): no rules are loaded.'
          : 'No rules.'
      }
      data={data ? { rules: data.items.length, firing } : {}}
    >
      {data && data.items.length > 0 && (
        <div className={s.tableWrap} {...scrollRegion(titleText(title, 'Alert rules'))}>
          <table className={s.table}>
            <thead>
              <tr>
                <th>rule</th>
                <th>severity</th>
                <th>condition</th>
                <th>firing</th>
                <th className={s.optional}>runbook</th>
              </tr>
            </thead>
            <tbody>
              {data.items.map((r) => (
                <tr key={r.id} id={`rule-${r.id}`} data-testid={`alert-rule-${r.id}`} data-firing={r.firing}>
                  <td>
                    <code className={s.mono}>{r.id}</code>
                    <div className={s.muted}>{r.summary}</div>
                  </td>
                  <td>
                    <StatusBadge status={r.severity} />
                  </td>
                  <td className={s.mono}>{r.condition}</td>
                  <td>
                    <a
                      href={`/docs/dashboards/alerts?rule=${encodeURIComponent(r.id)}`}
                      data-testid={`alert-rule-firing-${r.id}`}
                    >
                      {r.firing}
                    </a>
                    {r.pending > 0 && <div className={s.muted}>{r.pending} pending</div>}
                  </td>
                  <td className={s.optional}>{r.runbook_url ? <a href={r.runbook_url}>{r.runbook}</a> : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </WidgetFrame>
  );
}

export default AlertRules;
