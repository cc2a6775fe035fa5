// The runner's hooks: the token saved in this browser, who the API says we are, the action
// queue, and one execution kept live (REST first, then change events and action results).
import { useCallback, useEffect, useRef, useState, useSyncExternalStore } from 'react';
import {
  conflictSchema,
  executionSchema,
  itemActionResultSchema,
  whoamiSchema,
  type Execution,
  type ExecutionSummary,
  type ItemState,
  type Whoami,
} from '../../data-api/src/contracts/executions.ts';
import { ApiRequestError, TOKEN_KEY } from '../data/client.ts';
import { useConnection, useLiveTopics } from '../data/useLive.ts';
import { useDataClient } from '../data/useResource.ts';
import { runbookQueue } from './actions.ts';
import { applyExecution, applyExecutionEvent, applyItem } from './model.ts';
import type { ActionQueue, QueueEntry, QueueSnapshot } from './queue.ts';

/** The data client reads the bearer token from here (src/data/client.ts). */
const TOKEN_EVENT = 'fleetbook-token-changed';

function readToken(): string | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

/** The token saved in this browser, and a setter that every runner on the page hears. */
export function useToken(): [string | null, (token: string | null) => void] {
  const subscribe = useCallback((notify: () => void) => {
    window.addEventListener(TOKEN_EVENT, notify);
    window.addEventListener('storage', notify);
    return () => {
      window.removeEventListener(TOKEN_EVENT, notify);
      window.removeEventListener('storage', notify);
    };
  }, []);
  const token = useSyncExternalStore(subscribe, readToken, () => null);
  const set = useCallback((value: string | null) => {
    if (value) localStorage.setItem(TOKEN_KEY, value.trim());
    else localStorage.removeItem(TOKEN_KEY);
    window.dispatchEvent(new Event(TOKEN_EVENT));
  }, []);
  return [token, set];
}

/** Who the API says we are (name, role, lead), re-read when the token changes. */
export function useWhoami(token: string | null): { whoami: Whoami | null; error: string | null } {
  const client = useDataClient();
  const [state, setState] = useState<{ whoami: Whoami | null; error: string | null }>({ whoami: null, error: null });
  useEffect(() => {
    const controller = new AbortController();
    client
      .read(whoamiSchema, '/runbook-leads/me', controller.signal)
      .then((whoami) => setState({ whoami, error: null }))
      .catch((err: Error) => {
        if (!controller.signal.aborted)
          setState({
            whoami: null,
            error:
              err instanceof ApiRequestError && err.status === 401
                ? 'the saved token is unknown or revoked'
                : err.message,
          });
      });
    return () => controller.abort();
  }, [client, token]);
  return state;
}

const EMPTY_QUEUE: QueueSnapshot = { entries: [], flushing: false, waiting: null };

export function useQueue(): { queue: ActionQueue | null; snapshot: QueueSnapshot } {
  const client = useDataClient();
  const queue = typeof window === 'undefined' ? null : runbookQueue(client);
  const snapshot = useSyncExternalStore(
    useCallback((notify: () => void) => (queue ? queue.subscribe(notify) : () => {}), [queue]),
    () => (queue ? queue.getSnapshot() : EMPTY_QUEUE),
    () => EMPTY_QUEUE,
  );
  return { queue, snapshot };
}

/** Why the API refused one of our actions (shown beside the item or gate it was about). */
export interface Refusal {
  seq: number;
  kind: QueueEntry['action']['kind'];
  itemId: string | null;
  gateId: string | null;
  status: number;
  message: string;
  /** A stale `if_version`: the item as it is now (who changed it, when). */
  current: ItemState | null;
}

export interface ExecutionState {
  status: 'idle' | 'loading' | 'ready' | 'error';
  execution: Execution | null;
  error: string | null;
  refusals: Refusal[];
  dismiss(seq: number): void;
  reload(): void;
  /** Replace with a fresh execution from an action that returned one (start). */
  set(execution: Execution): void;
  /** Apply one item and the header from an answer sent outside the queue (an auto_check's). */
  applyItem(item: ItemState, summary: ExecutionSummary): void;
}

