import type { Histogram } from 'prom-client';
import type { WithMetrics } from './registry.ts';

export type DeliveryOutcome = 'delivered' | 'retry' | 'failed';

/**
 * `fleetbook_notification_delivery_seconds{channel,outcome}`: one observation per delivery
 * attempt (webhook, slack, email, whatsapp), from hand-over to the channel's answer. Its
 * `_count` is the attempt count; `outcome="retry"` is a failure that will be tried again.
 */
export function notificationDeliverySeconds(ctx: WithMetrics): Histogram<'channel' | 'outcome'> {
  return ctx.metrics.histogram(
    'fleetbook_notification_delivery_seconds',
    'Notification delivery attempts by channel and outcome',
    {
      labelNames: ['channel', 'outcome'] as const,
      // Chat webhooks answer in ~100 ms; SMTP and provider APIs can take their whole timeout.
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    },
  );
}

/** The outcome label of a channel's DeliveryResult. */
export function deliveryOutcome(result: { ok: boolean; retryable?: boolean }): DeliveryOutcome {
  return result.ok ? 'delivered' : result.retryable ? 'retry' : 'failed';
}
