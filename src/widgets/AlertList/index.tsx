import React, { useState, type ReactNode } from 'react';
import type { Alert } from '../../../data-api/src/alerts/schemas.ts';
import { useLiveResource, useLiveRows } from '../../data/useLive';
import { useDataClient } from '../../data/useResource';
import { shortDateTime, timeAgo } from '../shared/format';
import { useNow } from '../shared/useNow';
import { frameStyles as s, Pager, StatusBadge, WidgetFrame } from '../shared/WidgetFrame';
import { canOperate, useWhoami } from './useWhoami';

export interface AlertListProps {
  /** `open`, `acknowledged`, `resolved`, or a comma list (default `open,acknowledged`). */
  state?: string;
  severity?: 'critical' | 'warning' | 'info';
  /** `device:gw_x`, `site:site_x`, or a bare id (its prefix says the type). */
  subject?: string;
  pageSize?: number;
  title?: ReactNode;
}

const PREFIX_TYPE: Array<[string, string]> = [['gw_', 'device'], ['dev_', 'device'], ['site_', 'site'], ['dep_', 'deployment'], ['arun_', 'automation_run'], ['run_', 'execution'], ['cus_', 'customer']];

export function parseSubject(subject: string | undefined): { type?: string; id?: string } {
  if (!subject) return {};
  const i = subject.indexOf(':');
  if (i > 0) return { type: subject.slice(0, i), id: subject.slice(i + 1) };
  const t = PREFIX_TYPE.find(([p]) => subject.startsWith(p));
  return { type: t?.[1], id: subject };
}

/** Open and acknowledged alerts, live; acknowledge and resolve for operators (the API checks again). */
export function AlertList({ state = 'open,acknowledged', severity, subject, pageSize = 25, title }: AlertListProps): ReactNode {
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
  const cursor = cursors[cursors.length - 1];
  if (cursor) q.set('cursor', cursor);
  const res = useLiveResource<{ items: Alert[]; next_cursor: string | null }>(`/alerts?${q.toString()}`, {
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
      const after = await client.request<Alert>('POST', `/alerts/${encodeURIComponent(alert.id)}/${action}`, {});
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
      toolbar={who.data && <span className={s.muted} data-testid="alert-list-role">as {who.data.name} ({who.data.role})</span>}
      state={res}
      connection={res.connection}
      empty={res.status === 'ready' && shown.length === 0}
      emptyText={`No ${state.replace(',', ' or ')} alerts${severity ? ` of severity ${severity}` : ''}. `}
      unavailableText="AlertList: this data API does not serve alerts yet (GET /api/v1/alerts answered 404)."
      data={{ rows: shown.length, operator: operator ? 'yes' : 'no' }}
    >
      {failure && <p className={s.error} role="alert">{failure}</p>}
      <div className={s.tableWrap}>
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
              <tr key={a.id} data-testid={`alert-row-${a.id}`} data-state={a.state} data-severity={a.severity}>
                <td><StatusBadge status={a.severity} /></td>
                <td>
                  {a.title}
                  {a.acked_by && <div className={s.muted}>acknowledged by {a.acked_by}</div>}
                </td>
                <td><StatusBadge status={a.state} testId={`alert-state-${a.id}`} /></td>
                <td className={s.optional}><code className={s.mono}>{a.subject.type}:{a.subject.id}</code></td>
                <td title={shortDateTime(a.opened_at)}>{timeAgo(a.opened_at, now)}</td>
                {operator && (
                  <td style={{ whiteSpace: 'nowrap' }}>
                    {a.state === 'open' && (
                      <button type="button" className={s.button} disabled={!!busy} onClick={() => act(a, 'acknowledge')} data-testid={`alert-ack-${a.id}`}>
                        Acknowledge
                      </button>
                    )}{' '}
                    {a.state !== 'resolved' && (
                      <button type="button" className={s.button} disabled={!!busy} onClick={() => act(a, 'resolve')} data-testid={`alert-resolve-${a.id}`}>
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
