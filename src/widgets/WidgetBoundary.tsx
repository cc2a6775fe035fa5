// One widget that throws while rendering (a bug, or an older phone browser lacking an API the
// widget uses) must not take the page down: without a boundary of its own, React unwinds to
// Docusaurus's page-level one and the whole page content (a runbook, every other widget) is
// replaced by an error. Each loaded widget is wrapped in one of these (island.tsx's LoadedOr:
// every island, the runbook runner); its frame then says it failed and offers Retry, and the
// rest of the page goes on. Like react-error-boundary's `resetKeys`, a crashed widget is tried
// again when its props change (another device, another route), by value: a re-render that
// passes equal props in new literals (`columns={['a', 'b']}`) neither remounts nor logs again.
import React, { Component, Fragment, type ErrorInfo, type ReactNode } from 'react';

/** A widget that failed to display: the error, and Retry (a new mount of the widget). */
export interface Crash {
  error: Error;
  retry: () => void;
}

export interface WidgetBoundaryProps {
  /** The widget's name, for the console. */
  name: string;
  /**
   * When one of these changes (compared one by one, by value: `sameValue`), a crashed widget is
   * mounted again.
   */
  resetKeys: readonly unknown[];
  /** What the widget's frame shows instead of the widget. */
  fallback: (crash: Crash) => ReactNode;
  children: ReactNode;
}

interface State {
  error: Error | null;
  /** The resetKeys of the last render. */
  keys: readonly unknown[];
  /** Bumped by Retry: the widget is mounted anew (fresh state, fresh reads). */
  mount: number;
}

/** An array or a plain object (what an MDX literal makes), not a React element, a Date, a class instance. */
function isPlain(v: unknown): v is Record<string, unknown> | unknown[] {
  if (typeof v !== 'object' || v === null || '$$typeof' in v) return false;
  if (Array.isArray(v)) return true;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * Equal by value for JSON-like props (an MDX page passes `columns={['a', 'b']}` as a new array on
 * every render), by identity for everything else (functions, React elements). Deeper than 20
 * levels (or a cycle) counts as different.
 */
export function sameValue(a: unknown, b: unknown, depth = 0): boolean {
  if (Object.is(a, b)) return true;
  if (depth > 20 || !isPlain(a) || !isPlain(b) || Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  const rb = b as Record<string, unknown>;
  return ka.every(
    (k) =>
      Object.prototype.hasOwnProperty.call(rb, k) && sameValue((a as Record<string, unknown>)[k], rb[k], depth + 1),
  );
}

const changed = (a: readonly unknown[], b: readonly unknown[]) =>
  a.length !== b.length || a.some((v, i) => !sameValue(v, b[i]));

export class WidgetBoundary extends Component<WidgetBoundaryProps, State> {
  override state: State = { error: null, keys: this.props.resetKeys, mount: 0 };

  static getDerivedStateFromError(error: unknown): Partial<State> {
    return { error: error instanceof Error ? error : new Error(String(error)) };
  }

  static getDerivedStateFromProps(props: WidgetBoundaryProps, state: State): Partial<State> | null {
    if (!changed(props.resetKeys, state.keys)) return null;
    return state.error ? { keys: props.resetKeys, error: null, mount: state.mount + 1 } : { keys: props.resetKeys };
  }

  override componentDidCatch(error: unknown, info: ErrorInfo): void {
    // Once per crash (React's own report of a caught error has no widget name).
    const message = error instanceof Error ? error.message : String(error);
    console.error(`${this.props.name}: this widget failed to display: ${message}`, info.componentStack ?? '');
  }

  private readonly retry = () => this.setState((s) => ({ error: null, mount: s.mount + 1 }));

  override render(): ReactNode {
    const { error, mount } = this.state;
    if (error) return this.props.fallback({ error, retry: this.retry });
    return <Fragment key={mount}>{this.props.children}</Fragment>;
  }
}
