import React, { useEffect, useRef, useState, type ReactNode } from 'react';
import clsx from 'clsx';
import Link from '@docusaurus/Link';
import {
  tutorialProgressSchema,
  tutorialTrackSchema,
  type TutorialTrack as Track,
} from '../../data-api/src/contracts/executions.ts';
import { useLiveResource } from '../data/useLive.ts';
import { useDataClient } from '../data/useResource.ts';
import { WidgetFrame } from '../widgets/shared/WidgetFrame.tsx';
import { Progress } from './ExecutionView.tsx';
import { useToken } from './hooks.ts';
import styles from './styles.module.css';
import { Icon } from '../components/Icon/index.tsx';

/** Mark a step done or not done; returns the track as the API has it now. */
function useStepToggle(track: string, onTrack: (t: Track) => void) {
  const client = useDataClient();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<number | null>(null);
  const toggle = async (step: number, done: boolean) => {
    setBusy(step);
    setError(null);
    try {
      onTrack(
        await client.send(
          tutorialTrackSchema,
          done ? 'PUT' : 'DELETE',
          `/tutorial-progress/${encodeURIComponent(track)}/steps/${step}`,
        ),
      );
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(null);
    }
  };
  return { toggle, error, busy };
}

/**
 * The saved token; progress is per person (another token is another person), so `reload` runs
 * when the token changes. Not on mount: the resource has just been read then.
 */
function useTokenReload(reload: () => void): string | null {
  const [token] = useToken();
  const seen = useRef(token);
  useEffect(() => {
    if (seen.current === token) return;
    seen.current = token;
    reload();
  }, [token, reload]);
  return token;
}

/** A track's steps with your progress (the track's index page). */
export function TutorialTrack({ track }: { track: string }): ReactNode {
  const res = useLiveResource(`/tutorial-progress/${encodeURIComponent(track)}`, tutorialTrackSchema, {
    topics: [`tutorial:${track}`],
    refetchOn: () => true,
    missingIsUnavailable: true,
  });
  const token = useTokenReload(res.reload);
  const [local, setLocal] = useState<Track | null>(null);
  useEffect(() => setLocal(null), [res.data]);
  const data = local ?? res.data;
  const { toggle, error, busy } = useStepToggle(track, setLocal);
  return (
    <WidgetFrame
      name="TutorialTrack"
      testId="tutorial-track"
      title={
        data ? (
          <>
            Your progress{data.person !== 'localhost' ? <span className={styles.muted}> · {data.person}</span> : null}
          </>
        ) : (
          'Your progress'
        )
      }
      toolbar={
        data ? (
          <Progress checked={data.progress.checked} total={data.progress.total} testId="tutorial-track-progress" />
        ) : undefined
      }
      state={res}
      connection={res.connection}
      data={{ track, done: data?.progress.checked ?? 0 }}
      unavailableText={`Track ${track} is not known to this data API yet.`}
    >
      {!token && (
        <p className={styles.muted}>
          Progress is kept per person: save your token on a runbook page (step 4) to mark steps done.
        </p>
      )}
      {error && <p className={styles.error}>{error}</p>}
      <ol className={styles.steps}>
        {data?.steps.map((s) => (
          <li
            key={s.step}
            className={clsx(styles.step, s.completed_at && styles.stepDone)}
            data-testid={`tutorial-step-${s.step}`}
            data-done={String(!!s.completed_at)}
          >
            <span className={styles.stepMark} aria-hidden>
              {s.completed_at ? <Icon name="check" /> : s.step}
            </span>
            <Link to={s.url}>{s.title}</Link>
            <span className={styles.muted}>
              {s.estimated_minutes ? ` · ${s.estimated_minutes} min` : ''}
              {s.completed_at ? ` · done ${new Date(s.completed_at).toLocaleDateString()}` : ''}
            </span>
            {token && (
              <button
                type="button"
                className={styles.linkButton}
                disabled={busy === s.step}
                onClick={() => void toggle(s.step, !s.completed_at)}
                data-testid={`tutorial-step-toggle-${s.step}`}
              >
                {s.completed_at ? 'undo' : 'mark done'}
              </button>
            )}
          </li>
        ))}
      </ol>
    </WidgetFrame>
  );
}

/** On a tutorial step page (inside the runner): this step's done / not done. */
export function TutorialStepProgress({
  track,
  step,
  hasToken,
}: {
  track: string;
  step: number;
  hasToken: boolean;
}): ReactNode {
  const res = useLiveResource(
    hasToken ? `/tutorial-progress/${encodeURIComponent(track)}` : null,
    tutorialTrackSchema,
    { topics: [`tutorial:${track}`], refetchOn: () => true, missingIsUnavailable: true },
  );
  const [local, setLocal] = useState<Track | null>(null);
  useEffect(() => setLocal(null), [res.data]);
  const data = local ?? res.data;
  const { toggle, error, busy } = useStepToggle(track, setLocal);
  const me = data?.steps.find((s) => s.step === step);
  const done = !!me?.completed_at;
  return (
    <div className={styles.tutorialStep} data-testid="tutorial-step-progress" data-done={String(done)}>
      <span>
        Step {step} of <Link to={`/docs/tutorials/${track}`}>{track}</Link>
        {data ? ` · ${data.progress.checked}/${data.progress.total} steps done` : ''}
      </span>
      {hasToken ? (
        <button
          type="button"
          className={clsx(styles.button, !done && styles.primary)}
          disabled={busy !== null || !data}
          onClick={() => void toggle(step, !done)}
          data-testid="tutorial-step-mark"
        >
          {done ? (
            <>
              <Icon name="check" /> Done (undo)
            </>
          ) : (
            'Mark step done'
          )}
        </button>
      ) : (
        <span className={styles.muted}>Save your token to keep your progress.</span>
      )}
      {error && <span className={styles.error}>{error}</span>}
    </div>
  );
}

/** Every track and how far you are (docs/tutorials/my-onboarding.mdx). */
export function MyOnboarding(): ReactNode {
  const res = useLiveResource('/tutorial-progress', tutorialProgressSchema, {
    topics: ['tutorial'],
    refetchOn: () => true,
    missingIsUnavailable: true,
  });
  const token = useTokenReload(res.reload);
  const tracks = res.data?.tracks ?? [];
  return (
    <WidgetFrame
      name="MyOnboarding"
      testId="my-onboarding"
      title={res.data && res.data.person !== 'localhost' ? `Onboarding of ${res.data.person}` : 'Onboarding'}
      state={res}
      connection={res.connection}
      empty={tracks.length === 0}
      emptyText="No tutorial tracks yet."
    >
      {!token && <p className={styles.muted}>Without a token you see the tracks but not your progress.</p>}
      <ul className={styles.plainList}>
        {tracks.map((t) => {
          const next = t.steps.find((s) => !s.completed_at);
          return (
            <li
              key={t.track}
              className={styles.trackRow}
              data-testid={`onboarding-track-${t.track}`}
              data-done={t.progress.checked}
            >
              <Link to={`/docs/tutorials/${t.track}`}>
                <strong>{t.track}</strong>
              </Link>
              <Progress checked={t.progress.checked} total={t.progress.total} />
              <span className={styles.muted}>
                {next ? (
                  <>
                    next: <Link to={next.url}>{next.title}</Link>
                  </>
                ) : (
                  <>
                    complete <Icon name="check" />
                  </>
                )}
              </span>
            </li>
          );
        })}
      </ul>
    </WidgetFrame>
  );
}
