// The runbook runner and its widgets, importable from MDX:
//   import { RunbookRunner, ExecutionList, TutorialTrack, MyOnboarding } from './index.tsx';
// The remark plugin (plugins/remark-runbook/runner.ts) injects <RunbookRunner> into every runbook
// page, so this module is kept tiny: it renders the server placeholder and loads the real
// components in the browser, in one shared chunk. (Importing them directly from every page
// cost the site build ~15 ms per runbook page: bench/runbooks.ts.)
import React, { Suspense, lazy, type ComponentType, type ReactNode } from 'react';
import useIsBrowser from '@docusaurus/useIsBrowser';
import type { ExecutionListProps } from './ExecutionList.tsx';
import type { RunbookProp } from './runbook-prop.ts';
import { Placeholder } from '../widgets/island.tsx';
import styles from './placeholder.module.css';

export type { ExecutionListProps } from './ExecutionList.tsx';
export type { RunbookProp } from './runbook-prop.ts';

const load = () => import('./live.ts');

function browserOnly<P extends object>(
  name: string,
  pick: (m: Awaited<ReturnType<typeof load>>) => ComponentType<P>,
  placeholder: (props: P) => ReactNode,
) {
  const Lazy = lazy(() => load().then((m) => ({ default: pick(m) })));
  function Component(props: P): ReactNode {
    const isBrowser = useIsBrowser();
    if (!isBrowser) return placeholder(props);
    return (
      <Suspense fallback={placeholder(props)}>
        <Lazy {...props} />
      </Suspense>
    );
  }
  Component.displayName = name;
  return Component;
}

const widgetPlaceholder = (name: string, testId: string) => () => <Placeholder name={name} testId={testId} />;

/** The live checklist of a runbook page (the printable checklist stays below it). */
export const RunbookRunner = browserOnly<{ runbook: RunbookProp }>(
  'RunbookRunner',
  (m) => m.RunbookRunner,
  ({ runbook }) => (
    <section className={styles.box} data-testid="runbook-runner" data-state="placeholder" data-runbook={runbook.id}>
      RunbookRunner: the live checklist loads in the browser. The printable checklist is below.
    </section>
  ),
);

/** Runbook executions (of a deployment, a runbook, a site), live. */
export const ExecutionList = browserOnly<ExecutionListProps>(
  'ExecutionList',
  (m) => m.ExecutionList,
  widgetPlaceholder('ExecutionList', 'execution-list'),
);

/** A tutorial track's steps with your progress. */
export const TutorialTrack = browserOnly<{ track: string }>(
  'TutorialTrack',
  (m) => m.TutorialTrack,
  widgetPlaceholder('TutorialTrack', 'tutorial-track'),
);

/** Every tutorial track and how far you are. */
export const MyOnboarding = browserOnly<Record<string, never>>(
  'MyOnboarding',
  (m) => m.MyOnboarding,
  widgetPlaceholder('MyOnboarding', 'my-onboarding'),
);
