import React, { type ComponentType, type ReactNode } from 'react';
import BrowserOnly from '@docusaurus/BrowserOnly';
import clsx from 'clsx';
import { codeFailing, retryingImport, useRetryingImport, type CodeHandle, type RetryingImport } from './lazy-retry.ts';
import { WidgetBoundary, type Crash } from './WidgetBoundary.tsx';
import styles from './shared/styles.module.css';

/**
 * A placeholder frame's `data-state`, and the failing code download it reports (if any): `crashed`
 * when the widget threw, `code-retrying`/`code-failed` while its code cannot be loaded, else
 * `placeholder`. Shared by every placeholder (this one, the runbook runner's).
 */
export function placeholderState(code?: CodeHandle, crash?: Crash): { state: string; failing: CodeHandle | null } {
  const failing = code && codeFailing(code.state) ? code : null;
  return {
    state: crash ? 'crashed' : failing ? `code-${failing.state.status}` : 'placeholder',
    failing,
  };
}

/**
 * What the static HTML holds for a widget: its name (widgets.md: "renders on the server as a
 * placeholder with the widget's name"), never live data. In the browser it stays while the
 * widget's code loads; when that fails it says so (`code`), state `code-retrying` or `code-failed`.
 * When the loaded widget throws while rendering (./WidgetBoundary.tsx) it stands in for it and
 * says so (`crash`), state `crashed`.
 */
export function Placeholder({
  name,
  label,
  testId,
  title,
  className,
  code,
  crash,
}: {
  name: string;
  label?: string;
  testId: string;
  title?: ReactNode;
  className?: string;
  code?: CodeHandle;
  crash?: Crash;
}): ReactNode {
  const { state, failing } = placeholderState(code, crash);
  return (
    <section className={clsx(styles.frame, className)} data-testid={testId} data-state={state} data-widget={name}>
      {title && (
        <header className={styles.header}>
          <h3 className={styles.title}>{title}</h3>
        </header>
      )}
      {crash ? (
        <Crashed what={`${label ?? name}: this widget`} testId={testId} {...crash} />
      ) : failing ? (
        <CodeRetry what={`${label ?? name}: this widget's code`} testId={testId} {...failing} />
      ) : (
        <p className={styles.note}>{`${label ?? name}: live data loads in the browser…`}</p>
      )}
    </section>
  );
}

/**
 * What a widget shows while its code could not be loaded (./lazy-retry.ts): the attempts go on
 * by themselves (and when the browser is back online), and Retry tries at once.
 */
export function CodeRetry({
  what,
  testId,
  state,
  retry,
}: CodeHandle & {
  /** e.g. "FleetHealth: this widget's code". */
  what: string;
  testId: string;
}): ReactNode {
  if (!codeFailing(state)) return null;
  return (
    <div role="alert" data-testid={`${testId}-code`} data-code={state.status} data-failures={state.failures}>
      <p className={styles.error}>
        {state.status === 'retrying'
          ? `${what} could not be loaded; retrying…`
          : `${what} could not be loaded. It tries again when the connection is back, or press Retry.`}
      </p>
      <button type="button" className={styles.button} onClick={retry} data-testid={`${testId}-code-retry`}>
        Retry
      </button>
    </div>
  );
}

/**
 * What a widget shows when it threw while rendering (./WidgetBoundary.tsx), e.g. on an older
 * phone browser: the error, and Retry, which mounts the widget again.
 */
export function Crashed({
  what,
  testId,
  error,
  retry,
}: Crash & {
  /** e.g. "FleetHealth: this widget". */
  what: string;
  testId: string;
}): ReactNode {
  return (
    <div role="alert" data-testid={`${testId}-crashed`}>
      <p className={styles.error}>{`${what} failed to display: ${error.message}`}</p>
      <button type="button" className={styles.button} onClick={retry} data-testid={`${testId}-crashed-retry`}>
        Retry
      </button>
    </div>
  );
}

/**
 * The code of a component loaded with ./lazy-retry.ts: the component once loaded, else
 * `fallback(code)`. With `crashed`, the component has an error boundary of its own
 * (./WidgetBoundary.tsx): if it throws while rendering, `crashed.view` stands in for it, and it
 * is mounted again on Retry or when its props change. Without, an error goes to the boundary
 * around (the A2UI view inside a Surface: the Surface island's).
 */
export function LoadedOr<P extends object>({
  code,
  props,
  fallback,
  crashed,
}: {
  code: RetryingImport<{ default: ComponentType<P> }>;
  props: P;
  fallback: (code: CodeHandle) => ReactNode;
  crashed?: { name: string; view: (crash: Crash) => ReactNode };
}): ReactNode {
  const state = useRetryingImport(code);
  if (state.status !== 'ready') return fallback({ state, retry: code.retry });
  const Component = state.module.default;
  if (!crashed) return <Component {...props} />;
  return (
    <WidgetBoundary name={crashed.name} resetKeys={Object.values(props)} fallback={crashed.view}>
      <Component {...props} />
    </WidgetBoundary>
  );
}

/**
 * A widget as an island: the page's own chunk holds only this wrapper and the placeholder;
 * the widget (and recharts, A2UI, zod…) is an async chunk loaded in the browser. So a
 * thousand MDX pages using widgets compile and render almost like pages without them, and
 * nothing a widget does can break the static build. Nor the page: a widget that throws while
 * rendering is replaced by its frame saying so, with Retry (LoadedOr's `crashed`).
 */
export function island<P extends object>(
  name: string,
  testId: string | ((props: P) => string),
  load: () => Promise<{ default: ComponentType<P> }>,
  label?: (props: P) => string,
): ComponentType<P> {
  const code = retryingImport(load);
  function Island(props: P): ReactNode {
    const id = typeof testId === 'function' ? testId(props) : testId;
    const title = (props as { title?: ReactNode }).title;
    const placeholder = (c?: CodeHandle, crash?: Crash) => (
      <Placeholder name={name} label={label?.(props)} testId={id} title={title} code={c} crash={crash} />
    );
    return (
      <BrowserOnly fallback={placeholder()}>
        {() => (
          <LoadedOr
            code={code}
            props={props}
            fallback={placeholder}
            crashed={{ name: label?.(props) ?? name, view: (crash) => placeholder(undefined, crash) }}
          />
        )}
      </BrowserOnly>
    );
  }
  Island.displayName = `${name}Island`;
  return Island;
}
