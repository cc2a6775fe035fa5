// Pure (no DOM, no React): the read loop behind `useResource` and `useLiveResource`.
import type * as z from 'zod';
import type { DataClient } from './client.ts';
import { parseAnswer } from './parse.ts';

/**
 * Reads `path` now and again `every()` ms after each answer (0: once); hands each answer,
 * parsed with `schema`, or the failure to `on` until the returned cleanup runs (which aborts
 * the request in flight). The read loop of `useResource` and `useLiveResource`.
 */
export function pollPath<S extends z.ZodType>(
  client: DataClient,
  path: string,
  schema: S,
  every: () => number,
  on: { data(data: z.output<S>): void; error(error: Error): void },
): () => void {
  let cancelled = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const controller = new AbortController();
  const load = async () => {
    try {
      const data = parseAnswer(schema, path, await client.get<unknown>(path, controller.signal));
      if (cancelled) return;
      on.data(data);
    } catch (err) {
      if (cancelled) return;
      on.error(err as Error);
    }
    const ms = every();
    if (!cancelled && ms > 0) timer = setTimeout(load, ms);
  };
  void load();
  return () => {
    cancelled = true;
    controller.abort();
    if (timer) clearTimeout(timer);
  };
}
