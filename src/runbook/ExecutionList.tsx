import React, { useState, type ReactNode } from 'react';
import clsx from 'clsx';
import Link from '@docusaurus/Link';
import { changePayloadOf } from '../../data-api/src/contracts/change-events.ts';
import { executionSummaryPage } from '../../data-api/src/contracts/executions.ts';
import { useLiveResource } from '../data/useLive.ts';
import { FleetLink } from '../widgets/shared/FleetLink.tsx';
import { WidgetFrame } from '../widgets/shared/WidgetFrame.tsx';
import { Progress } from './ExecutionView.tsx';
import styles from './styles.module.css';

export interface ExecutionListProps {
  /** The deployment's executions (its page); omit for all the caller may see. */
  deploymentId?: string;
  runbookId?: string;
  siteId?: string;
  /** One state or a comma list: `in_progress,blocked` for open work. */
  state?: string;
  limit?: number;
  title?: ReactNode;
}

/**
 * Runbook executions with their state, progress and who started them, live (`execution.*`
 * events re-read the list). Embeddable in DeploymentBoard, dashboards and any MDX page:
 * `<ExecutionList deploymentId="dep_farm-north-1" />`.
 */
export function ExecutionList({
  deploymentId,
  runbookId,
  siteId,
  state,
  limit = 20,
  title = 'Runbook executions',
}: ExecutionListProps): ReactNode {
  const [cursor, setCursor] = useState<string | null>(null);
  const [history, setHistory] = useState<string[]>([]);
  const q = new URLSearchParams({ limit: String(limit) });
  if (deploymentId) q.set('deployment_id', deploymentId);
  if (runbookId) q.set('runbook_id', runbookId);
  if (siteId) q.set('site_id', siteId);
  if (state) q.set('state', state);
  if (cursor) q.set('cursor', cursor);
  const res = useLiveResource(`/runbook-executions?${q.toString()}`, executionSummaryPage, {
    topics: ['execution'],
    refetchOn: (e) => {
      const change = changePayloadOf(e, 'execution.*');
      return !!change && (!deploymentId || change.deployment_id === deploymentId);
    },
    missingIsUnavailable: true,
  });
  const items = res.data?.items ?? [];
  return (
    <WidgetFrame
      name="ExecutionList"
      testId="execution-list"
      title={title}
      state={res}
      connection={res.connection}
      empty={items.length === 0}
      emptyText={deploymentId ? `No runbook executions for ${deploymentId} yet.` : 'No runbook executions yet.'}
      data={{ count: items.length, ...(deploymentId ? { deployment: deploymentId } : {}) }}
    >
      <ul className={styles.execList}>
        {items.map((e) => (
          <li key={e.id} className={styles.execRow} data-testid={`execution-row-${e.id}`} data-state={e.state}>
            <div className={styles.execRowMain}>
              <Link to={`${e.runbook.url ?? '/runbooks'}?execution=${encodeURIComponent(e.id)}`}>
                {e.runbook.title}
              </Link>{' '}
              <span className={styles.muted}>v{e.runbook.version}</span>
              {!deploymentId && (
                <span className={styles.muted}>
                  {' '}
                  · <FleetLink kind="deployment" id={e.deployment_id} />
                </span>
              )}
            </div>
            <div className={styles.execRowMeta}>
              <span className={clsx(styles.badge, styles[`state_${e.state}`])} data-testid={`execution-state-${e.id}`}>
                {e.state.replace('_', ' ')}
              </span>
              <Progress checked={e.progress.checked} total={e.progress.total} />
              <span className={styles.muted}>
                {e.state === 'done' || e.state === 'abandoned'
                  ? `${e.state === 'done' ? 'finished' : 'abandoned'} by ${e.finished_by} · ${new Date(e.finished_at!).toLocaleString()}`
                  : `${e.current_gate ? `at ${e.current_gate} · ` : ''}started by ${e.started_by} · ${new Date(e.started_at).toLocaleString()}`}
              </span>
            </div>
          </li>
        ))}
      </ul>
      {(history.length > 0 || res.data?.next_cursor) && (
        <div className={styles.row}>
          <button
            type="button"
            className={styles.button}
            disabled={history.length === 0}
            onClick={() => {
              const prev = history[history.length - 1] ?? null;
              setHistory(history.slice(0, -1));
              setCursor(prev === '' ? null : prev);
            }}
          >
            ← Newer
          </button>
          <button
            type="button"
            className={styles.button}
            disabled={!res.data?.next_cursor}
            onClick={() => {
              setHistory([...history, cursor ?? '']);
              setCursor(res.data!.next_cursor);
            }}
          >
            Older →
          </button>
        </div>
      )}
    </WidgetFrame>
  );
}
