import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';

export interface HttpRequestOptions {
  method?: string;
  url: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Per request; the error says "timed out after …". */
  timeoutMs?: number;
  signal?: AbortSignal;
  tls?: { insecure?: boolean; caFile?: string };
}

export interface HttpResponse {
  status: number;
  /** The reason phrase: Proxmox puts its error message here ("500 VM 9000 does not exist"). */
  statusMessage: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A failure to talk HTTP at all (refused, reset, DNS, TLS, timeout), as opposed to an error status. */
export class HttpTransportError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'HttpTransportError';
  }
}

/**
 * One HTTP(S) request over node:http, so that TLS options (a private CA, a self-signed
 * certificate) and timeouts are per request. Resolves for every status; rejects only on
 * transport errors.
 */
export function httpRequest(opts: HttpRequestOptions): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    let url: URL;
    try {
      url = new URL(opts.url);
    } catch {
      reject(new HttpTransportError(`invalid URL ${opts.url}`, 'EINVALIDURL'));
      return;
    }
    const isHttps = url.protocol === 'https:';
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.body !== undefined) headers['content-length'] = String(Buffer.byteLength(opts.body));
    const req = (isHttps ? https : http).request(
      url,
      {
        method: opts.method ?? 'GET',
        headers,
        ...(isHttps
          ? {
              rejectUnauthorized: !opts.tls?.insecure,
              ...(opts.tls?.caFile ? { ca: fs.readFileSync(opts.tls.caFile) } : {}),
            }
          : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          cleanup();
          resolve({
            status: res.statusCode ?? 0,
            statusMessage: res.statusMessage ?? '',
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          });
        });
        res.on('error', (err) => {
          cleanup();
          reject(new HttpTransportError(`${opts.method ?? 'GET'} ${redact(url)}: ${err.message}`, 'ERESPONSE'));
        });
      },
    );
    const timeoutMs = opts.timeoutMs ?? 30_000;
    const timer = setTimeout(() => {
      req.destroy(
        new HttpTransportError(
          `${opts.method ?? 'GET'} ${redact(url)}: no answer within ${formatMs(timeoutMs)}`,
          'ETIMEDOUT',
        ),
      );
    }, timeoutMs);
    const onAbort = () =>
      req.destroy(new HttpTransportError(`${opts.method ?? 'GET'} ${redact(url)}: aborted`, 'EABORTED'));
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const cleanup = () => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
    };
    req.on('error', (err) => {
      cleanup();
      if (err instanceof HttpTransportError) reject(err);
      else
        reject(
          new HttpTransportError(
            `${opts.method ?? 'GET'} ${redact(url)}: ${describeNetError(err)}`,
            (err as NodeJS.ErrnoException).code ?? 'ENET',
          ),
        );
    });
    if (opts.signal?.aborted) onAbort();
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

function redact(url: URL): string {
  const u = new URL(url);
  u.username = '';
  u.password = '';
  return u.toString();
}

export function describeNetError(err: Error): string {
  const code = (err as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
      return 'host not found';
    case 'ECONNRESET':
      return 'connection reset';
    case 'EHOSTUNREACH':
      return 'host unreachable';
    default:
      return err.message;
  }
}

export function formatMs(ms: number): string {
  return ms >= 1000 ? `${+(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}

/** setTimeout as a promise that an abort ends early (rejecting with the signal's reason). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
