// The runbook runner and its widgets, importable from MDX:
//   import { RunbookRunner, ExecutionList, TutorialTrack, MyOnboarding } from './index.tsx';
// The remark plugin (plugins/remark-runbook/runner.ts) injects <RunbookRunner> into every runbook
// page, so this module is kept tiny: it renders the server placeholder and loads the real
// components in the browser, in one shared chunk. (Importing them directly from every page
// cost the site build ~15 ms per runbook page: bench/runbooks.ts.)
import React, { type ComponentType, type ReactNode } from 'react';
import useIsBrowser from '@docusaurus/useIsBrowser';
import type { ExecutionListProps } from './ExecutionList.tsx';
import type { RunbookProp } from './runbook-prop.ts';
import { CodeRetry, Crashed, LoadedOr, Placeholder, placeholderState } from '../widgets/island.tsx';
import { retryingImport, type CodeHandle } from '../widgets/lazy-retry.ts';
import type { Crash } from '../widgets/WidgetBoundary.tsx';
import styles from './placeholder.module.css';

export type { ExecutionListProps } from './ExecutionList.tsx';
export type { RunbookProp } from './runbook-prop.ts';

// One chunk for all of them, retried when it fails to load (../widgets/lazy-retry.ts); each
// mounted component has an error boundary of its own (../widgets/WidgetBoundary.tsx).
const load = () => import('./live.ts');
type Live = Awaited<ReturnType<typeof load>>;

function browserOnly<P extends object>(
  name: string,
  pick: (m: Live) => ComponentType<P>,
  placeholder: (props: P, code?: CodeHandle, crash?: Crash) => ReactNode,
) {
  const code = retryingImport(() => load().then((m) => ({ default: pick(m) })));
  function Component(props: P): ReactNode {
    const isBrowser = useIsBrowser();
    if (!isBrowser) return placeholder(props);
    return (
      <LoadedOr
        code={code}
        props={props}
        fallback={(c) => placeholder(props, c)}
        crashed={{ name, view: (crash) => placeholder(props, undefined, crash) }}
      />
    );
  }
  Component.displayName = name;
  return Component;
}

const widgetPlaceholder = (name: string, testId: string) => (_props: unknown, code?: CodeHandle, crash?: Crash) => (
  <Placeholder name={name} testId={testId} code={code} crash={crash} />
);

/** The live checklist of a runbook page (the printable checklist stays below it). */
export const RunbookRunner = browserOnly<{ runbook: RunbookProp }>(
  'RunbookRunner',
  (m) => m.RunbookRunner,
  ({ runbook }, code, crash) => {
    const { state, failing } = placeholderState(code, crash);
    return (
      <section className={styles.box} data-testid="runbook-runner" data-state={state} data-runbook={runbook.id}>
        {crash ? (
          <>
            <Crashed what="RunbookRunner: the live checklist" testId="runbook-runner" {...crash} />
            The printable checklist is below.
          </>
        ) : failing ? (
          <>
            <CodeRetry what="RunbookRunner: the live checklist's code" testId="runbook-runner" {...failing} />
            The printable checklist is below.
          </>
        ) : (
          'RunbookRunner: the live checklist loads in the browser. The printable checklist is below.'
        )}
      </section>
    );
  },
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
