import { LiveConnection, type LiveConnectionOptions } from '../../src/data/live.ts';

/**
 * A page's live connection to the API at `base`, as DataClient builds it, with a bearer
 * token; `options` override (a fetch that holds the stream back, short timeouts).
 */
export function pageConnection(
  base: string,
  token: string,
  options: Partial<LiveConnectionOptions> = {},
): LiveConnection {
  return new LiveConnection({
    url: (topics, last) =>
      `${base}/api/v1/stream?topics=${topics.join(',')}${last !== null ? `&last_event_id=${last}` : ''}`,
    headers: () => ({ authorization: `Bearer ${token}` }),
    settleMs: 0,
    ...options,
  });
}
