// The seam between the notifications engine (rules, routing, outbox, escalation) and the channel
// senders: the engine builds one OutgoingNotification per group and escalation step, the outbox
// worker hands it to `channelFor(contactPoint.type).send(contactPoint.config, n, ctx)`.
import type { Kysely } from 'kysely';
import type { ContactPointType } from '../../contracts/notification-channels.ts';
import type { Database } from '../../kernel/db/schema.ts';

export interface NotificationAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
  fingerprint: string;
}

/** Alertmanager's webhook shape (version 4) + fleetbook's extras. */
export interface OutgoingNotification {
  version: '4';
  receiver: string;
  status: 'firing' | 'resolved';
  groupKey: string;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  externalURL: string;
  alerts: NotificationAlert[];
  truncatedAlerts: number;
  fleetbook: { notificationId: string; escalationStep: number; ackUrl?: string; runbookUrl?: string; title: string };
}

export interface SendContext {
  idempotencyKey: string;
  attempt: number;
  timeoutMs: number;
  signal: AbortSignal;
  resolveSecret(ref: string): string;
  /** The database, for the channels that write into fleetbook itself (work_item); absent in a plain send. */
  db?: Kysely<Database>;
}

export type DeliveryResult =
  | { ok: true; status?: number; detail?: string }
  | { ok: false; retryable: boolean; status?: number; detail: string; retryAfterMs?: number };

export interface Channel<C> {
  type: ContactPointType;
  send(config: C, n: OutgoingNotification, ctx: SendContext): Promise<DeliveryResult>;
}
