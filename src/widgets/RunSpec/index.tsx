import React, { useEffect, useState, type ReactNode } from 'react';
import Mermaid from '@theme/Mermaid';
import {
  automationPlanSchema,
  automationRunSchema,
  runPageRoute,
  specListSchema,
  type AutomationPlan,
} from '../../../data-api/src/contracts/automation-runs.ts';
import { ApiRequestError } from '../../data/client.ts';
import { useLiveResource } from '../../data/useLive.ts';
import { useDataClient } from '../../data/useResource.ts';
import { useWhoami } from '../../data/useWhoami.ts';
import RunTimeline from '../RunTimeline/index.tsx';
import { frameStyles as s, StatusBadge, WidgetFrame, scrollRegion } from '../shared/WidgetFrame.tsx';

export interface RunSpecProps {
  /** Specs of this project (`project:` in the spec). */
  project?: string;
  /** Or of this deployment. */
  deployment?: string;
  title?: ReactNode;
}

/** Roles that may queue runs (contracts.md: operator, automation; admin may do everything). */
const canQueue = (role: string | undefined) => role === 'operator' || role === 'automation' || role === 'admin';

function errorText(err: unknown): string {
  if (err instanceof ApiRequestError) return err.message;
  return err instanceof Error ? err.message : String(err);
}

