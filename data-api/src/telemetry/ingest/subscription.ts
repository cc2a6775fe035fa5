// The ingest's subscriptions on one connection, and whether the broker granted them.
import type { MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { AckTracker } from './ack-tracker.ts';

export const SYS_CLIENTS = '$SYS/broker/clients/connected';
export const SYS_PUBLISHES_RECEIVED = '$SYS/broker/publish/messages/received';

export interface SubscriptionOptions {
  clientId: string;
  filters: string[];
  /** An external broker: also read its own counts ($SYS). */
  external: boolean;
  /** Counts connections (a subscribe answer from an old connection is ignored). */
  acks: AckTracker;
  closing(): boolean;
  log?: Logger;
}

export class IngestSubscription {
  /** The broker granted every subscription on the current connection. */
  subscribed = false;
  /** Why not, when it did not. */
  error: string | null = null;

  constructor(
    private readonly client: MqttClient,
    private readonly o: SubscriptionOptions,
  ) {}

  /**
   * Subscribes on EVERY connect, whatever `sessionPresent` says: a session the broker kept
   * may have lost subscriptions (Mosquitto 2.0 restores plain subscriptions from its saved
   * state but not `$share/…` ones), and subscribing again to what exists only replaces it.
   * Resolves with the filters the broker refused; a refusal is retried every 10 s, and
   * /health reports the replica down until every filter is granted.
   */
  async subscribe(sessionPresent: boolean): Promise<string[]> {
    const { client, o } = this;
    const at = o.acks.generation;
    this.subscribed = false;
    let refused: string[] = [];
    try {
      await client.subscribeAsync(Object.fromEntries(o.filters.map((s) => [s, { qos: 1 as const }])));
      if (at !== o.acks.generation) return [];
      this.subscribed = true;
      this.error = null;
    } catch (err) {
      if (at !== o.acks.generation) return [];
      // mqtt.js rejects a SUBACK holding a failure code, with the SUBACK (in our order) attached.
      const granted = (err as { packet?: { granted?: number[] } }).packet?.granted;
      refused = granted ? o.filters.filter((_, i) => (granted[i]! & 0x80) !== 0) : [];
      this.error = refused.length
        ? `the broker refused the subscription to ${refused.join(', ')} (check the ACL of the API's MQTT user)`
        : `subscribing failed: ${(err as Error).message}`;
    }
    if (!this.subscribed) {
      o.log?.error({ clientId: o.clientId, err: this.error }, 'ingest not subscribed; retrying in 10 s');
      setTimeout(() => {
        if (at === o.acks.generation && client.connected && !o.closing()) void this.subscribe(sessionPresent);
      }, 10_000).unref();
      return refused;
    }
    // The broker's own counts (Mosquitto): clients for /metrics, publishes for the starvation check.
    if (o.external) client.subscribe([SYS_CLIENTS, SYS_PUBLISHES_RECEIVED], { qos: 0 });
    o.log?.info(
      { clientId: o.clientId, subscriptions: o.filters, session_present: sessionPresent },
      'ingest subscribed',
    );
    return [];
  }
}
