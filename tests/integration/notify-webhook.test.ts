// The generic webhook channel against a strict receiver over real HTTP, and against the
// receiver going wrong: 500, 429, 4xx, too slow, silent, 10 MB, never-ending, refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebhookConfig } from '../../data-api/src/contracts/notification-channels.ts';
import { ANSWER_CAP_BYTES } from '../../data-api/src/notifications/channels/http.ts';
import { channelFor } from '../../data-api/src/notifications/channels/index.ts';
import { ALERTMANAGER_FIELDS_NOT_SENT, checkAlertmanagerWebhookBody } from '../helpers/peer-formats.ts';
import { freePort } from '../helpers/ports.ts';
import { resolvedOf, sampleNotification, sendContext } from '../helpers/notifications.ts';
import { startWebhookStandIn, type WebhookStandIn } from '../helpers/webhook-stand-in.ts';

const env = { HOOK_KEY: 'k3y-for-hmac', HOOK_TOKEN: 'bearer-t0ken' };
const webhook = channelFor('webhook');
let hook: WebhookStandIn;
let config: WebhookConfig;

beforeAll(async () => {
  hook = await startWebhookStandIn({ secret: env.HOOK_KEY, bearer: env.HOOK_TOKEN, maxAlerts: 5 });
  config = { url: `${hook.url}/alerts`, hmac_secret: 'env:HOOK_KEY', bearer_token: 'env:HOOK_TOKEN', max_alerts: 5 };
});
afterAll(() => hook.close());

/** Sends with a short deadline and measures how long the channel took to decide. */
async function timed(timeoutMs: number, cfg: WebhookConfig = config) {
  const started = Date.now();
  const result = await webhook.send(cfg, sampleNotification(), sendContext(env, { timeoutMs }));
  return { result, ms: Date.now() - started };
}

