// The API as the CLIs see it (`fleetbook work`, `fleetbook silence`): bodies built from the contracts'
// types, answers parsed with their schemas, errors with the API's message and the fields it named.
import type { z } from 'zod';

/** Why a fetch to the API threw (no HTTP answer): a timeout, a refused connection, or the cause's words. */
export function fetchFailure(err: unknown, refused = 'connection refused'): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError') return 'no answer in time';
  if (e.cause?.code === 'ECONNREFUSED') return refused;
  return e.cause?.message ?? e.message ?? String(err);
}

export class ApiClientError extends Error {
  constructor(
    message: string,
    /** 0: no answer (refused, timed out). */
    readonly status: number,
    readonly issues: Array<{ path: string; message: string }> = [],
  ) {
    super(message);
    this.name = 'ApiClientError';
  }
}

/** A CLI's view of the API: one call, its answer parsed with the contract's schema. */
export class ApiClient {
  constructor(protected readonly opts: { api: string; token?: string; timeoutMs?: number }) {}

  protected async call<S extends z.ZodType>(
    method: string,
    path: string,
    schema: S,
    body?: unknown,
  ): Promise<z.infer<S>> {
    const url = `${this.opts.api.replace(/\/+$/, '')}/api/v1${path}`;
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: {
          accept: 'application/json',
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(this.opts.token ? { authorization: `Bearer ${this.opts.token}` } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 15_000),
      });
    } catch (err) {
      const why = fetchFailure(err, 'connection refused (is fleetbook running? --api or FLEETBOOK_API_URL)');
      throw new ApiClientError(`${method} ${url}: ${why}`, 0);
    }
    const text = await res.text();
    let data: unknown = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      // not JSON: reported below with the status
    }
    if (!res.ok) {
      const e = (data ?? {}) as { message?: string; issues?: Array<{ path: string; message: string }> };
      throw new ApiClientError(
        `${method} ${path}: HTTP ${res.status}: ${e.message ?? text.slice(0, 300)}`,
        res.status,
        e.issues ?? [],
      );
    }
    const parsed = schema.safeParse(data);
    if (!parsed.success)
      throw new ApiClientError(
        `${method} ${path}: the API answered something this CLI does not understand (is it an older version?)`,
        res.status,
      );
    return parsed.data;
  }
}
