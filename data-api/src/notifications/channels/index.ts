// The channel registry: the outbox worker sends through `channelFor(point.type)`.
import type { ContactPoint, ContactPointConfig, ContactPointType } from '../../contracts/notification-channels.ts';
import { emailChannel } from './email.ts';
import { slackChannel } from './slack.ts';
import type { Channel, DeliveryResult, OutgoingNotification, SendContext } from './types.ts';
import { webhookChannel } from './webhook.ts';
import { whatsappChannel } from './whatsapp.ts';
import { workItemChannel } from './work-item.ts';

export type { Channel, DeliveryResult, NotificationAlert, OutgoingNotification, SendContext } from './types.ts';

const channels: { [T in ContactPointType]: Channel<ContactPointConfig<T>> } = {
  webhook: webhookChannel,
  slack: slackChannel,
  email: emailChannel,
  whatsapp: whatsappChannel,
  work_item: workItemChannel,
};

/** The sender of a contact point type. */
export function channelFor<T extends ContactPointType>(type: T): Channel<ContactPointConfig<T>> {
  return channels[type] as Channel<ContactPointConfig<T>>;
}

/** Sends `n` to a contact point through its channel (the type narrowing `channelFor` leaves to the caller). */
export function sendToContactPoint(
  point: ContactPoint,
  n: OutgoingNotification,
  ctx: SendContext,
): Promise<DeliveryResult> {
  const channel = channels[point.type] as Channel<ContactPoint['config']>;
  return channel.send(point.config, n, ctx);
}

/** `SendContext.resolveSecret` over an environment: `env:NAME` → its value; unset or empty throws, naming it. */
export function secretsFrom(env: NodeJS.ProcessEnv): (ref: string) => string {
  return (ref) => {
    const name = ref.replace(/^env:/, '');
    const value = env[name];
    if (value === undefined || value === '') throw new Error(`${name} is not set`);
    return value;
  };
}
