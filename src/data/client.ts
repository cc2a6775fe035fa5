/**
 * The one browser data client. Widgets never call fetch themselves: they read through
 * this client so that base URL, auth, errors and (later) the shared SSE connection are
 * handled in one place.
 */
export class ApiRequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
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
  constructor(private readonly options: DataClientOptions) {}

  url(path: string): string {
    return `${this.options.baseUrl.replace(/\/+$/, '')}/api/v1${path}`;
  }

  async get<T>(path: string, signal?: AbortSignal): Promise<T> {
    return this.request<T>('GET', path, undefined, signal);
  }

  async request<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
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
      throw new ApiRequestError(res.status, message);
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

const clients = new Map<string, DataClient>();

/** One client per base URL for the whole page. */
export function getDataClient(baseUrl: string): DataClient {
  let client = clients.get(baseUrl);
  if (!client) {
    client = new DataClient({
      baseUrl,
      token: () => (typeof localStorage === 'undefined' ? null : localStorage.getItem('fleetbook.token')),
    });
    clients.set(baseUrl, client);
  }
  return client;
}
