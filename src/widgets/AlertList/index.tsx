import React, { useEffect, useState, type ReactNode } from 'react';
import { alertPage, alertSchema, type Alert } from '../../../data-api/src/contracts/alerts.ts';
import { useLiveResource, useLiveRows } from '../../data/useLive.ts';
import { useDataClient } from '../../data/useResource.ts';
import { useNow } from '../shared/useNow.ts';
import { frameStyles as s, Pager, StatusBadge, WidgetFrame, scrollRegion } from '../shared/WidgetFrame.tsx';
import { canOperate, useWhoami } from '../../data/useWhoami.ts';
import { RelativeTime, TextWithTimes } from '../shared/Time.tsx';
import { CsvButton } from '../shared/CsvButton.tsx';

export interface AlertListProps {
  /** `open`, `acknowledged`, `resolved`, or a comma list (default `open,acknowledged`). */
  state?: string;
  severity?: 'critical' | 'warning' | 'info';
  /** `device:gw_x`, `site:site_x`, or a bare id (its prefix says the type). */
  subject?: string;
  /** Only the alerts of this rule (its id in notifications/rules.yaml, or device_down). */
  rule?: string;
  /** Only the alerts of this site. */
  site?: string;
  /** Also take `?rule=`, `?site=`, `?subject=` and `?alert=` (highlighted) from the page URL: what links in messages open. */
  fromUrl?: boolean;
  pageSize?: number;
  title?: ReactNode;
}

/** The filters a link carries (`/docs/dashboards/alerts?site=…`), read once in the browser. */
function useUrlFilters(enabled: boolean): { rule?: string; site?: string; subject?: string; alert?: string } {
  const [filters, setFilters] = useState<{ rule?: string; site?: string; subject?: string; alert?: string }>({});
  useEffect(() => {
    if (!enabled) return;
    const q = new URLSearchParams(window.location.search);
    const pick = (k: string) => {
      const v = q.get(k);
      return v && /^[A-Za-z0-9_:.-]{1,200}$/.test(v) ? v : undefined;
    };
    setFilters({ rule: pick('rule'), site: pick('site'), subject: pick('subject'), alert: pick('alert') });
  }, [enabled]);
  return filters;
}

const DELIVERY_MARK: Record<string, string> = { sent: '✓', failed: '✗', pending: '…', sending: '…' };

const PREFIX_TYPE: Array<[string, string]> = [
  ['gw_', 'device'],
  ['dev_', 'device'],
  ['site_', 'site'],
  ['dep_', 'deployment'],
  ['arun_', 'automation_run'],
  ['run_', 'execution'],
  ['cus_', 'customer'],
];

export function parseSubject(subject: string | undefined): { type?: string; id?: string } {
  if (!subject) return {};
  const i = subject.indexOf(':');
  if (i > 0) return { type: subject.slice(0, i), id: subject.slice(i + 1) };
  const t = PREFIX_TYPE.find(([p]) => subject.startsWith(p));
  return { type: t?.[1], id: subject };
}

