import { useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import type { ParsedChangeEvent } from '../../data-api/src/contracts/change-events.ts';
import type { LiveSample } from '../../data-api/src/contracts/stream.ts';
import { ApiRequestError } from './client.ts';
import type { ConnectionState, LiveCursor } from './live.ts';
import { keyOf, type Entity, type StoreKey } from './store.ts';
import type * as z from 'zod';
import { pollPath } from './poll.ts';
import { useDataClient } from './useResource.ts';

const SERVER_STATE: ConnectionState = { status: 'idle', offlineSince: null, lastEventId: null, epoch: 0, error: null };

/** The page's live connection: online, offline since when, recovery epoch. */
export function useConnection(): ConnectionState {
  const client = useDataClient();
  const live = client.live;
  return useSyncExternalStore(live.onState, live.getState, () => SERVER_STATE);
}

export interface LiveHandlers {
  onChange?(event: ParsedChangeEvent): void;
  onTelemetry?(sample: LiveSample): void;
  /** Re-read once: the topics went live without a replay from before the read (`LiveHandler.onResync`). */
  onResync?(): void;
  /**
   * Where the page stood when the read these topics came from began (`useLiveResource`'s
   * `since`); read when the topics change. Default: the moment of subscribing.
   */
  since?: LiveCursor | null;
}

/** Subscribes to topics on the shared connection for as long as the component is mounted. */
export function useLiveTopics(topics: readonly string[] | null, handlers: LiveHandlers = {}): void {
  const client = useDataClient();
  const ref = useRef(handlers);
  ref.current = handlers;
  const key = topics ? topics.join(',') : '';
  useEffect(() => {
    if (!key) return undefined;
    return client.live.subscribe({
      topics: key.split(','),
      onChange: (e) => ref.current.onChange?.(e),
      onTelemetry: (s) => ref.current.onTelemetry?.(s),
      onResync: () => ref.current.onResync?.(),
      since: ref.current.since ?? undefined,
    });
  }, [client, key]);
}

export type LiveState<T> =
  | { status: 'loading'; data: null; error: null; updatedAt: null }
  | { status: 'ready'; data: T; error: null; updatedAt: Date }
  /** Unreachable: the last data is kept and shown with its time. */
  | { status: 'stale'; data: T; error: Error | null; updatedAt: Date }
  | { status: 'error'; data: null; error: Error; updatedAt: null }
  /** The endpoint does not exist on this API (404 on a collection): an empty state, not a failure. */
  | { status: 'unavailable'; data: null; error: Error; updatedAt: null };

export interface LiveResourceOptions<T> {
  /** SSE topics whose events may change this resource. */
  topics?: readonly string[];
  /** Re-fetch when a matching event says so (default: never; rows update through the store). */
  refetchOn?(event: ParsedChangeEvent): boolean;
  /** Rows of the response to put into the entity store. */
  seed?(data: T): { type: string; rows: Entity[] } | null;
  /** Poll as well (ms), e.g. for endpoints without change events. */
  refreshMs?: number;
  /** A 404 means "not available on this API" rather than an error. */
  missingIsUnavailable?: boolean;
  /** A keyset-paged list: every page is read (`readAllPages`), answered as one list. */
  allPages?: boolean;
}

/**
 * REST first paint (parsed with the contract's `schema`), then live: re-fetches once when its
 * topics go live on a stream that did not replay from before the read (a change committed in
 * between would be lost otherwise), on recovery (connection back, or `reset`), on events
 * `refetchOn` accepts (coalesced); keeps the last data when the API is unreachable (`stale`)
 * while the read is retried with backoff.
 */
export function useLiveResource<S extends z.ZodType>(
  path: string | null,
  schema: S,
  options: LiveResourceOptions<z.output<S>> = {},
): LiveState<z.output<S>> & {
  reload(): void;
  connection: ConnectionState;
  /**
   * The page's live cursor as the read behind `data` began: subscribe to topics named in the
   * answer with it (`useLiveTopics(topics, { since })`), so a change committed between this
   * read and that subscription is not missed (it re-reads instead).
   */
  since: LiveCursor | null;
} {
  type T = z.output<S>;
  const client = useDataClient();
  const connection = useConnection();
  const [state, setState] = useState<LiveState<T>>({ status: 'loading', data: null, error: null, updatedAt: null });
  const [nonce, setNonce] = useState(0);
  const [since, setSince] = useState<LiveCursor | null>(null);
  const last = useRef<{ data: T; at: Date } | null>(null);
  const opts = useRef(options);
  opts.current = options;
  const pathRef = useRef(path);
  if (pathRef.current !== path) {
    pathRef.current = path;
    last.current = null;
  }

  const allPages = options.allPages ?? false;
  useEffect(() => {
    if (!path) return undefined;
    // Taken as the first read starts: a retry or a poll answers later, never earlier (safe).
    const cursor = client.live.cursor();
    return pollPath(
      client,
      path,
      schema,
      () => opts.current.refreshMs ?? 0,
      {
        data: (data) => {
          setSince(cursor);
          const seed = opts.current.seed?.(data);
          if (seed) client.store.seed(seed.type, seed.rows);
          last.current = { data, at: new Date() };
          setState({ status: 'ready', data, error: null, updatedAt: last.current.at });
        },
        error: (error) => {
          if (opts.current.missingIsUnavailable && error instanceof ApiRequestError && error.status === 404) {
            setState({ status: 'unavailable', data: null, error, updatedAt: null });
          } else {
            setState(
              last.current
                ? { status: 'stale', data: last.current.data, error, updatedAt: last.current.at }
                : { status: 'error', data: null, error, updatedAt: null },
            );
          }
        },
      },
      {},
      allPages,
    );
  }, [client, path, schema, nonce, connection.epoch, allPages]);

  const pending = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(() => () => void (pending.current && clearTimeout(pending.current)), []);
  useLiveTopics(path && options.topics?.length ? options.topics : null, {
    onChange: (e) => {
      if (!opts.current.refetchOn?.(e)) return;
      // Coalesced, not debounced: a burst (a gateway down takes its probes with it) costs one
      // re-read 250 ms after its first event, and a steady stream cannot postpone it forever.
      if (pending.current) return;
      pending.current = setTimeout(() => {
        pending.current = null;
        setNonce((n) => n + 1);
      }, 250);
    },
    onResync: () => setNonce((n) => n + 1),
  });

  const reload = useCallback(() => setNonce((n) => n + 1), []);
  // Offline with data in hand: say so, keep showing it.
  const shown: LiveState<T> =
    connection.status === 'offline' && state.status === 'ready'
      ? { status: 'stale', data: state.data, error: null, updatedAt: state.updatedAt }
      : state;
  return { ...shown, reload, connection, since };
}

/** Rows overlaid with the store's live copies; re-renders only when one of these rows changes. */
export function useLiveRows<T extends Entity>(type: string, rows: readonly T[] | null): T[] {
  const client = useDataClient();
  const keys = useMemo(() => new Set<StoreKey>((rows ?? []).map((r) => keyOf(type, r.id))), [type, rows]);
  const version = useRef(0);
  const subscribe = useCallback(
    (notify: () => void) =>
      client.store.subscribe((changed) => {
        for (const k of changed) {
          if (keys.has(k)) {
            version.current++;
            notify();
            return;
          }
        }
      }),
    [client, keys],
  );
  const v = useSyncExternalStore(
    subscribe,
    () => version.current,
    () => 0,
  );
  return useMemo(
    () =>
      (rows ?? []).flatMap((r) => {
        const live = client.store.get<T>(type, r.id);
        if (live === null) return []; // deleted since the page was read
        return [live ? ({ ...r, ...live } as T) : r];
      }),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [client, type, rows, v],
  );
}

/** "data API unreachable — showing data from 14:02:11" (widgets.md), or null when live. */
export function unreachableText(
  state: { status: string; updatedAt: Date | null },
  connection: ConnectionState,
): string | null {
  if (state.status !== 'stale' && connection.status !== 'offline') return null;
  const at = connection.offlineSince ?? state.updatedAt;
  return `data API unreachable — showing data from ${at ? at.toLocaleTimeString() : 'before'}`;
}
