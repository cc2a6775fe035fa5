import React, { useEffect, useState, type ReactNode } from 'react';
import { alertPage, alertSchema, type Alert } from '../../../data-api/src/contracts/alerts.ts';
import { useLiveResource, useLiveRows } from '../../data/useLive.ts';
import { useDataClient } from '../../data/useResource.ts';
import { useNow } from '../shared/useNow.ts';
import { frameStyles as s, Pager, WidgetFrame, scrollRegion, titleText } from '../shared/WidgetFrame.tsx';
import { canOperate, useWhoami } from '../../data/useWhoami.ts';
import { CsvButton } from '../shared/CsvButton.tsx';
import { useSiteRead } from '../shared/useSiteRead.ts';
import { AlertRow, type AlertAction } from './AlertRow.tsx';
import own from './styles.module.css';

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

/** The API query for these filters and page (also what the CSV button downloads). */
function alertQuery(
  f: { state: string; severity?: string; subject?: string; rule?: string; site?: string; pageSize: number },
  cursor: string | undefined,
): URLSearchParams {
  const subj = parseSubject(f.subject);
  const q = new URLSearchParams({ limit: String(f.pageSize), state: f.state });
  if (f.severity) q.set('severity', f.severity);
  if (subj.type) q.set('subject_type', subj.type);
  if (subj.id) q.set('subject_id', subj.id);
  if (f.rule) q.set('rule_id', f.rule);
  if (f.site) q.set('site_id', f.site);
  if (cursor) q.set('cursor', cursor);
  return q;
}

/** Acknowledge / resolve: one at a time; the answer goes into the live store, a failure is shown above the table. */
function useAlertActions(): {
  busy: string | null;
  failure: string | null;
  act: (alert: Alert, action: AlertAction) => Promise<void>;
} {
  const client = useDataClient();
  const [busy, setBusy] = useState<string | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const act = async (alert: Alert, action: AlertAction) => {
    setBusy(`${alert.id}:${action}`);
    setFailure(null);
    try {
      const after = await client.send(alertSchema, 'POST', `/alerts/${encodeURIComponent(alert.id)}/${action}`, {});
      client.store.seed('alert', [after]);
    } catch (err) {
      setFailure(`${action} ${alert.id}: ${(err as Error).message}`);
    } finally {
      setBusy(null);
    }
  };
  return { busy, failure, act };
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
  const now = useNow();
  const who = useWhoami();
  const operator = canOperate(who.data?.role);
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const { busy, failure, act } = useAlertActions();
  const q = alertQuery({ state, severity, subject, rule, site, pageSize }, cursors[cursors.length - 1]);
  const res = useLiveResource(`/alerts?${q.toString()}`, alertPage, {
    topics: ['alert'],
    seed: (page) => ({ type: 'alert', rows: page.items }),
    refetchOn: (e) => e.type.startsWith('alert.'),
    missingIsUnavailable: true,
  });
  const checked = useSiteRead('AlertList', site, res);
  const rows = useLiveRows<Alert & { id: string }>('alert', res.data?.items ?? null);
  const wanted = new Set(state.split(','));
  const shown = rows.filter((a) => wanted.has(a.state));
  const name = titleText(title, 'Alerts');

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
      state={checked.state}
      connection={res.connection}
      refused={checked.refused}
      empty={!checked.siteRefused && res.status === 'ready' && shown.length === 0}
      emptyText={`No ${state.replace(',', ' or ')} alerts${severity ? ` of severity ${severity}` : ''}. `}
      unavailableText="AlertList: this data API does not serve alerts yet (GET /api/v1/alerts answered 404)."
      data={{ rows: shown.length, operator: operator ? 'yes' : 'no' }}
    >
      {failure && (
        <p className={s.error} role="alert">
          {failure}
        </p>
      )}
      <div className={`${s.tableWrap} ${own.wrap}`} {...scrollRegion(name)}>
        <table className={`${s.table} ${own.table}`}>
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
              <AlertRow
                key={a.id}
                alert={a}
                now={now}
                highlighted={url.alert === a.id}
                operator={operator}
                busy={!!busy}
                onAct={act}
              />
            ))}
          </tbody>
        </table>
      </div>
      {(cursors.length > 1 || res.data?.next_cursor) && (
        <Pager
          testId="alert-list"
          name={name}
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
