// The one way the site loads a widget's code (every island, the A2UI renderer, the runbook
// runner): an `import()` that retries itself. A phone on a bad connection whose chunk download
// fails must not be left with a placeholder or a crashed page until a reload: the import is tried
// again after 0.5 s, doubling to at most 5 s, a handful of times, and at once when the browser
// comes back online or the user presses Retry; meanwhile the widget's frame says so (island.tsx's
// CodeRetry). React.lazy is not used: it caches a rejected promise, so it could never retry.
// The bundler forgets a chunk that failed to load, so a fresh `import()` fetches it again.
import { useEffect, useSyncExternalStore } from 'react';

/** The waits between attempts: after the last one fails, only Retry or `online` try again. */
export const RETRY_DELAYS_MS: readonly number[] = [500, 1000, 2000, 4000, 5000];

export type CodeState<M> =
  /** The first attempt is under way. */
  | { status: 'loading' }
  /** An attempt failed; another is under way (`retryAt` null) or due at `retryAt` (epoch ms). */
  | { status: 'retrying'; failures: number; error: Error; retryAt: number | null }
  /** Every automatic attempt failed: Retry, `online` or a new mount try again. */
  | { status: 'failed'; failures: number; error: Error }
  | { status: 'ready'; module: M };

/** A module's loading as a widget shows it: its state, and Retry. */
export interface CodeHandle {
  state: CodeState<unknown>;
  retry: () => void;
}

/** The code could not be loaded (yet): the widget says so instead of its placeholder text. */
export const codeFailing = (state: CodeState<unknown>): state is Extract<CodeState<unknown>, { failures: number }> =>
  state.status === 'retrying' || state.status === 'failed';

export interface RetryingImport<M> {
  /** Starts loading (once); after `failed`, starts a new series of attempts. */
  load(): void;
  /** Tries now (the Retry button); after `failed`, with a new series of attempts. */
  retry(): void;
  getState(): CodeState<M>;
  subscribe(listener: () => void): () => void;
}

/** Wraps `() => import('./X')`; one per module, shared by every widget that renders it. */
export function retryingImport<M>(
  importer: () => Promise<M>,
  delays: readonly number[] = RETRY_DELAYS_MS,
): RetryingImport<M> {
  let state: CodeState<M> = { status: 'loading' };
  let started = false;
  let inFlight = false;
  let failures = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const listeners = new Set<() => void>();
  const online = typeof window === 'undefined' ? null : window;

  const set = (next: CodeState<M>) => {
    state = next;
    for (const l of [...listeners]) l();
  };
  const onOnline = () => attempt();

  function attempt(): void {
    if (inFlight || state.status === 'ready') return;
    clearTimeout(timer);
    timer = undefined;
    inFlight = true;
    if (state.status !== 'loading') set({ status: 'retrying', failures, error: state.error, retryAt: null });
    let loading: Promise<M>;
    try {
      loading = importer();
    } catch (err) {
      loading = Promise.reject(err);
    }
    loading.then(
      (module) => {
        inFlight = false;
        online?.removeEventListener('online', onOnline);
        set({ status: 'ready', module });
      },
      (err: unknown) => {
        inFlight = false;
        failures += 1;
        const error = err instanceof Error ? err : new Error(String(err));
        online?.addEventListener('online', onOnline); // the same listener is added once
        const delay = delays[failures - 1];
        if (delay === undefined) {
          set({ status: 'failed', failures, error });
          return;
        }
        timer = setTimeout(attempt, delay);
        set({ status: 'retrying', failures, error, retryAt: Date.now() + delay });
      },
    );
  }

  function again(): void {
    if (state.status === 'failed') failures = 0;
    attempt();
  }

  return {
    load() {
      if (!started) {
        started = true;
        attempt();
      } else if (state.status === 'failed') again();
    },
    retry: again,
    getState: () => state,
    subscribe(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
  };
}

/** A module's state for a component, loading it from the first mount on. */
export function useRetryingImport<M>(code: RetryingImport<M>): CodeState<M> {
  useEffect(() => code.load(), [code]);
  return useSyncExternalStore(code.subscribe, code.getState, code.getState);
}
