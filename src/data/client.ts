import type * as z from 'zod';
import { LiveConnection } from './live.ts';
import { parseAnswer } from './parse.ts';
import { EntityStore } from './store.ts';

/**
 * The one browser data client. Widgets never call fetch themselves: they read through
 * this client so that base URL, auth, errors and the shared SSE connection (`live`) are
 * handled in one place; `store` holds the entities both feed.
 */
export class ApiRequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** The parsed error body (`{ error, message, issues?, current? }`), when the API sent one. */
    readonly body?: unknown,
  ) {
    super(message);
    this.name = 'ApiRequestError';
  }
}

export interface DataClientOptions {
  /** '' means same origin (the API serves the site). */
  baseUrl: string;
  /** A bearer token, when the page has one (operators). */
  token?: () => string | null;
}

export class DataClient {
  /** Entities by type and id: REST pages seed it, change events update it. */
  readonly store = new EntityStore();
  private connection: LiveConnection | null = null;

  constructor(private readonly options: DataClientOptions) {}

  /** The page's one SSE connection to this API (created on first use). */
  get live(): LiveConnection {
    if (!this.connection) {
      this.connection = new LiveConnection({
        store: this.store,
        url: (topics, lastEventId) => {
          const q = new URLSearchParams({ topics: topics.join(',') });
          if (lastEventId !== null) q.set('last_event_id', String(lastEventId));
          return this.url(`/stream?${q.toString()}`);
        },
        headers: (): Record<string, string> => {
          const token = this.options.token?.();
          return token ? { authorization: `Bearer ${token}` } : {};
        },
      });
    }
    return this.connection;
  }

  /** The caller's bearer token, if the page has one. */
  hasToken(): boolean {
    return !!this.options.token?.();
  }

  url(path: string): string {
    return `${this.options.baseUrl.replace(/\/+$/, '')}/api/v1${path}`;
  }

  async get<T>(path: string, signal?: AbortSignal): Promise<T> {
    return this.request<T>('GET', path, undefined, signal);
  }

  /** GET, the answer parsed with the route's contract schema (data-api/src/contracts): a page never guesses a shape. */
  async read<S extends z.ZodType>(schema: S, path: string, signal?: AbortSignal): Promise<z.output<S>> {
    return parseAnswer(schema, path, await this.request<unknown>('GET', path, undefined, signal));
  }

  /** A write whose answer is parsed with the route's contract schema; `headers` e.g. If-Match. */
  async send<S extends z.ZodType>(
    schema: S,
    method: string,
    path: string,
    body?: unknown,
    signal?: AbortSignal,
    headers?: Record<string, string>,
  ): Promise<z.output<S>> {
    return parseAnswer(schema, path, await this.request<unknown>(method, path, body, signal, headers));
  }

  /** POST a multipart form (evidence uploads); same auth and errors as `request`. */
  async upload<T>(path: string, form: FormData, signal?: AbortSignal): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    const token = this.options.token?.();
    if (token) headers.authorization = `Bearer ${token}`;
    const res = await fetch(this.url(path), { method: 'POST', headers, body: form, signal });
    const text = await res.text();
    const data = text ? safeJson(text) : undefined;
    if (!res.ok)
      throw new ApiRequestError(
        res.status,
        (data as { message?: string } | undefined)?.message ?? `${res.status} ${res.statusText}`,
        data,
      );
    return data as T;
  }

  /** GET bytes with auth (an `<img>` cannot send the bearer token): evidence photos and files. */
  async blob(path: string, signal?: AbortSignal): Promise<Blob> {
    const headers: Record<string, string> = {};
    const token = this.options.token?.();
    if (token) headers.authorization = `Bearer ${token}`;
    const res = await fetch(this.url(path), { headers, signal });
    if (!res.ok) throw new ApiRequestError(res.status, `${res.status} ${res.statusText}`);
    return res.blob();
  }

  /** GET a list as CSV (`Accept: text/csv`: every row the caller may see, no paging) for a download. */
  async csv(path: string, signal?: AbortSignal): Promise<Blob> {
    const headers: Record<string, string> = { accept: 'text/csv' };
    const token = this.options.token?.();
    if (token) headers.authorization = `Bearer ${token}`;
    const res = await fetch(this.url(path), { headers, signal });
    if (!res.ok) throw new ApiRequestError(res.status, `${res.status} ${res.statusText}`);
    return res.blob();
  }

  async request<T>(
    method: string,
    path: string,
    body?: unknown,
    signal?: AbortSignal,
    extraHeaders?: Record<string, string>,
  ): Promise<T> {
    const headers: Record<string, string> = { ...extraHeaders, accept: 'application/json' };
    const token = this.options.token?.();
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(this.url(path), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
    });
    const text = await res.text();
    const data = text ? safeJson(text) : undefined;
    // Health answers 503 with a full body when degraded: that is data, not a failure.
    if (!res.ok && !(res.status === 503 && data && typeof data === 'object' && 'status' in data)) {
      const message = (data as { message?: string } | undefined)?.message ?? `${res.status} ${res.statusText}`;
      throw new ApiRequestError(res.status, message, data);
    }
    return data as T;
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Where the page keeps the API token (the runner's sign-in box writes it; every request reads it). */
export const TOKEN_KEY = 'fleetbook.token';

const clients = new Map<string, DataClient>();

/** One client per base URL for the whole page. */
export function getDataClient(baseUrl: string): DataClient {
  let client = clients.get(baseUrl);
  if (!client) {
    client = new DataClient({
      baseUrl,
      token: () => (typeof localStorage === 'undefined' ? null : localStorage.getItem(TOKEN_KEY)),
    });
    clients.set(baseUrl, client);
  }
  return client;
}
