// Pure (no DOM, no React): the read loop behind `useResource` and `useLiveResource`.
import type * as z from 'zod';
import { backoffDelay, type BackoffOptions } from './backoff.ts';
import { ApiRequestError, type DataClient } from './client.ts';
import { ContractMismatchError, parseAnswer } from './parse.ts';

/**
 * A failure that may pass by itself: the API unreachable, a 5xx, a 408 or 429. A 4xx says
 * the request itself is wrong (no token, no such path) and an answer of another shape stays
 * that shape: reading again would only repeat them.
 */
export function isTransient(err: unknown): boolean {
  if (err instanceof ContractMismatchError) return false;
  if (err instanceof ApiRequestError) return err.status >= 500 || err.status === 408 || err.status === 429;
  return true;
}

/**
 * Reads `path` now and again `every()` ms after each answer (0: once); hands each answer,
 * parsed with `schema`, or the failure to `on` until the returned cleanup runs (which aborts
 * the request in flight). A transient failure is retried with `backoff` (500 ms doubling to
 * 5 s, or `every()` if that is sooner) until an answer comes, also when `every()` is 0: one
 * failed read must not leave a widget stale until something else happens to read again.
 * The read loop of `useResource` and `useLiveResource`.
 */
export function pollPath<S extends z.ZodType>(
  client: DataClient,
  path: string,
  schema: S,
  every: () => number,
  on: { data(data: z.output<S>): void; error(error: Error): void },
  backoff: Partial<BackoffOptions> = {},
  /** A keyset-paged list (`{ items, next_cursor }`): read every page, answered as one list. */
  allPages = false,
): () => void {
  let cancelled = false;
  let failures = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const controller = new AbortController();
  const load = async () => {
    let failed: Error | null = null;
    try {
      const data = allPages
        ? await readAllPages(client, path, schema, controller.signal)
        : parseAnswer(schema, path, await client.get<unknown>(path, controller.signal));
      if (cancelled) return;
      failures = 0;
      on.data(data);
    } catch (err) {
      if (cancelled) return;
      failed = err as Error;
      on.error(failed);
    }
    if (cancelled) return;
    const refresh = every();
    const ms =
      failed && isTransient(failed)
        ? Math.min(backoffDelay(failures++, backoff), refresh > 0 ? refresh : Infinity)
        : refresh;
    if (ms > 0) timer = setTimeout(load, ms);
  };
  void load();
  return () => {
    cancelled = true;
    controller.abort();
    if (timer) clearTimeout(timer);
  };
}

/** At most this many pages in one read (500 rows each at most: 10 000 rows). */
export const MAX_PAGES = 20;

/**
 * Every page of a keyset-paged list, following `next_cursor`, each page parsed with `schema`;
 * the answer is the first page's with every page's items (`next_cursor` of the last page read:
 * null, unless MAX_PAGES were not enough).
 */
export async function readAllPages<S extends z.ZodType>(
  client: DataClient,
  path: string,
  schema: S,
  signal?: AbortSignal,
): Promise<z.output<S>> {
  type Paged = { items: unknown[]; next_cursor: string | null };
  const first = parseAnswer(schema, path, await client.get<unknown>(path, signal)) as z.output<S> & Paged;
  const items = [...first.items];
  let cursor = first.next_cursor;
  for (let n = 1; cursor && n < MAX_PAGES; n++) {
    const next = `${path}${path.includes('?') ? '&' : '?'}cursor=${encodeURIComponent(cursor)}`;
    const page = parseAnswer(schema, next, await client.get<unknown>(next, signal)) as Paged;
    items.push(...page.items);
    cursor = page.next_cursor;
  }
  return { ...first, items, next_cursor: cursor };
}
