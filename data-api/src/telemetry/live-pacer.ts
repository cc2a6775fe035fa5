import type { StoredReading } from './ingest/readings.ts';

/** A device's samples go out at most this often (http-api.mdx: one sample per 50 ms at most). */
export const DEVICE_EVERY_MS = 50;
/** Samples a second at most, over all devices (4,000): live is best effort, REST is the truth. */
export const MAX_PER_SECOND = 4000;
/** What the rate allows at once after a quiet spell: 50 ms of it. */
const BURST = MAX_PER_SECOND / 20;

/**
 * Which live samples go out now: the newest per device, each device at most once per
 * DEVICE_EVERY_MS, and at most MAX_PER_SECOND in all (a token bucket). A device sent less
 * than DEVICE_EVERY_MS ago keeps its newest sample until its time comes; samples over the
 * rate are dropped. No clock of its own: the caller says when it is (telemetry/live.ts).
 */
export class LivePacer {
  /** The newest unsent sample of each device, in the order devices first got one. */
  private readonly latest = new Map<string, StoredReading>();
  private readonly sentAt = new Map<string, number>();
  private tokens = BURST;
  private refilledAt = 0;
  private prunedAt = 0;

  get size(): number {
    return this.latest.size;
  }

  /** Holds the newest sample of each device; returns when the soonest of them may go out (Infinity: none given). */
  add(samples: StoredReading[]): number {
    let at = Infinity;
    for (const s of samples) {
      const id = s.device_id;
      const prev = this.latest.get(id);
      if (!prev || prev.ts <= s.ts) this.latest.set(id, s);
      if (at > 0) at = Math.min(at, this.dueAt(id));
    }
    return at;
  }

  /** When a sample of this device may go out (0: whenever). */
  dueAt(deviceId: string): number {
    const sent = this.sentAt.get(deviceId);
    return sent === undefined ? 0 : sent + DEVICE_EVERY_MS;
  }

  /**
   * The samples to send at `now` (`all`: every one held, paced or not, as on a stop), and
   * when the next are due (null: none left).
   */
  take(now: number, all = false): { samples: StoredReading[]; nextAt: number | null } {
    this.refill(now);
    const samples: StoredReading[] = [];
    let nextAt: number | null = null;
    for (const [id, s] of this.latest) {
      const at = this.dueAt(id);
      if (!all && at > now) {
        nextAt = nextAt === null ? at : Math.min(nextAt, at);
        continue;
      }
      this.latest.delete(id);
      if (this.tokens < 1) continue; // over the rate: dropped
      this.tokens--;
      this.sentAt.set(id, now);
      samples.push(s);
    }
    this.prune(now);
    return { samples, nextAt };
  }

  private refill(now: number): void {
    this.tokens = Math.min(BURST, this.tokens + ((now - this.refilledAt) * MAX_PER_SECOND) / 1000);
    this.refilledAt = now;
  }

  /** Forgets send times old enough not to hold anything back (once a second: a pass over every device). */
  private prune(now: number): void {
    if (now - this.prunedAt < 1000) return;
    this.prunedAt = now;
    for (const [id, at] of this.sentAt) if (now - at >= DEVICE_EVERY_MS) this.sentAt.delete(id);
  }
}
