// One HTTP POST for the HTTP channels (webhook, WhatsApp): a deadline covering connect, headers
// and body, an answer read only up to a cap (a 10 MB or never-ending answer costs 64 KiB and
// the deadline), and the receiver's answer classified the way Alertmanager does: 5xx, 429,
// network errors and timeouts are retried, other 4xx are not.
import http from 'node:http';
import https from 'node:https';
import type { DeliveryResult, SendContext } from './types.ts';

/** The most of a receiver's answer kept (as `detail`, in the delivery log). */
export const ANSWER_CAP_BYTES = 64 * 1024;
const DETAIL_CAP_CHARS = 2000;

export interface HttpAnswer {
  status: number;
  headers: Headers;
  /** The answer's first bytes (at most ANSWER_CAP_BYTES), decoded as UTF-8. */
  text: string;
  /** The answer was longer than the cap, or ended by the deadline: `text` is its beginning. */
  cut: boolean;
}

export class SendTimeoutError extends Error {}

/** Aborts when the caller aborts or after `timeoutMs`, whichever comes first. */
export function deadline(ctx: SendContext): { signal: AbortSignal; timedOut: () => boolean; done: () => void } {
  const controller = new AbortController();
  let expired = false;
  const timer = setTimeout(() => {
    expired = true;
    controller.abort(new SendTimeoutError(`no complete answer within ${ctx.timeoutMs} ms`));
  }, ctx.timeoutMs);
  const onAbort = () => controller.abort(ctx.signal.reason);
  if (ctx.signal.aborted) onAbort();
  else ctx.signal.addEventListener('abort', onAbort, { once: true });
  return {
    signal: controller.signal,
    timedOut: () => expired,
    done: () => {
      clearTimeout(timer);
      ctx.signal.removeEventListener('abort', onAbort);
    },
  };
}

function headersOf(raw: http.IncomingHttpHeaders): Headers {
  const h = new Headers();
  for (const [k, v] of Object.entries(raw)) if (v !== undefined) h.set(k, Array.isArray(v) ? v.join(', ') : v);
  return h;
}

/**
 * POSTs `body` and returns the receiver's answer, reading at most ANSWER_CAP_BYTES of it (the
 * rest is never read: the connection is dropped); an answer still coming at the deadline is
 * kept as far as it came. Throws on network errors, timeouts before the status line and
 * aborts (see `failureOf`). One connection per send (no keep-alive pool): sends are rare, and
 * a pooled socket the receiver closed while idle would fail a POST that cannot be replayed.
 * Redirects are not followed: a receiver that moved is a configuration error.
 */
export function post(
  url: string,
  body: string,
  headers: Record<string, string>,
  ctx: SendContext,
): Promise<HttpAnswer> {
  return new Promise<HttpAnswer>((resolve, reject) => {
    const target = new URL(url);
    const client = target.protocol === 'https:' ? https : http;
    const d = deadline(ctx);
    let settled = false;
    let answered = false;
    const fail = (err: unknown) => {
      // Once the status line came, the answer's own handlers settle (keeping what came).
      if (settled || answered) return;
      settled = true;
      d.done();
      reject(d.timedOut() ? new SendTimeoutError(`no answer within ${ctx.timeoutMs} ms`) : err);
    };
    const req = client.request(
      target,
      {
        method: 'POST',
        headers: { ...headers, 'Content-Length': String(Buffer.byteLength(body)) },
        agent: false,
        signal: d.signal,
      },
      (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        let size = 0;
        let cut = false;
        const done = () => {
          if (settled) return;
          settled = true;
          d.done();
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: headersOf(res.headers), text, cut });
          res.destroy();
        };
        res.on('data', (chunk: Buffer) => {
          const room = ANSWER_CAP_BYTES - size;
          chunks.push(chunk.byteLength > room ? chunk.subarray(0, room) : chunk);
          size += Math.min(chunk.byteLength, room);
          if (chunk.byteLength > room) {
            cut = true;
            done();
          }
        });
        res.on('end', done);
        // Aborted by the deadline or dropped mid-answer: keep what came.
        res.on('error', () => {
          cut = true;
          done();
        });
        res.on('close', () => {
          if (!res.complete) cut = true;
          done();
        });
      },
    );
    req.on('error', fail);
    req.end(body);
  });
}

/** `Retry-After` (seconds or an HTTP date) in ms, capped at an hour; undefined when absent or bad. */
export function retryAfterMs(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value.trim());
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(value) - now;
  if (!Number.isFinite(ms) || ms < 0) return undefined;
  return Math.min(ms, 3_600_000);
}

/** The answer shortened for the delivery log. */
export function answerDetail(answer: HttpAnswer): string {
  const text = answer.text.length > DETAIL_CAP_CHARS ? `${answer.text.slice(0, DETAIL_CAP_CHARS)}…` : answer.text;
  const note = answer.cut ? ` (answer cut at ${ANSWER_CAP_BYTES} bytes or by the deadline)` : '';
  return `HTTP ${answer.status}${text ? `: ${text}` : ''}${note}`;
}

/** Alertmanager's rule: 2xx delivered; 5xx and 429 retried; 3xx and other 4xx failed for good. */
export function resultOfAnswer(answer: HttpAnswer): DeliveryResult {
  const detail = answerDetail(answer);
  if (answer.status >= 200 && answer.status < 300) return { ok: true, status: answer.status, detail };
  const retryable = answer.status >= 500 || answer.status === 429 || answer.status === 408;
  const after = retryable ? retryAfterMs(answer.headers.get('retry-after')) : undefined;
  if (answer.status >= 300 && answer.status < 400) {
    const to = answer.headers.get('location');
    return {
      ok: false,
      retryable: false,
      status: answer.status,
      detail: `${detail}${to ? ` (redirect to ${to} not followed)` : ''}`,
    };
  }
  return {
    ok: false,
    retryable,
    status: answer.status,
    detail,
    ...(after !== undefined ? { retryAfterMs: after } : {}),
  };
}

/** A thrown send (timeout, refused, reset, DNS, abort) as a DeliveryResult: retried unless aborted by the caller. */
export function failureOf(err: unknown, ctx: SendContext): DeliveryResult {
  if (err instanceof SendTimeoutError) return { ok: false, retryable: true, detail: err.message };
  if (ctx.signal.aborted) return { ok: false, retryable: true, detail: 'sending was cancelled (shutting down)' };
  const e = err as { message?: string; code?: string; cause?: { code?: string; message?: string } };
  const code = e.cause?.code ?? e.cause?.message ?? e.code;
  const message = e.message ?? String(err);
  return { ok: false, retryable: true, detail: code && !message.includes(code) ? `${message} (${code})` : message };
}

/** A secret reference resolved, or a non-retryable failure naming the field (never the value). */
export function resolveField(
  ctx: SendContext,
  field: string,
  ref: string,
): { value: string } | { failure: DeliveryResult } {
  try {
    const value = ctx.resolveSecret(ref);
    if (!value) throw new Error('empty');
    return { value };
  } catch {
    return {
      failure: { ok: false, retryable: false, detail: `${field}: ${ref} is not set in this process's environment` },
    };
  }
}