/** One execution, live: REST first paint, then change events (`execution:<id>`) and our own results. */
export function useExecution(id: string | null, queue: ActionQueue | null): ExecutionState {
  const client = useDataClient();
  const connection = useConnection();
  const [execution, setExecution] = useState<Execution | null>(null);
  const [status, setStatus] = useState<ExecutionState['status']>(id ? 'loading' : 'idle');
  const [error, setError] = useState<string | null>(null);
  const [refusals, setRefusals] = useState<Refusal[]>([]);
  const [nonce, setNonce] = useState(0);
  const current = useRef<Execution | null>(null);
  const put = useCallback((next: Execution | null) => {
    current.current = next;
    setExecution(next);
  }, []);

  useEffect(() => {
    if (current.current && current.current.id !== id) put(null);
    if (!id) {
      setStatus('idle');
      return undefined;
    }
    const controller = new AbortController();
    if (!current.current) setStatus('loading');
    client
      .read(executionSchema, `/runbook-executions/${encodeURIComponent(id)}`, controller.signal)
      .then((e) => {
        put(applyExecution(current.current, e));
        setStatus('ready');
        setError(null);
      })
      .catch((err: Error) => {
        if (controller.signal.aborted) return;
        setError(err.message);
        setStatus(current.current ? 'ready' : 'error');
      });
    return () => controller.abort();
  }, [client, id, nonce, connection.epoch, put]);

  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const reloadSoon = useCallback(() => {
    if (timer.current) clearTimeout(timer.current);
    timer.current = setTimeout(() => setNonce((n) => n + 1), 200);
  }, []);
  useEffect(() => () => void (timer.current && clearTimeout(timer.current)), []);

  useLiveTopics(id ? [`execution:${id}`] : null, {
    onChange: (event) => {
      const { execution: next, reread } = applyExecutionEvent(current.current, event);
      if (next !== current.current) put(next);
      if (reread) reloadSoon();
    },
  });

  useEffect(() => {
    if (!queue || !id) return undefined;
    return queue.onEvent((ev) => {
      if (ev.entry.action.executionId !== id) return;
      const a = ev.entry.action;
      if (ev.type === 'sent') {
        // Sign-off, finish and abandon answer the execution; item actions and uploads the item and the header.
        const asExecution = executionSchema.safeParse(ev.result);
        const asItem = asExecution.success ? null : itemActionResultSchema.safeParse(ev.result);
        const e = current.current;
        if (asExecution.success) put(applyExecution(e, asExecution.data));
        else if (e && asItem?.success) put(applyItem(e, asItem.data.item, asItem.data.execution));
      } else if (ev.type === 'rejected') {
        const conflict = conflictSchema.safeParse(ev.error.body);
        const body = conflict.success ? conflict.data : null;
        const refusal: Refusal = {
          seq: ev.entry.seq,
          kind: a.kind,
          itemId: 'itemId' in a ? a.itemId : null,
          gateId: 'gateId' in a ? a.gateId : null,
          status: ev.error.status,
          message: ev.error.message,
          current: body?.current ?? null,
        };
        setRefusals((list) => [...list, refusal]);
        if (refusal.current && current.current) put(applyItem(current.current, refusal.current));
        reloadSoon();
      }
    });
  }, [queue, id, put, reloadSoon]);

  return {
    status,
    execution,
    error,
    refusals,
    dismiss: useCallback((seq: number) => setRefusals((list) => list.filter((r) => r.seq !== seq)), []),
    reload: useCallback(() => setNonce((n) => n + 1), []),
    set: useCallback(
      (e: Execution) => {
        put(e);
        setStatus('ready');
      },
      [put],
    ),
    applyItem: useCallback(
      (item: ItemState, summary: ExecutionSummary) => {
        if (current.current) put(applyItem(current.current, item, summary));
      },
      [put],
    ),
  };
}

/** An evidence file fetched with the token (an `<img src>` cannot send it), as an object URL. */
export function useBlobUrl(path: string | null): string | null {
  const client = useDataClient();
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    if (!path) return undefined;
    let made: string | null = null;
    const controller = new AbortController();
    client
      .blob(path.replace(/^\/api\/v1/, ''), controller.signal)
      .then((b) => {
        made = URL.createObjectURL(b);
        setUrl(made);
      })
      .catch(() => setUrl(null));
    return () => {
      controller.abort();
      if (made) URL.revokeObjectURL(made);
    };
  }, [client, path]);
  return url;
}

/**
 * An object URL for a blob of this page (a photo picked but not uploaded yet), revoked when no
 * longer shown. `key` names the blob: the queue re-reads its entries from IndexedDB (a new Blob
 * object each time), and the same photo should not be drawn again for that.
 */
export function useObjectUrl(blob: Blob | null, key: string | number): string | null {
  const [url, setUrl] = useState<string | null>(null);
  const latest = useRef(blob);
  latest.current = blob;
  const present = blob !== null;
  useEffect(() => {
    const b = latest.current;
    if (!present || !b) {
      setUrl(null);
      return undefined;
    }
    const made = URL.createObjectURL(b);
    setUrl(made);
    return () => URL.revokeObjectURL(made);
  }, [key, present]);
  return url;
}
