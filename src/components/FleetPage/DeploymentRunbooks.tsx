// A deployment's runbooks: every runbook of the catalog that can be executed for it (its product,
// a version in the runbook's range), with where this deployment stands in each — its newest
// execution's state and progress — and the next step: resume the open one, or start one (the
// runbook's page opens with this deployment in its picker).
import React, { type ReactNode } from 'react';
import Link from '@docusaurus/Link';
import {
  executionSummaryPage,
  runbookListSchema,
  type ExecutionSummary,
} from '../../../data-api/src/contracts/executions.ts';
import { changePayloadOf } from '../../../data-api/src/contracts/change-events.ts';
import { runbookMisfit } from '../../../data-api/src/contracts/runbook.ts';
import type { Deployment } from '../../../data-api/src/contracts/registry.ts';
import { useLiveResource } from '../../data/useLive.ts';
import { frameStyles as s, StatusBadge, WidgetFrame } from '../../widgets/shared/WidgetFrame.tsx';
import styles from './styles.module.css';

const OPEN = new Set(['in_progress', 'blocked']);

export function DeploymentRunbooks({ deployment }: { deployment: Deployment }): ReactNode {
  const runbooks = useLiveResource(
    `/runbooks?kind=runbook&product_code=${encodeURIComponent(deployment.product_code)}`,
    runbookListSchema,
  );
  const executions = useLiveResource(
    `/runbook-executions?deployment_id=${encodeURIComponent(deployment.id)}&limit=100`,
    executionSummaryPage,
    {
      topics: ['execution'],
      refetchOn: (e) => changePayloadOf(e, 'execution.*')?.deployment_id === deployment.id,
      missingIsUnavailable: true,
    },
  );
  const fitting = (runbooks.data?.items ?? []).filter((r) => runbookMisfit(r, deployment) === null);
  // Newest first (the list's order), so the first of a runbook is where this deployment stands.
  const newest = new Map<string, ExecutionSummary>();
  for (const x of executions.data?.items ?? []) if (!newest.has(x.runbook.id)) newest.set(x.runbook.id, x);

  return (
    <WidgetFrame
      name="Runbooks"
      testId="deployment-runbooks"
      title={`Runbooks for ${deployment.product_code} ${deployment.product_version}`}
      state={runbooks}
      connection={runbooks.connection}
      empty={runbooks.status === 'ready' && fitting.length === 0}
      emptyText={
        deployment.state === 'retired'
          ? 'A retired deployment has no runbooks to execute.'
          : `No runbook of the catalog applies to ${deployment.product_code} ${deployment.product_version}.`
      }
    >
      <ul className={styles.runbooks}>
        {fitting.map((r) => {
          const x = newest.get(r.id);
          const open = x && OPEN.has(x.state);
          return (
            <li
              key={r.id}
              className={styles.runbook}
              data-testid={`deployment-runbook-${r.id}`}
              data-state={x?.state ?? 'none'}
            >
              <div>
                <Link to={r.url}>{r.title}</Link>
                {r.estimated_minutes !== null && <span className={s.muted}> · about {r.estimated_minutes} min</span>}
              </div>
              <div className={styles.runbookStatus}>
                {x ? (
                  <>
                    <StatusBadge status={x.state} />{' '}
                    <span className={s.muted}>
                      {x.progress.checked}/{x.progress.total}
                      {x.current_gate && open ? ` · at ${x.current_gate}` : ''}
                    </span>
                  </>
                ) : (
                  <span className={s.muted}>never executed here</span>
                )}{' '}
                {open ? (
                  <Link
                    className="button button--sm button--primary"
                    to={`${r.url}?execution=${encodeURIComponent(x.id)}`}
                    data-testid={`deployment-runbook-resume-${r.id}`}
                  >
                    Resume
                  </Link>
                ) : (
                  <Link
                    className="button button--sm button--secondary"
                    to={`${r.url}?deployment=${encodeURIComponent(deployment.id)}`}
                    data-testid={`deployment-runbook-start-${r.id}`}
                  >
                    {x ? 'Start again' : 'Start'}
                  </Link>
                )}
              </div>
            </li>
          );
        })}
      </ul>
    </WidgetFrame>
  );
}
