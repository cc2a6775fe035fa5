import React, { useMemo, type ReactNode } from 'react';
import { executionSummaryPage, type ExecutionSummary } from '../../../data-api/src/contracts/executions.ts';
import { DEPLOYMENT_STATES, deploymentPage, type Deployment } from '../../../data-api/src/contracts/registry.ts';
import { MAX_PAGES } from '../../data/poll.ts';
import { useLiveResource, useLiveRows } from '../../data/useLive.ts';
import { Board, boardStyles } from '../shared/Board.tsx';
import { FleetLink } from '../shared/FleetLink.tsx';
import { useSiteRead } from '../shared/useSiteRead.ts';
import { frameStyles as s, StatusBadge, WidgetFrame } from '../shared/WidgetFrame.tsx';
import { boardReads, DEPLOYMENTS_PER_PAGE, EXECUTIONS_PER_CARD } from './reads.ts';
import styles from './styles.module.css';

type State = (typeof DEPLOYMENT_STATES)[number];

export interface DeploymentBoardProps {
  site?: string;
  /** Product code, e.g. `lorawan-gw`. */
  product?: string;
  customer?: string;
  /** Columns to show (default: every state). */
  states?: State[];
  title?: ReactNode;
}

/** Deployments as cards in one column per state, live, with their runbook executions when the API has them. */
export function DeploymentBoard({ site, product, customer, states, title }: DeploymentBoardProps): ReactNode {
  const reads = boardReads({ site, product, customer });
  const res = useLiveResource(reads.deployments, deploymentPage, {
    topics: ['deployment'],
    seed: (page) => ({ type: 'deployment', rows: page.items }),
    refetchOn: (e) => e.type === 'deployment.created' || e.type === 'deployment.deleted',
    allPages: true,
  });
  const checked = useSiteRead('DeploymentBoard', site, res);
  // readAllPages stops after MAX_PAGES: a cursor left means there are more than the board shows.
  const more = res.status === 'ready' || res.status === 'stale' ? res.data.next_cursor !== null : false;
  const rows = useLiveRows<Deployment>('deployment', res.data?.items ?? null);
  const executions = useLiveResource(reads.executions, executionSummaryPage, {
    topics: ['execution'],
    refetchOn: (e) => e.type.startsWith('execution.'),
    missingIsUnavailable: true,
    allPages: true,
  });
  const execBy = useMemo(() => {
    const m = new Map<string, ExecutionSummary[]>();
    for (const x of executions.status === 'ready' ? (executions.data.items ?? []) : []) {
      if (!x.deployment_id) continue;
      m.set(x.deployment_id, [...(m.get(x.deployment_id) ?? []), x]);
    }
    return m;
  }, [executions.status, executions.data]);
  // By value: a page's `states={[…]}` is a new array on every render.
  const stateKey = (states?.length ? states : DEPLOYMENT_STATES).join(',');
  const columns = useMemo(() => stateKey.split(',') as State[], [stateKey]);
  const byState = useMemo(() => {
    const m = new Map<State, Deployment[]>(columns.map((c) => [c, []]));
    for (const d of rows) m.get(d.state)?.push(d);
    return m;
  }, [rows, columns]);

  return (
    <WidgetFrame
      name="DeploymentBoard"
      testId="deployment-board"
      title={title ?? 'Deployments by state'}
      state={checked.state}
      connection={res.connection}
      refused={checked.refused}
      empty={!checked.siteRefused && res.status === 'ready' && rows.length === 0}
      emptyText="No deployments for this selection."
      data={{
        ...Object.fromEntries(columns.map((c) => [`count-${c}`, byState.get(c)?.length ?? 0])),
        read: rows.length,
        more: more ? 'yes' : 'no',
      }}
    >
      {more && (
        <p className={s.note} role="status" data-testid="deployment-board-bound">
          Showing the first {rows.length} deployments of this selection: the board reads at most{' '}
          {MAX_PAGES * DEPLOYMENTS_PER_PAGE} (filter it by site, product or customer to see the rest).
        </p>
      )}
      <Board
        columns={columns}
        byColumn={byState}
        testId="deployment-column"
        card={(d) => (
          <article key={d.id} className={boardStyles.card} data-testid={`deployment-card-${d.id}`} data-state={d.state}>
            <div className={boardStyles.cardTitle}>
              <FleetLink kind="deployment" id={d.id}>
                {d.name ?? d.id}
              </FleetLink>
            </div>
            <div className={s.muted}>
              {d.product_code} {d.product_version}
              {!site && (
                <>
                  {' '}
                  · <FleetLink kind="site" id={d.site_id} />
                </>
              )}
            </div>
            {(d.started_date || d.planned_date) && (
              <div className={s.muted}>
                {d.started_date ? `started ${d.started_date}` : `planned ${d.planned_date}`}
              </div>
            )}
            {(execBy.get(d.id) ?? []).slice(0, EXECUTIONS_PER_CARD).map((x) => (
              <div
                key={x.id}
                className={styles.execution}
                data-testid={`deployment-execution-${x.id}`}
                data-state={x.state}
              >
                ▸ {x.runbook.url ? <a href={x.runbook.url}>{x.runbook.title}</a> : x.runbook.title}{' '}
                <StatusBadge status={x.state} />
                <span className={s.muted}>
                  {' '}
                  {x.progress.checked}/{x.progress.total}
                  {x.current_gate ? ` · gate ${x.current_gate}` : ''}
                </span>
              </div>
            ))}
          </article>
        )}
      />
    </WidgetFrame>
  );
}

export default DeploymentBoard;