function Plan({ plan }: { plan: AutomationPlan }): ReactNode {
  return (
    <div
      data-testid="run-spec-plan"
      data-mode={plan.mode}
      data-skipped={plan.skipped.join(',')}
      data-missing-secrets={plan.missing_secrets}
    >
      <p className={s.muted}>
        {plan.mode === 'tree'
          ? `A step tree: up to ${plan.max_parallel} actions at once.`
          : 'A sequence: each action waits for the one before it.'}{' '}
        Deployment <code>{plan.deployment_id}</code>, digest{' '}
        <code className={s.mono}>{plan.spec_digest.slice(0, 19)}…</code>
      </p>
      <Mermaid value={plan.mermaid} />
      <div className={s.tableWrap} {...scrollRegion(`Steps of ${plan.deployment_id}'s spec`)}>
        <table className={s.table}>
          <thead>
            <tr>
              <th>Action</th>
              <th>After</th>
              <th>Condition</th>
              <th className={s.optional}>Does</th>
            </tr>
          </thead>
          <tbody>
            {plan.steps.map((step) => (
              <tr key={step.id} data-testid={`plan-step-${step.id}`} data-verdict={step.condition?.verdict ?? 'always'}>
                <td>
                  <strong>{step.id}</strong> <span className={s.muted}>{step.type}</span>
                  {step.missing_secrets.map((m) => (
                    <div key={m.ref} className={s.error} data-testid={`plan-missing-secret-${step.id}`}>
                      missing secret {m.ref}: {m.problem}
                    </div>
                  ))}
                </td>
                <td>{step.needs.length ? step.needs.join(', ') : '—'}</td>
                <td>
                  {step.condition ? (
                    <>
                      <code className={s.mono}>{step.condition.text}</code>{' '}
                      {step.condition.verdict === 'at_run_time' ? (
                        <span className={s.muted}>decided at run time</span>
                      ) : (
                        <StatusBadge status={step.condition.verdict === 'runs' ? 'succeeded' : 'skipped'} />
                      )}
                    </>
                  ) : (
                    <span className={s.muted}>always</span>
                  )}
                </td>
                <td className={s.optional}>{step.lines.slice(0, 2).join('; ')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {plan.missing_secrets > 0 && (
        <p className={s.error} role="alert">
          {plan.missing_secrets} secret reference{plan.missing_secrets === 1 ? '' : 's'} cannot be resolved on this
          server: the run would fail at those actions unless its runner has them.
        </p>
      )}
    </div>
  );
}

/**
 * "Run spec" on a project or deployment page (issue 16): pick a spec of automation/specs/, see
 * its dry-run plan (tree, what conditions skip, missing secrets), queue it for a runner, follow it
 * live and open its page. Viewers see the specs and plans of past runs but no button.
 */
export function RunSpec({ project, deployment, title }: RunSpecProps): ReactNode {
  const client = useDataClient();
  const who = useWhoami();
  const specs = useLiveResource(
    `/automation-specs${deployment ? `?deployment_id=${encodeURIComponent(deployment)}` : ''}`,
    specListSchema,
    { missingIsUnavailable: true },
  );
  const items = (specs.data?.items ?? []).filter((f) => f.valid && (!project || f.project === project));
  const [chosen, setChosen] = useState<string>('');
  const [plan, setPlan] = useState<AutomationPlan | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [queued, setQueued] = useState<{ id: string; project: string } | null>(null);
  const role = who.data?.role;
  const allowed = canQueue(role);

  useEffect(() => {
    if (!chosen || !allowed) return undefined;
    const controller = new AbortController();
    setPlan(null);
    setError(null);
    client
      .request<unknown>('POST', '/automation-plans', { spec_path: chosen }, controller.signal)
      .then((raw) => setPlan(automationPlanSchema.parse(raw)))
      .catch((err) => {
        if (!controller.signal.aborted) setError(errorText(err));
      });
    return () => controller.abort();
  }, [client, chosen, allowed]);

  const queue = async () => {
    if (!plan) return;
    setBusy(true);
    setError(null);
    try {
      const raw = await client.request<unknown>(
        'POST',
        `/deployments/${encodeURIComponent(plan.deployment_id)}/automation-runs`,
        { spec_path: plan.spec_path },
      );
      const run = automationRunSchema.parse(raw);
      setQueued({ id: run.id, project: run.project });
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <WidgetFrame
      name="RunSpec"
      testId="run-spec"
      title={title ?? 'Run a spec'}
      state={specs}
      connection={specs.connection}
      empty={specs.status === 'ready' && items.length === 0}
      emptyText={`No valid spec under automation/specs/ for ${project ?? deployment ?? 'this page'}.`}
      unavailableText="RunSpec: this data API does not list automation specs."
      data={{ role: role ?? '', specs: items.length, queued: queued?.id ?? '' }}
    >
      {!allowed && who.status !== 'loading' && (
        <p className={s.note} data-testid="run-spec-readonly">
          Runs are queued by operators and automation{role ? ` (you are ${role})` : ''}; the specs this page can run:{' '}
          {items.map((f) => f.path).join(', ') || 'none'}.
        </p>
      )}
      {allowed && (
        <>
          <label>
            Spec{' '}
            <select
              className={s.select}
              data-testid="run-spec-select"
              value={chosen}
              onChange={(e) => setChosen(e.target.value)}
            >
              <option value="">choose a spec…</option>
              {items.map((f) => (
                <option key={f.path} value={f.path}>
                  {f.path} · {f.deployment_id} · {f.actions.length} actions
                </option>
              ))}
            </select>
          </label>
          {chosen && !plan && !error && <p className={s.note}>Planning (dry run)…</p>}
          {plan && <Plan plan={plan} />}
          {plan && (
            <p>
              <button
                type="button"
                className={s.button}
                data-testid="run-spec-button"
                disabled={busy}
                onClick={() => void queue()}
              >
                {busy ? 'Queueing…' : `Queue run of ${plan.spec_path.split('/').pop()}`}
              </button>{' '}
              <span className={s.muted}>a runner service (fleetbook runner) claims it</span>
            </p>
          )}
        </>
      )}
      {error && (
        <p className={s.error} role="alert" data-testid="run-spec-error">
          {error}
        </p>
      )}
      {queued && (
        <div data-testid="run-spec-queued" data-run={queued.id}>
          <RunTimeline run={queued.id} title={`Run ${queued.id}`} />
          <p>
            <a href={runPageRoute(queued.project, queued.id)} data-testid="run-spec-page-link">
              Open the run page
            </a>{' '}
            <span className={s.muted}>(served at once, from the data API until the site is rebuilt)</span>
          </p>
        </div>
      )}
    </WidgetFrame>
  );
}

export default RunSpec;
