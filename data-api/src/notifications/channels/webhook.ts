// Generic webhook: Alertmanager's webhook body (version 4) plus fleetbook's `fleetbook` object,
// so receivers written for Alertmanager take it as is. Signed (HMAC-SHA256 over
// `<timestamp>.<body>`, so a captured request cannot be replayed later with another timestamp)
// and carrying an Idempotency-Key that stays the same across retries of one notification.
import { createHmac } from 'node:crypto';
import type { WebhookConfig } from '../../contracts/notification-channels.ts';
import { isSecretRef } from '../../contracts/notification-channels.ts';
import { VERSION } from '../../kernel/version.ts';
import { failureOf, post, resolveField, resultOfAnswer } from './http.ts';
import type { Channel, DeliveryResult, OutgoingNotification, SendContext } from './types.ts';

export const SIGNATURE_HEADER = 'X-Fleetbook-Signature';
export const TIMESTAMP_HEADER = 'X-Fleetbook-Timestamp';

/** The value of X-Fleetbook-Signature for a body sent at `timestamp` (unix seconds). */
export function webhookSignature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** The body as sent: at most `max_alerts` alerts, the others counted in truncatedAlerts. */
export function webhookBody(config: WebhookConfig, n: OutgoingNotification): OutgoingNotification {
  const max = config.max_alerts ?? 0;
  if (max <= 0 || n.alerts.length <= max) return n;
  return { ...n, alerts: n.alerts.slice(0, max), truncatedAlerts: n.truncatedAlerts + n.alerts.length - max };
}

async function send(config: WebhookConfig, n: OutgoingNotification, ctx: SendContext): Promise<DeliveryResult> {
  let url = config.url;
  if (isSecretRef(url)) {
    const r = resolveField(ctx, 'url', url);
    if ('failure' in r) return r.failure;
    url = r.value;
  }
  const body = JSON.stringify(webhookBody(config, n));
  const timestamp = String(Math.floor(Date.now() / 1000));
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    'User-Agent': `fleetbook/${VERSION}`,
    'Idempotency-Key': ctx.idempotencyKey,
    [TIMESTAMP_HEADER]: timestamp,
  };
  if (config.hmac_secret) {
    const r = resolveField(ctx, 'hmac_secret', config.hmac_secret);
    if ('failure' in r) return r.failure;
    headers[SIGNATURE_HEADER] = webhookSignature(r.value, timestamp, body);
  }
  if (config.bearer_token) {
    const r = resolveField(ctx, 'bearer_token', config.bearer_token);
    if ('failure' in r) return r.failure;
    headers.Authorization = `Bearer ${r.value}`;
  }
  try {
    return resultOfAnswer(await post(url, body, headers, ctx));
  } catch (err) {
    return failureOf(err, ctx);
  }
}

export const webhookChannel: Channel<WebhookConfig> = { type: 'webhook', send };