/** Open and acknowledged alerts, live; acknowledge and resolve for operators (the API checks again). */
export function AlertList({
  state = 'open,acknowledged',
  severity,
  subject: subjectProp,
  rule: ruleProp,
  site: siteProp,
  fromUrl = false,
  pageSize = 25,
  title,
}: AlertListProps): ReactNode {
  const url = useUrlFilters(fromUrl);
  const subject = subjectProp ?? url.subject;
  const rule = ruleProp ?? url.rule;
  const site = siteProp ?? url.site;
  const client = useDataClient();
  const now = useNow();
  const who = useWhoami();
  const operator = canOperate(who.data?.role);
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const [busy, setBusy] = useState<string | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const subj = parseSubject(subject);
  const q = new URLSearchParams({ limit: String(pageSize), state });
  if (severity) q.set('severity', severity);
  if (subj.type) q.set('subject_type', subj.type);
  if (subj.id) q.set('subject_id', subj.id);
  if (rule) q.set('rule_id', rule);
  if (site) q.set('site_id', site);
  const cursor = cursors[cursors.length - 1];
  if (cursor) q.set('cursor', cursor);
  const res = useLiveResource(`/alerts?${q.toString()}`, alertPage, {
    topics: ['alert'],
    seed: (page) => ({ type: 'alert', rows: page.items.map((a) => ({ ...a, updated_at: null })) }),
    refetchOn: (e) => e.type.startsWith('alert.'),
    missingIsUnavailable: true,
  });
  const rows = useLiveRows<Alert & { id: string }>('alert', res.data?.items ?? null);
  const wanted = new Set(state.split(','));
  const shown = rows.filter((a) => wanted.has(a.state));

  const act = async (alert: Alert, action: 'acknowledge' | 'resolve') => {
    setBusy(`${alert.id}:${action}`);
    setFailure(null);
    try {
      const after = await client.send(alertSchema, 'POST', `/alerts/${encodeURIComponent(alert.id)}/${action}`, {});
      client.store.seed('alert', [{ ...after, updated_at: null }]);
    } catch (err) {
      setFailure(`${action} ${alert.id}: ${(err as Error).message}`);
    } finally {
      setBusy(null);
    }
  };

  return (
    <WidgetFrame
      name="AlertList"
      testId="alert-list"
      title={title ?? 'Alerts'}
      toolbar={
        <>
          {who.data && (
            <span className={s.muted} data-testid="alert-list-role">
              as {who.data.name} ({who.data.role})
            </span>
          )}
          <CsvButton path={`/alerts?${q.toString()}`} name="alerts" testId="alert-list" />
        </>
      }
      state={res}
      connection={res.connection}
      empty={res.status === 'ready' && shown.length === 0}
      emptyText={`No ${state.replace(',', ' or ')} alerts${severity ? ` of severity ${severity}` : ''}. `}
      unavailableText="AlertList: this data API does not serve alerts yet (GET /api/v1/alerts answered 404)."
      data={{ rows: shown.length, operator: operator ? 'yes' : 'no' }}
    >
      {failure && (
        <p className={s.error} role="alert">
          {failure}
        </p>
      )}
      <div className={s.tableWrap} {...scrollRegion('Alerts')}>
        <table className={s.table}>
          <thead>
            <tr>
              <th>Severity</th>
              <th>Alert</th>
              <th>State</th>
              <th className={s.optional}>Subject</th>
              <th>Opened</th>
              {operator && <th>Actions</th>}
            </tr>
          </thead>
          <tbody>
            {shown.map((a) => (
              <tr
                key={a.id}
                id={a.id}
                data-testid={`alert-row-${a.id}`}
                data-state={a.state}
                data-severity={a.severity}
                style={url.alert === a.id ? { outline: '2px solid var(--ifm-color-primary)' } : undefined}
              >
                <td>
                  <StatusBadge status={a.severity} />
                </td>
                <td>
                  <TextWithTimes text={a.title} now={now} />
                  {a.acked_by && <div className={s.muted}>acknowledged by {a.acked_by}</div>}
                  {a.deliveries && a.deliveries.length > 0 && (
                    <div
                      className={s.muted}
                      data-testid={`alert-deliveries-${a.id}`}
                      title="latest message per contact point (GET /api/v1/alerts/:id/notifications has every attempt)"
                    >
                      told:{' '}
                      {a.deliveries.map((d, i) => (
                        <span
                          key={d.contact_point}
                          data-contact-point={d.contact_point}
                          data-state={d.state}
                          data-status={d.status}
                        >
                          {i > 0 && ' · '}
                          {d.contact_point} {d.status === 'resolved' ? 'resolved ' : ''}
                          {DELIVERY_MARK[d.state]} {d.state}
                          {d.attempts > 1 ? ` (${d.attempts} attempts)` : ''}
                        </span>
                      ))}
                    </div>
                  )}
                </td>
                <td>
                  <StatusBadge status={a.state} testId={`alert-state-${a.id}`} />
                </td>
                <td className={s.optional}>
                  <code className={s.mono}>
                    {a.subject.type}:{a.subject.id}
                  </code>
                </td>
                <td>
                  <RelativeTime iso={a.opened_at} now={now} />
                </td>
                {operator && (
                  <td style={{ whiteSpace: 'nowrap' }}>
                    {a.state === 'open' && (
                      <button
                        type="button"
                        className={s.button}
                        disabled={!!busy}
                        onClick={() => act(a, 'acknowledge')}
                        data-testid={`alert-ack-${a.id}`}
                      >
                        Acknowledge
                      </button>
                    )}{' '}
                    {a.state !== 'resolved' && (
                      <button
                        type="button"
                        className={s.button}
                        disabled={!!busy}
                        onClick={() => act(a, 'resolve')}
                        data-testid={`alert-resolve-${a.id}`}
                      >
                        Resolve
                      </button>
                    )}
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {(cursors.length > 1 || res.data?.next_cursor) && (
        <Pager
          testId="alert-list"
          page={cursors.length - 1}
          hasPrev={cursors.length > 1}
          hasNext={!!res.data?.next_cursor}
          onPrev={() => setCursors((c) => c.slice(0, -1))}
          onNext={() => res.data?.next_cursor && setCursors((c) => [...c, res.data!.next_cursor!])}
        />
      )}
    </WidgetFrame>
  );
}

export default AlertList;
