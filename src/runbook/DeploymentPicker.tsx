import React, { useEffect, useState, type ReactNode } from 'react';
import clsx from 'clsx';
import type * as z from 'zod';
import type { ExecutionSummary } from '../../data-api/src/contracts/executions.ts';
import { deploymentSchema } from '../../data-api/src/contracts/registry.ts';
import { runbookMisfit } from '../../data-api/src/contracts/runbook.ts';
import { pageOf } from '../../data-api/src/contracts/pagination.ts';
import { useDataClient } from '../data/useResource.ts';
import { RelativeTime } from '../widgets/shared/Time.tsx';
import styles from './styles.module.css';

type DeploymentRow = z.infer<typeof deploymentSchema>;
/** The answer of GET /deployments (the same instance the route registers). */
const deploymentPage = pageOf(deploymentSchema, 'deployment');

/**
 * Pick the deployment an execution is for: a search over the registry (filtered to the runbook's
 * product). A deployment that already has an open execution of this runbook offers to resume it
 * (the person joins the colleague's execution and sees their ticks) before starting another one.
 */
export function DeploymentPicker({
  runbook,
  initialQuery = '',
  busy,
  openFor,
  onPick,
  onResume,
  onCancel,
}: {
  /** What decides which deployments it can be executed for (the API's own rule, runbookMisfit). */
  runbook: { id: string; product_code: string | null; product_versions: string | null };
  /** What the search box holds at first: a deployment's id when its page linked here. */
  initialQuery?: string;
  busy: boolean;
  /** The newest open (in progress or blocked) execution of this runbook for a deployment. */
  openFor(deploymentId: string): ExecutionSummary | undefined;
  onPick(id: string): void;
  onResume(executionId: string): void;
  onCancel(): void;
}): ReactNode {
  const client = useDataClient();
  const productCode = runbook.product_code;
  const [q, setQ] = useState(initialQuery);
  const [rows, setRows] = useState<DeploymentRow[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const controller = new AbortController();
    const timer = setTimeout(() => {
      const params = new URLSearchParams({ limit: '20' });
      if (q.trim()) params.set('q', q.trim());
      if (productCode) params.set('product_code', productCode);
      client
        .read(deploymentPage, `/deployments?${params.toString()}`, controller.signal)
        .then((r) => {
          // The ones the runbook can be executed for first; the others say why not (greyed out).
          const live = r.items.filter((d) => d.state !== 'retired');
          const fits = (d: DeploymentRow) => runbookMisfit(runbook, d) === null;
          setRows([...live.filter(fits), ...live.filter((d) => !fits(d))]);
          setError(null);
        })
        .catch((err: Error) => !controller.signal.aborted && setError(err.message));
    }, 200);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [client, q, productCode, runbook]);

  return (
    <div className={styles.picker} data-testid="runner-deployment-picker">
      <label className={styles.fieldLabel} htmlFor="runner-deployment-search">
        Deployment{productCode ? ` (${productCode})` : ''}
      </label>
      <div className={styles.row}>
        <input
          id="runner-deployment-search"
          className={styles.input}
          type="search"
          value={q}
          autoFocus
          placeholder="search id or name, e.g. farm-north"
          onChange={(e) => setQ(e.target.value)}
          data-testid="runner-deployment-search"
        />
        <button type="button" className={styles.button} onClick={onCancel}>
          Cancel
        </button>
      </div>
      {error && <p className={styles.error}>{error}</p>}
      {rows && rows.length === 0 && <p className={styles.muted}>No deployment matches.</p>}
      {rows && rows.length > 0 && (
        <ul className={styles.options}>
          {rows.map((d) => (
            <DeploymentOption
              key={d.id}
              deployment={d}
              runbook={runbook}
              open={openFor(d.id)}
              busy={busy}
              onPick={onPick}
              onResume={onResume}
            />
          ))}
        </ul>
      )}
    </div>
  );
}

/**
 * One deployment of the picker: a tap starts an execution for it; with an open execution of the
 * runbook, a tap resumes that one and Start another sits beside it; one the runbook is not for
 * (another product or version) is greyed out and says why.
 */
function DeploymentOption({
  deployment: d,
  runbook,
  open,
  busy,
  onPick,
  onResume,
}: {
  deployment: DeploymentRow;
  runbook: { id: string; product_code: string | null; product_versions: string | null };
  open: ExecutionSummary | undefined;
  busy: boolean;
  onPick(id: string): void;
  onResume(executionId: string): void;
}): ReactNode {
  const facts = (
    <span className={styles.muted}>
      {d.name ?? d.site_id} · {d.product_code} {d.product_version} · {d.state}
    </span>
  );
  if (runbookMisfit(runbook, d))
    return (
      <li>
        <button
          type="button"
          className={styles.option}
          disabled
          aria-describedby={`runner-misfit-${d.id}`}
          data-testid={`runner-deployment-${d.id}`}
          data-misfit="true"
        >
          <strong>{d.id}</strong>
          {facts}
          <span id={`runner-misfit-${d.id}`} data-testid={`runner-deployment-misfit-${d.id}`}>
            Not for this runbook: it runs {d.product_code} {d.product_version}, the runbook is for{' '}
            {runbook.product_code} {runbook.product_versions}.
          </span>
        </button>
      </li>
    );
  if (open)
    return (
      <li className={styles.openOption}>
        <button
          type="button"
          className={styles.option}
          onClick={() => onResume(open.id)}
          data-testid={`runner-deployment-${d.id}`}
          data-open-execution={open.id}
        >
          <strong>{d.id}</strong>
          {facts}
          <span data-testid={`runner-deployment-open-${d.id}`}>
            Open execution: {open.state === 'blocked' ? 'awaits sign-off' : 'in progress'}, {open.progress.checked}/
            {open.progress.total} ticked, started by {open.started_by} <RelativeTime iso={open.started_at} />.{' '}
            <strong>Resume it</strong>
          </span>
        </button>
        <button
          type="button"
          className={styles.button}
          disabled={busy}
          onClick={() => onPick(d.id)}
          data-testid={`runner-deployment-new-${d.id}`}
        >
          Start another
        </button>
      </li>
    );
  return (
    <li>
      <button
        type="button"
        className={clsx(styles.option)}
        disabled={busy}
        onClick={() => onPick(d.id)}
        data-testid={`runner-deployment-${d.id}`}
      >
        <strong>{d.id}</strong>
        {facts}
      </button>
    </li>
  );
}
