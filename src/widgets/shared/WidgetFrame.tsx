import React, { type ReactNode } from 'react';
import clsx from 'clsx';
import useIsBrowser from '@docusaurus/useIsBrowser';
import type { ConnectionState } from '../../data/live.ts';
import { unreachableText, type LiveState } from '../../data/useLive.ts';
import { ApiRequestError } from '../../data/client.ts';
import { Placeholder } from '../island.tsx';
import { isNetworkError, refusalText, UNREACHABLE_NO_DATA, type RefusalContext } from './refusal.ts';
import styles from './styles.module.css';

export interface WidgetFrameProps {
  /** The widget's name, shown in the server-rendered placeholder. */
  name: string;
  testId: string;
  title?: ReactNode;
  /** Controls on the title line (filters, buttons). */
  toolbar?: ReactNode;
  state: Pick<LiveState<unknown>, 'status' | 'error' | 'updatedAt'>;
  connection: ConnectionState;
  /** Data arrived but there is nothing to show. */
  empty?: boolean;
  emptyText?: ReactNode;
  /**
   * Shown when a collection's endpoint does not exist on this API yet (404). Without it, and for
   * every refused read (4xx), the frame says what the API answered (`refusalText`).
   */
  unavailableText?: ReactNode;
  /** How a failed read is told (`refusalText`): the sentence's start and whether it read by id. Default: the name. */
  refused?: RefusalContext;
  className?: string;
  children?: ReactNode;
  /** Extra data-* attributes for tests. */
  data?: Record<string, string | number>;
}

const RESERVED = new Set(['testid', 'state', 'widget', 'updated-at', 'live', 'answered']);

/**
 * The states every widget has (widgets.md): a server placeholder with the widget's name,
 * loading, error, unavailable, empty, and "data API unreachable — showing data from …"
 * over the last data it had.
 */
export function WidgetFrame(props: WidgetFrameProps): ReactNode {
  const isBrowser = useIsBrowser();
  const { name, testId, title, toolbar, state, connection } = props;
  // Widget-specific data-* for tests; the frame's own (state, live, widget…) always win.
  const dataAttrs = Object.fromEntries(
    Object.entries(props.data ?? {})
      .filter(([k]) => !RESERVED.has(k))
      .map(([k, v]) => [`data-${k}`, String(v)]),
  );

  if (!isBrowser) return <Placeholder name={name} testId={testId} title={title} className={props.className} />;

  const stale = unreachableText(state, connection);
  const refused = props.refused ?? { lead: name };
  const shown =
    state.status === 'loading'
      ? 'loading'
      : state.status === 'error'
        ? connection.status === 'offline' || isNetworkError(state.error)
          ? 'unreachable'
          : 'error'
        : state.status === 'unavailable'
          ? 'unavailable'
          : stale
            ? 'stale'
            : props.empty
              ? 'empty'
              : 'ready';

  return (
    <section
      className={clsx(styles.frame, props.className)}
      data-testid={testId}
      data-state={shown}
      data-widget={name}
      data-updated-at={state.updatedAt ? state.updatedAt.toISOString() : ''}
      data-live={connection.status}
      data-answered={state.error instanceof ApiRequestError ? state.error.status : undefined}
      aria-busy={shown === 'loading'}
      {...dataAttrs}
    >
      {(title || toolbar) && (
        <header className={styles.header}>
          {title && <h3 className={styles.title}>{title}</h3>}
          {toolbar && <div className={styles.toolbar}>{toolbar}</div>}
        </header>
      )}
      {stale && (
        <p className={styles.stale} role="status" data-testid={`${testId}-unreachable`}>
          {stale}
        </p>
      )}
      {shown === 'loading' && <p className={styles.note}>Loading…</p>}
      {shown === 'unreachable' && (
        <p className={styles.error} role="alert" data-testid={`${testId}-unreachable`}>
          {UNREACHABLE_NO_DATA}
        </p>
      )}
      {shown === 'error' && (
        <p className={styles.error} role="alert" data-testid={`${testId}-refused`}>
          {refusalText(refused, state.error)}
        </p>
      )}
      {shown === 'unavailable' && (
        <p className={styles.note} data-testid={`${testId}-unavailable`}>
          {props.unavailableText ?? refusalText(refused, state.error)}
        </p>
      )}
      {shown === 'empty' && (
        <p className={styles.note} data-testid={`${testId}-empty`}>
          {props.emptyText ?? 'Nothing to show.'}
        </p>
      )}
      {(shown === 'ready' || shown === 'stale') && props.children}
    </section>
  );
}

/**
 * Props for a table's scrolling frame (`frameStyles.tableWrap`): on a phone it scrolls sideways,
 * and a region that scrolls must be reachable from the keyboard (axe scrollable-region-focusable),
 * so it is a named, focusable region. A region is a landmark, and landmarks of a page need names
 * of their own (axe landmark-unique): a page may hold two widgets of a kind (two alert lists, a
 * device table beside a surface's), so the name is the widget's title (titleText), not its kind.
 */
export function scrollRegion(label: string): { tabIndex: 0; role: 'region'; 'aria-label': string } {
  return { tabIndex: 0, role: 'region', 'aria-label': label };
}

/** A widget's title as a landmark's name: the title the page gave it when it is text, else `fallback`. */
export function titleText(title: ReactNode, fallback: string): string {
  return typeof title === 'string' && title.trim() !== '' ? title.trim() : fallback;
}

export function StatusBadge({ status, testId }: { status: string; testId?: string }): ReactNode {
  return (
    <span className={clsx(styles.badge, styles[`s_${status}`])} data-status={status} data-testid={testId}>
      <span className={styles.dot} aria-hidden />
      {status}
    </span>
  );
}

export function Pager({
  page,
  hasPrev,
  hasNext,
  onPrev,
  onNext,
  testId,
  label,
  name,
}: {
  page: number;
  hasPrev: boolean;
  hasNext: boolean;
  onPrev(): void;
  onNext(): void;
  testId: string;
  label?: string;
  /** What it pages through (the widget's title): each pager of a page is a navigation landmark of its own name. */
  name: string;
}): ReactNode {
  return (
    <nav className={styles.pager} aria-label={`${name}: pages`}>
      <button
        type="button"
        className={styles.button}
        disabled={!hasPrev}
        onClick={onPrev}
        data-testid={`${testId}-prev`}
      >
        ← Previous
      </button>
      <span className={styles.pageLabel}>{label ?? `page ${page + 1}`}</span>
      <button
        type="button"
        className={styles.button}
        disabled={!hasNext}
        onClick={onNext}
        data-testid={`${testId}-next`}
      >
        Next →
      </button>
    </nav>
  );
}

export { styles as frameStyles };