describe('webhook channel', () => {
  it('POSTs the Alertmanager-shaped body, signed, with its idempotency key; the receiver finds nothing wrong', async () => {
    const n = sampleNotification({}, ['pump-1', 'pump-2', 'pump-3', 'pump-4', 'pump-5', 'pump-6', 'pump-7']);
    const result = await webhook.send(config, n, sendContext(env));
    expect(result).toMatchObject({ ok: true, status: 200 });
    const req = hook.requests.at(-1)!;
    expect(req.problems).toEqual([]);
    expect(req.headers['idempotency-key']).toBe('ntf_01J2X7AZQ3:ops-hook:0');
    // Alertmanager's own reference, read from the vendored doc: only the documented-later field is absent.
    expect(checkAlertmanagerWebhookBody(req.json)).toEqual([]);
    expect(Object.keys(ALERTMANAGER_FIELDS_NOT_SENT).filter((k) => k in req.json)).toEqual([]);
    expect(req.json.alerts.map((a: { labels: { device: string } }) => a.labels.device)).toEqual([
      'pump-1',
      'pump-2',
      'pump-3',
      'pump-4',
      'pump-5',
    ]);
    expect(req.json.truncatedAlerts).toBe(2);
    expect(req.json.fleetbook).toEqual(n.fleetbook);

    const resolved = await webhook.send(
      config,
      resolvedOf(n, 'ntf_01J2X7B9R0'),
      sendContext(env, { idempotencyKey: 'ntf_01J2X7B9R0:ops-hook:0' }),
    );
    expect(resolved.ok).toBe(true);
    expect(hook.requests.at(-1)!.problems).toEqual([]);
    expect(hook.requests.at(-1)!.json.status).toBe('resolved');
  });

  it('a retry of one notification carries the same key, so the receiver delivers it once', async () => {
    const before = hook.delivered().length;
    const key = 'ntf_01J2X7RETRY:ops-hook:0';
    for (const attempt of [1, 2, 3]) {
      const r = await webhook.send(config, sampleNotification(), sendContext(env, { idempotencyKey: key, attempt }));
      expect(r.ok).toBe(true);
    }
    expect(hook.delivered().length - before).toBe(1);
    expect(hook.requests.filter((r) => r.headers['idempotency-key'] === key)).toHaveLength(3);
  });

  it('a signature made with another key is refused by the receiver: not retryable, its answer kept', async () => {
    const result = await webhook.send(config, sampleNotification(), sendContext({ ...env, HOOK_KEY: 'wrong' }));
    expect(result).toMatchObject({ ok: false, retryable: false, status: 400 });
    expect(!result.ok && result.detail).toContain('x-fleetbook-signature: does not verify');
  });

  it('a missing secret fails for good, naming the field and the variable (never a value)', async () => {
    const result = await webhook.send(config, sampleNotification(), sendContext({ HOOK_TOKEN: env.HOOK_TOKEN }));
    expect(result).toEqual({
      ok: false,
      retryable: false,
      detail: "hmac_secret: env:HOOK_KEY is not set in this process's environment",
    });
  });

  it('5xx and 429 are retried (Retry-After honoured), other 4xx are not, redirects are not followed', async () => {
    hook.failNext(
      { kind: 'status', status: 500, body: 'boom' },
      { kind: 'status', status: 429, body: 'slow down', headers: { 'retry-after': '7' } },
      { kind: 'status', status: 404, body: 'no such hook' },
      { kind: 'status', status: 302, body: '', headers: { location: 'http://elsewhere.example/' } },
    );
    expect((await timed(2000)).result).toEqual({ ok: false, retryable: true, status: 500, detail: 'HTTP 500: boom' });
    expect((await timed(2000)).result).toEqual({
      ok: false,
      retryable: true,
      status: 429,
      detail: 'HTTP 429: slow down',
      retryAfterMs: 7000,
    });
    expect((await timed(2000)).result).toEqual({
      ok: false,
      retryable: false,
      status: 404,
      detail: 'HTTP 404: no such hook',
    });
    const redirect = (await timed(2000)).result;
    expect(redirect).toMatchObject({ ok: false, retryable: false, status: 302 });
    expect(!redirect.ok && redirect.detail).toContain('redirect to http://elsewhere.example/ not followed');
  });

  it('an answer later than the timeout, or none at all, is a retryable timeout decided within the timeout', async () => {
    hook.failNext({ kind: 'delay', ms: 3000 }, { kind: 'hang' });
    for (const _ of ['late', 'silent']) {
      const { result, ms } = await timed(800);
      expect(result).toEqual({ ok: false, retryable: true, detail: 'no answer within 800 ms' });
      expect(ms).toBeGreaterThanOrEqual(790);
      expect(ms).toBeLessThan(800 + 700);
    }
  });

  it('a 10 MB answer is read only up to the cap and the rest left unread', async () => {
    hook.failNext({ kind: 'huge', status: 200 }, { kind: 'huge', status: 500 });
    const ok = await timed(5000);
    expect(ok.result).toMatchObject({ ok: true, status: 200 });
    expect(ok.result.detail!.length).toBeLessThan(ANSWER_CAP_BYTES);
    expect(ok.result.detail).toContain('answer cut');
    const failed = await timed(5000);
    expect(failed.result).toMatchObject({ ok: false, retryable: true, status: 500 });
    expect(ok.ms + failed.ms).toBeLessThan(5000);
    await new Promise((r) => setTimeout(r, 200));
    expect(hook.stats.hugeStarted).toBe(2);
    expect(hook.stats.hugeFinished).toBe(0);
  });

  it('an answer that never ends is cut at the timeout, keeping the status the receiver gave', async () => {
    hook.failNext({ kind: 'endless', status: 200 }, { kind: 'endless', status: 503 });
    const ok = await timed(1200);
    expect(ok.result).toMatchObject({ ok: true, status: 200 });
    expect(ok.ms).toBeLessThan(1200 + 700);
    const failed = await timed(1200);
    expect(failed.result).toMatchObject({ ok: false, retryable: true, status: 503 });
    expect(failed.ms).toBeLessThan(1200 + 700);
  });

  it('a refused connection is retryable and says why', async () => {
    const port = await freePort();
    const { result } = await timed(2000, { ...config, url: `http://127.0.0.1:${port}/` });
    expect(result).toMatchObject({ ok: false, retryable: true });
    expect(!result.ok && result.detail).toContain('ECONNREFUSED');
  });

  it('the caller cancelling (shutdown) ends the send at once, retryable', async () => {
    hook.failNext({ kind: 'hang' });
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 100);
    const result = await webhook.send(
      config,
      sampleNotification(),
      sendContext(env, { timeoutMs: 10_000, signal: controller.signal }),
    );
    expect(result).toEqual({ ok: false, retryable: true, detail: 'sending was cancelled (shutting down)' });
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
