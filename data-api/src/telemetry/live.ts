import { sql, type Kysely } from 'kysely';
import { LIVE_CHANNEL, MAX_NOTIFY_BYTES } from '../kernel/changes/service.ts';
import type { Database } from '../kernel/db/index.ts';
import type { LiveSample } from '../contracts/stream.ts';
import type { StoredReading } from './ingest/readings.ts';
import { LivePacer } from './live-pacer.ts';

/**
 * NOTIFY statements at most this often. Samples go out as soon as their batch commits (a
 * fixed 50 ms window added 50 ms to the samples that made it: the rate cap kept a window's
 * first ones), unless a statement went out less than this long ago or is still running.
 */
const FLUSH_EVERY_MS = 10;

/**
 * Live telemetry for the stream (architecture.md: not in the change table): the ingest
 * hands over the samples of each committed batch; they go out on the stream's NOTIFY
 * channel (`LIVE_CHANNEL`) paced by LivePacer (newest per device, each device at most every
 * 50 ms), so every replica's SSE clients see every device whichever replica ingested it.
 * All of a flush goes in one statement, and one statement at a time: a device's samples
 * keep their order, and under load a flush takes everything that came while one ran.
 */
export class LiveTelemetry {
  private readonly pacer = new LivePacer();
  private timer: NodeJS.Timeout | null = null;
  /** When the armed timer fires. */
  private timerAt = 0;
  private flushing: Promise<void> | null = null;
  private flushedAt = -Infinity;

  // Only the database: kernel/context.ts holds this class, so naming AppContext here would be a cycle.
  constructor(private readonly ctx: { db: Kysely<Database> }) {}

  publish(samples: StoredReading[]): void {
    // A timer armed for a paced device must not hold back a device that may go sooner.
    const at = this.pacer.add(samples);
    if (at < Infinity) this.schedule(at, Date.now());
  }

  /** Arms the flush for `at` (not sooner than FLUSH_EVERY_MS after the last), unless one runs or comes sooner. */
  private schedule(at: number, now: number): void {
    if (this.flushing || !this.pacer.size) return;
    const when = Math.max(at, this.flushedAt + FLUSH_EVERY_MS);
    if (this.timer) {
      if (this.timerAt <= when) return;
      clearTimeout(this.timer);
    }
    this.timerAt = when;
    this.timer = setTimeout(() => void this.flush(), Math.max(0, when - now));
  }

  private flush(all = false): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const now = Date.now();
    const { samples, nextAt } = this.pacer.take(now, all);
    const payloads: string[] = [];
    for (const s of samples) {
      // A stored reading is a LiveSample as it is (ingest/readings.ts).
      const text = JSON.stringify(s satisfies LiveSample);
      if (text.length < MAX_NOTIFY_BYTES) payloads.push(text);
    }
    if (!payloads.length) {
      if (nextAt !== null) this.schedule(nextAt, now);
      return Promise.resolve();
    }
    this.flushedAt = now;
    this.flushing =
      sql`select pg_notify(${LIVE_CHANNEL}, p) from jsonb_array_elements_text(${JSON.stringify(payloads)}::jsonb) as p`
        .execute(this.ctx.db)
        .then(() => {})
        .catch(() => {})
        .finally(() => {
          this.flushing = null;
          // What came while it ran (or waits for its device's turn) goes next.
          this.schedule(Date.now(), Date.now());
        });
    return this.flushing;
  }

  /** Sends everything held now, paced or not (the ingest is stopping); later samples are paced again. */
  async stop(): Promise<void> {
    await this.flushing;
    await this.flush(true);
  }
}
