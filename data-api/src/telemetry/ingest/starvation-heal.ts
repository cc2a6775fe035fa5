/**
 * What a starved replica does about it (starvation.ts says when it is starved): it drops its
 * MQTT connection and resumes the same persistent session (clean: false), which subscribes
 * again (subscription.ts does on every connect). A broker that lost the `$share` subscription
 * or wedged the session's in-flight window gets a fresh start for it; the QoS 1 messages it
 * sent and never had acknowledged come again on the resumed session (the PUBACKs owed on the
 * old connection are dropped, AckTracker.connectionLost; the insert is idempotent on msg_id).
 *
 * Not more than once a minute, doubling while it does not help (1, 2, 4, 8, then every
 * 15 min), back to a minute once messages flow: a replica starved for a reason a reconnect
 * cannot fix (an ACL that no longer lets it read) must not hammer the broker.
 */
export const RESUBSCRIBE_BACKOFF = { minMs: 60_000, maxMs: 15 * 60_000 };

/** When this replica last reconnected for being starved, and how many times in a row without a message since. */
export interface ResubscribeBackoff {
  lastAt: number | null;
  streak: number;
}

/** How long after the last forced reconnect the next may come: a minute, doubling with the streak, to the cap. */
export function resubscribeDelayMs(streak: number, b = RESUBSCRIBE_BACKOFF): number {
  return Math.min(b.minMs * 2 ** Math.max(0, streak - 1), b.maxMs);
}

/** May a starved replica reconnect now? */
export function resubscribeDue(s: ResubscribeBackoff, now: number, b = RESUBSCRIBE_BACKOFF): boolean {
  return s.lastAt === null || now - s.lastAt >= resubscribeDelayMs(s.streak, b);
}

/** The backoff after a forced reconnect at `now`. */
export function resubscribed(s: ResubscribeBackoff, now: number): ResubscribeBackoff {
  return { lastAt: now, streak: s.streak + 1 };
}

/** The backoff once a message arrived: the streak ends (the minute since the last reconnect still holds). */
export function flowing(s: ResubscribeBackoff): ResubscribeBackoff {
  return { lastAt: s.lastAt, streak: 0 };
}

export interface StarvationHealOptions {
  clientId: string;
  /** Drops the connection (the MQTT client reconnects by itself). */
  drop(): void;
  /** Counts it (`fleetbook_ingest_resubscribes_total{reason="starved"}`). */
  counted(): void;
  log?: {
    warn(o: object, msg: string): void;
    info(o: object, msg: string): void;
  };
}

export class StarvationHeal {
  private backoff: ResubscribeBackoff = { lastAt: null, streak: 0 };
  /** Why the connection was dropped, from then until the next connect (what /health says meanwhile). */
  reconnecting: string | null = null;

  constructor(private readonly o: StarvationHealOptions) {}

  /** After each `$SYS` sample, on a connected and subscribed replica: the starvation verdict (null: not starved). */
  check(verdict: string | null, now = Date.now()): void {
    if (verdict === null || this.reconnecting !== null || !resubscribeDue(this.backoff, now)) return;
    this.backoff = resubscribed(this.backoff, now);
    this.reconnecting = verdict;
    this.o.log?.warn(
      {
        clientId: this.o.clientId,
        reason: 'starved',
        detail: verdict,
        in_a_row: this.backoff.streak,
        next_in_s: resubscribeDelayMs(this.backoff.streak) / 1000,
      },
      'ingest starved: dropping its MQTT connection to resume the session and subscribe again',
    );
    this.o.counted();
    this.o.drop();
  }

  /** The connection is up again; true when it was one this dropped (the starvation watch keeps its count). */
  connected(): boolean {
    const forced = this.reconnecting !== null;
    this.reconnecting = null;
    return forced;
  }

  /** A message arrived (cheap: called for every message). */
  received(): void {
    if (this.backoff.streak === 0) return;
    this.o.log?.info(
      { clientId: this.o.clientId, resubscribes: this.backoff.streak },
      'ingest receiving again after subscribing again',
    );
    this.backoff = flowing(this.backoff);
  }
}
