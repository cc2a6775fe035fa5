/**
 * "Subscribed, yet receiving nothing while devices publish": a broker can keep a client
 * connected and its SUBACK granted and still deliver it nothing (Mosquitto drops `$share`
 * subscriptions on a restart, and filters every delivery by the ACL as it reads it now).
 * The only outside witness is the broker's own count of PUBLISHes received, which Mosquitto
 * sends on `$SYS/broker/publish/messages/received` every `sys_interval` (10 s by default).
 *
 * The rule, checked at each `$SYS` sample: while this replica receives nothing, add up what
 * the broker received; once that reaches `minPublishes`, the replica is starved. Any message
 * received clears it at once. Why a count and not "any publish": with a shared subscription
 * every replica gets a share, and a broker round-robins a group, so of N publishes each of k
 * replicas gets about N/k; a replica that got none of `minPublishes` (default 20) is not
 * merely unlucky with a quiet share unless the group has more than 20 replicas. The broker's
 * count also includes what this process does not subscribe to (the API's own `cmd`
 * publishes, other applications on a shared broker), hence a threshold and a switch (0 = off).
 */
export class StarvationWatch {
  private lastBroker: number | null = null;
  private lastReceived = 0;
  private quietPublishes = 0;
  private quietSince: number | null = null;

  constructor(private readonly minPublishes: number) {}

  /** A `$SYS` sample: the broker's PUBLISH count, and how many messages this replica had received by then. */
  sample(brokerPublishes: number, received: number, now = Date.now()): void {
    const last = this.lastBroker;
    this.lastBroker = brokerPublishes;
    if (last === null || brokerPublishes < last || received !== this.lastReceived) {
      // First sample, a restarted broker (its count starts again), or we received something.
      this.lastReceived = received;
      this.quietPublishes = 0;
      this.quietSince = now;
      return;
    }
    this.quietPublishes += brokerPublishes - last;
  }

  /**
   * Forget the samples (a new connection: the broker may be another process). Not called after
   * a reconnect the ingest made for being starved (starvation-heal.ts): /health stays down.
   */
  reset(): void {
    this.lastBroker = null;
    this.quietPublishes = 0;
    this.quietSince = null;
  }

  /** Why the replica is starved, or null; `received` is this replica's count now. */
  verdict(received: number, now = Date.now()): string | null {
    if (this.minPublishes <= 0 || received !== this.lastReceived || this.quietPublishes < this.minPublishes)
      return null;
    const seconds = Math.round((now - (this.quietSince ?? now)) / 1000);
    return `received nothing for ${seconds} s while the broker took ${this.quietPublishes} publishes ($SYS/broker/publish/messages/received)`;
  }
}
