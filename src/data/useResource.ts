import { useEffect, useRef, useState } from 'react';
import useDocusaurusContext from '@docusaurus/useDocusaurusContext';
import type * as z from 'zod';
import { getDataClient, type DataClient } from './client.ts';
import { pollPath } from './poll.ts';

export function useDataClient(): DataClient {
  const { siteConfig } = useDocusaurusContext();
  return getDataClient(String(siteConfig.customFields?.apiUrl ?? ''));
}

export type ResourceState<T> =
  | { status: 'loading'; data: null; error: null; updatedAt: null }
  | { status: 'ready'; data: T; error: null; updatedAt: Date }
  /** The API did not answer: the last data is kept and shown with its time. */
  | { status: 'stale'; data: T; error: Error; updatedAt: Date }
  | { status: 'error'; data: null; error: Error; updatedAt: null };

/**
 * Reads one API path, parsed with its contract's schema, and refreshes it every `refreshMs`.
 * Keeps the last good data when the API becomes unreachable (`stale`), and recovers by itself
 * when it answers again: a failed read is retried with backoff (`pollPath`), even with no refresh.
 */
export function useResource<S extends z.ZodType>(
  path: string | null,
  schema: S,
  refreshMs = 0,
): ResourceState<z.output<S>> {
  type T = z.output<S>;
  const client = useDataClient();
  const [state, setState] = useState<ResourceState<T>>({ status: 'loading', data: null, error: null, updatedAt: null });
  const last = useRef<{ data: T; at: Date } | null>(null);

  useEffect(() => {
    if (!path) return undefined;
    return pollPath(client, path, schema, () => refreshMs, {
      data: (data) => {
        last.current = { data, at: new Date() };
        setState({ status: 'ready', data, error: null, updatedAt: last.current.at });
      },
      error: (error) =>
        setState(
          last.current
            ? { status: 'stale', data: last.current.data, error, updatedAt: last.current.at }
            : { status: 'error', data: null, error, updatedAt: null },
        ),
    });
  }, [client, path, schema, refreshMs]);

  return state;
}
