import React, { useCallback, useEffect, useMemo, useState, type ReactNode } from 'react';
import clsx from 'clsx';
import useIsBrowser from '@docusaurus/useIsBrowser';
import { useHistory, useLocation } from '@docusaurus/router';
import { changePayloadOf } from '../../data-api/src/contracts/change-events.ts';
import { executionSchema, executionSummaryPage, type Execution } from '../../data-api/src/contracts/executions.ts';
import { useConnection, useLiveResource } from '../data/useLive.ts';
import { useDataClient } from '../data/useResource.ts';
import { idSchema } from '../../data-api/src/contracts/ids.ts';
import { DeploymentPicker } from './DeploymentPicker.tsx';
import { ExecutionView } from './ExecutionView.tsx';
import { useExecution, useQueue, useToken, useWhoami } from './hooks.ts';
import { TutorialStepProgress } from './tutorial.tsx';
import type { RunbookProp } from './runbook-prop.ts';
import styles from './styles.module.css';
import { RelativeTime } from '../widgets/shared/Time.tsx';

const LIVE_CLASS = 'fleetbook-runner-live';

/** `?execution=run_…` in the URL: the execution this page shows (shareable, survives a reload). */
function useExecutionParam(): [string | null, (id: string | null) => void] {
  const location = useLocation();
  const history = useHistory();
  const id = new URLSearchParams(location.search).get('execution');
  const set = useCallback(
    (next: string | null) => {
      const q = new URLSearchParams(location.search);
      if (next) q.set('execution', next);
      else q.delete('execution');
      const search = q.toString();
      history.push({ pathname: location.pathname, search: search ? `?${search}` : '', hash: location.hash });
    },
    [history, location.hash, location.pathname, location.search],
  );
  return [id && /^run_[A-Za-z0-9._-]{1,64}$/.test(id) ? id : null, set];
}

/** `?deployment=dep_…`: the deployment to start an execution for, when the id is well formed. */
function deploymentParam(search: string): string | null {
  const id = new URLSearchParams(search).get('deployment');
  return id && idSchema('deployment').safeParse(id).success ? id : null;
}

/**
 * The live checklist of a runbook page: start an execution for a deployment, or resume one;
 * ticks, values, notes and evidence are saved at once (through the offline queue) and others'
 * changes arrive over the page's SSE connection.
 */
export function RunbookRunner({ runbook }: { runbook: RunbookProp }): ReactNode {
  const isBrowser = useIsBrowser();
  if (!isBrowser) {
    return (
      <section
        className={styles.runner}
        data-testid="runbook-runner"
        data-state="placeholder"
        data-runbook={runbook.id}
      >
        <p className={styles.muted}>
          RunbookRunner: the live checklist loads in the browser. The printable checklist is below.
        </p>
      </section>
    );
  }
  return <LiveRunner runbook={runbook} />;
}

function LiveRunner({ runbook }: { runbook: RunbookProp }): ReactNode {
  const [executionId, setExecutionId] = useExecutionParam();
  const [token, setToken] = useToken();
  const { whoami, error: whoError } = useWhoami(token);
  const { queue, snapshot } = useQueue();
  const state = useExecution(executionId, queue);
  const connection = useConnection();
  const live = !!executionId && !!state.execution;

  // While an execution is shown, its live checklist replaces the printable one on screen.
  useEffect(() => {
    document.documentElement.classList.toggle(LIVE_CLASS, live);
    return () => document.documentElement.classList.remove(LIVE_CLASS);
  }, [live]);

  const started = useCallback(
    (e: Execution) => {
      state.set(e);
      setExecutionId(e.id);
    },
    [setExecutionId, state],
  );

  return (
    <section
      className={styles.runner}
      data-testid="runbook-runner"
      data-state={executionId ? state.status : 'idle'}
      data-runbook={runbook.id}
      data-live={connection.status}
      aria-label="Execute this runbook"
    >
      <header className={styles.runnerHeader}>
        <h2 className={styles.runnerTitle}>{runbook.kind === 'tutorial' ? 'Your progress' : 'Execute this runbook'}</h2>
        <Identity
          token={token}
          setToken={setToken}
          name={whoami?.name ?? null}
          role={whoami?.role ?? null}
          lead={whoami?.lead ?? false}
          error={whoError}
        />
      </header>

      {runbook.kind === 'tutorial' && runbook.track && runbook.step ? (
        <TutorialStepProgress track={runbook.track} step={runbook.step} hasToken={!!token} />
      ) : null}

      {executionId ? (
        state.execution ? (
          <ExecutionView
            execution={state.execution}
            runbook={runbook}
            queue={queue}
            snapshot={snapshot}
            refusals={state.refusals}
            dismiss={state.dismiss}
            who={whoami}
            canWrite={!!token}
            onClose={() => setExecutionId(null)}
            loadError={state.error}
            onItem={state.applyItem}
          />
        ) : state.status === 'error' ? (
          <div className={styles.problem} role="alert" data-testid="runner-load-error">
            Could not load execution {executionId}: {state.error}{' '}
            <button type="button" className={styles.linkButton} onClick={() => setExecutionId(null)}>
              Back
            </button>
          </div>
        ) : (
          <p className={styles.muted}>Loading execution {executionId}…</p>
        )
      ) : (
        <StartPanel runbook={runbook} canWrite={!!token} onStarted={started} onOpen={setExecutionId} />
      )}
    </section>
  );
}

