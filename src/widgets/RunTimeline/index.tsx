import React, { type ReactNode } from 'react';
import type { ChangeEventMessage } from '../../../data-api/src/contracts/stream.ts';
import { useLiveResource } from '../../data/useLive.ts';
import { shortDateTime } from '../shared/format.ts';
import { frameStyles as s, StatusBadge, WidgetFrame, scrollRegion, titleText } from '../shared/WidgetFrame.tsx';
import {
  automationRunPage,
  automationRunSchema,
  runPageRoute,
} from '../../../data-api/src/contracts/automation-runs.ts';
import { actionStates, formatDuration, toRunView, type RunView } from './runs.ts';
import { StepTree } from './StepTree.tsx';
import { CsvButton } from '../shared/CsvButton.tsx';

export interface RunTimelineProps {
  /** One automation run, `arun_…`. */
  run?: string;
  /** Or the latest runs of a project, e.g. `farm-north-lorawan`. */
  project?: string;
  limit?: number;
  title?: ReactNode;
}

const touches = (e: ChangeEventMessage, run?: string, project?: string) =>
  e.type.startsWith('automation') &&
  (!run || e.subject.id === run) &&
  (!project || e.payload.project === project || !run);

function Timeline({ run }: { run: RunView }): ReactNode {
  const actions = actionStates(run.timeline);
  const states = Object.fromEntries([
    ...(run.actions ?? []).map((a) => [a.id, 'queued']),
    ...actions.map((a) => [a.action, a.state]),
  ]);
  return (
    <>
      <div className={s.grid}>
        <div className={s.stat}>
          <div className={s.statLabel}>state</div>
          <div className={s.statValue}>
            <StatusBadge status={run.state} testId="run-timeline-state" />
          </div>
        </div>
        <div className={s.stat}>
          <div className={s.statLabel}>started</div>
          <div className={s.statValue} style={{ fontSize: '1rem' }}>
            {shortDateTime(run.started_at ?? run.created_at)}
          </div>
        </div>
        <div className={s.stat}>
          <div className={s.statLabel}>duration</div>
          <div className={s.statValue} style={{ fontSize: '1rem' }}>
            {formatDuration(run.duration_ms)}
          </div>
        </div>
      </div>
      {run.actions && run.actions.length > 0 && <StepTree actions={run.actions} states={states} />}
      {actions.length > 0 && (
        <ol style={{ margin: '0.75rem 0 0', paddingLeft: '1.25rem' }} data-testid="run-timeline-actions">
          {actions.map((a) => (
            <li
              key={a.action}
              data-testid={`run-action-${a.action}`}
              data-state={a.state}
              style={{ marginBottom: '0.35rem' }}
            >
              <strong>{a.action}</strong> <StatusBadge status={a.state} />{' '}
              <span className={s.muted}>{formatDuration(a.duration_ms)}</span>
              {a.message && (
                <div className={s.muted} style={{ whiteSpace: 'pre-wrap' }}>
                  {a.message.length > 300 ? `${a.message.slice(0, 300)}…` : a.message}
                </div>
              )}
            </li>
          ))}
        </ol>
      )}
      {run.timeline.length === 0 && <p className={s.note}>No timeline entries yet.</p>}
    </>
  );
}

/** The latest run of a list, read whole (a list item has no spec, so no tree). */
function LatestRun({ id, fallback }: { id: string; fallback: RunView }): ReactNode {
  const res = useLiveResource(`/automation-runs/${encodeURIComponent(id)}`, automationRunSchema, {
    topics: [`automation:${id}`],
    refetchOn: (e) => e.type.startsWith('automation') && e.subject.id === id,
  });
  const one = res.data ? toRunView(res.data) : null;
  return <Timeline run={one ?? fallback} />;
}

/** An automation run's status timeline (live while it runs), or the latest runs of a project. */
export function RunTimeline({ run, project, limit = 10, title }: RunTimelineProps): ReactNode {
  const path = run
    ? `/automation-runs/${encodeURIComponent(run)}`
    : project
      ? `/automation-runs?project=${encodeURIComponent(project)}&limit=${limit}`
      : '/automation-runs?limit=' + limit;
  const live = {
    topics: [run ? `automation:${run}` : 'automation'],
    refetchOn: (e: ChangeEventMessage) => touches(e, run, project),
    missingIsUnavailable: true,
  };
  // One run, or a page of them: each read with its own contract.
  const oneRes = useLiveResource(run ? path : null, automationRunSchema, live);
  const listRes = useLiveResource(run ? null : path, automationRunPage, live);
  const res = run ? oneRes : listRes;
  const one = run && oneRes.data ? toRunView(oneRes.data) : null;
  const list = !run && listRes.data ? listRes.data.items.map(toRunView) : [];
  const latest = list[0];
  const heading =
    title ?? (run ? `Automation run ${run}` : project ? `Automation runs · ${project}` : 'Automation runs');
  return (
    <WidgetFrame
      name="RunTimeline"
      testId="run-timeline"
      title={heading}
      toolbar={run ? undefined : <CsvButton path={path} name="automation-runs" testId="run-timeline" />}
      state={res}
      connection={res.connection}
      empty={res.status === 'ready' && (run ? !one : list.length === 0)}
      emptyText={run ? `Run ${run} has no data.` : 'No automation runs yet.'}
      refused={
        run
          ? { lead: `RunTimeline for run ${run}`, byId: true }
          : { lead: project ? `RunTimeline for project ${project}` : 'RunTimeline' }
      }
      data={{ runs: run ? (one ? 1 : 0) : list.length, 'run-state': one?.state ?? latest?.state ?? '' }}
    >
      {one && <Timeline run={one} />}
      {!run && list.length > 0 && (
        <>
          <div className={s.tableWrap} {...scrollRegion(titleText(heading, 'Run timeline'))}>
            <table className={s.table}>
              <thead>
                <tr>
                  <th>Run</th>
                  <th>State</th>
                  <th>Started</th>
                  <th className={s.optional}>Duration</th>
                  <th className={s.optional}>Failed at</th>
                </tr>
              </thead>
              <tbody>
                {list.map((r) => (
                  <tr key={r.id} data-testid={`run-row-${r.id}`} data-state={r.state}>
                    <td>
                      {r.project ? (
                        <a href={runPageRoute(r.project, r.id)} data-testid={`run-link-${r.id}`}>
                          <code className={s.mono}>{r.id}</code>
                        </a>
                      ) : (
                        <code className={s.mono}>{r.id}</code>
                      )}
                      {!project && r.project && <div className={s.muted}>{r.project}</div>}
                    </td>
                    <td>
                      <StatusBadge status={r.state} />
                    </td>
                    <td>{shortDateTime(r.started_at ?? r.created_at)}</td>
                    <td className={s.optional}>{formatDuration(r.duration_ms)}</td>
                    <td className={s.optional}>
                      {actionStates(r.timeline).find((a) => a.state === 'failed')?.action ?? '—'}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {latest && latest.timeline.length > 0 && (
            <>
              <h4 style={{ margin: '0.75rem 0 0.25rem' }}>Latest: {latest.id}</h4>
              <LatestRun id={latest.id} fallback={latest} />
            </>
          )}
        </>
      )}
    </WidgetFrame>
  );
}

export default RunTimeline;