function Identity({
  token,
  setToken,
  name,
  role,
  lead,
  error,
}: {
  token: string | null;
  setToken(t: string | null): void;
  name: string | null;
  role: string | null;
  lead: boolean;
  error: string | null;
}): ReactNode {
  const [editing, setEditing] = useState(false);
  const [value, setValue] = useState('');
  if (!token || editing) {
    return (
      <form
        className={styles.tokenForm}
        onSubmit={(ev) => {
          ev.preventDefault();
          if (!value.trim()) return;
          setToken(value.trim());
          setValue('');
          setEditing(false);
        }}
      >
        <label className={styles.muted} htmlFor="runner-token">
          To write, paste your API token:
        </label>
        <input
          id="runner-token"
          className={styles.input}
          type="password"
          autoComplete="off"
          value={value}
          onChange={(e) => setValue(e.target.value)}
          placeholder="fbk_…"
          data-testid="runner-token-input"
        />
        <button type="submit" className={styles.button} data-testid="runner-token-save">
          Save
        </button>
      </form>
    );
  }
  return (
    <div className={styles.identity} data-testid="runner-identity" data-name={name ?? ''} data-lead={String(lead)}>
      {error ? (
        <span className={styles.error}>{error}</span>
      ) : (
        <span>
          <strong>{name ?? '…'}</strong> {role ? `(${role}${lead ? ', lead' : ''})` : ''}
        </span>
      )}
      <button type="button" className={styles.linkButton} onClick={() => setEditing(true)}>
        change
      </button>
      <button
        type="button"
        className={styles.linkButton}
        onClick={() => setToken(null)}
        data-testid="runner-token-forget"
      >
        forget token
      </button>
    </div>
  );
}

function StartPanel({
  runbook,
  canWrite,
  onStarted,
  onOpen,
}: {
  runbook: RunbookProp;
  canWrite: boolean;
  onStarted(e: Execution): void;
  onOpen(id: string): void;
}): ReactNode {
  const client = useDataClient();
  // `?deployment=dep_…` (a deployment's page links here): the picker opens with that deployment.
  const location = useLocation();
  const forDeployment = deploymentParam(location.search);
  const [picked, setPicking] = useState<boolean | null>(null);
  const fitOf = useMemo(
    () => ({
      id: runbook.id,
      product_code: runbook.product_code ?? null,
      product_versions: runbook.product_versions ?? null,
    }),
    [runbook.id, runbook.product_code, runbook.product_versions],
  );
  const picking = picked ?? (forDeployment !== null && canWrite);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const open = useLiveResource(
    `/runbook-executions?runbook_id=${encodeURIComponent(runbook.id)}&state=in_progress,blocked&limit=50`,
    executionSummaryPage,
    {
      topics: [`execution`],
      refetchOn: (e) => changePayloadOf(e, 'execution.*')?.runbook_id === runbook.id,
    },
  );

  const start = async (deploymentId: string) => {
    setBusy(true);
    setError(null);
    try {
      const e = await client.send(executionSchema, 'POST', '/runbook-executions', {
        runbook_id: runbook.id,
        deployment_id: deploymentId,
      });
      onStarted(e);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className={styles.startPanel}>
      {!picking ? (
        <button
          type="button"
          className={clsx(styles.button, styles.primary)}
          disabled={!canWrite}
          onClick={() => setPicking(true)}
          data-testid="runner-start"
        >
          Start execution
        </button>
      ) : (
        <DeploymentPicker
          runbook={fitOf}
          initialQuery={forDeployment ?? ''}
          busy={busy}
          openFor={(deploymentId) => open.data?.items.find((e) => e.deployment_id === deploymentId)}
          onPick={start}
          onResume={onOpen}
          onCancel={() => setPicking(false)}
        />
      )}
      {!canWrite && <p className={styles.muted}>Starting and ticking need an operator token (see above).</p>}
      {error && (
        <p className={styles.error} role="alert" data-testid="runner-start-error">
          {error}
        </p>
      )}
      <div className={styles.openList} data-testid="runner-open-executions" data-count={open.data?.items.length ?? 0}>
        <h3 className={styles.subTitle}>Open executions</h3>
        {open.status === 'loading' && <p className={styles.muted}>Loading…</p>}
        {open.data && open.data.items.length === 0 && (
          <p className={styles.muted}>None: start one for the deployment you are working on.</p>
        )}
        {open.data && open.data.items.length > 0 && (
          <ul className={styles.plainList}>
            {open.data.items.map((e) => (
              <li key={e.id}>
                <button
                  type="button"
                  className={styles.linkButton}
                  onClick={() => onOpen(e.id)}
                  data-testid={`runner-open-${e.id}`}
                >
                  {e.deployment_id}
                </button>{' '}
                <span className={clsx(styles.badge, styles[`state_${e.state}`])}>{e.state.replace('_', ' ')}</span>{' '}
                <span className={styles.muted}>
                  {e.progress.checked}/{e.progress.total} · started by {e.started_by}{' '}
                  <RelativeTime iso={e.started_at} />
                </span>
              </li>
            ))}
          </ul>
        )}
      </div>
    </div>
  );
}
