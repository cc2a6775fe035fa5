import { sql, type Kysely } from 'kysely';
import { LIVE_CHANNEL, MAX_NOTIFY_BYTES } from '../kernel/changes/service.ts';
import type { Database } from '../kernel/db/index.ts';
import type { LiveSample } from '../contracts/stream.ts';
import type { StoredReading } from './ingest/readings.ts';

/**
 * The flush window is added to every live sample's publish → pixel time (uniform 0..window),
 * and widgets.md's budget is p99 < 250 ms at 1,000 msgs/s: a 250 ms window alone spent it
 * (bench/publish-to-pixel.ts measured p99 294 ms); 50 ms leaves room for the rest of the path.
 */
const COALESCE_MS = 50;
/** At most this many samples per flush (4,000 a second): live is best effort, REST is the truth. */
const MAX_PER_FLUSH = 200;

/**
 * Live telemetry for the stream (architecture.md: not in the change table): the ingest
 * hands over the samples of each committed batch; the newest per device is sent every
 * 50 ms on the stream's NOTIFY channel (`LIVE_CHANNEL`), so every replica's SSE clients
 * see every device whichever replica ingested it. All of a flush goes in one statement.
 */
export class LiveTelemetry {
  private readonly latest = new Map<string, StoredReading>();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;

  // Only the database: kernel/context.ts holds this class, so naming AppContext here would be a cycle.
  constructor(private readonly ctx: { db: Kysely<Database> }) {}

  publish(samples: StoredReading[]): void {
    for (const s of samples) {
      const prev = this.latest.get(s.device_id);
      if (!prev || prev.ts <= s.ts) this.latest.set(s.device_id, s);
    }
    if (this.latest.size && !this.timer) this.timer = setTimeout(() => void this.flush(), COALESCE_MS);
  }

  private flush(): Promise<void> {
    this.timer = null;
    const payloads: string[] = [];
    for (const s of this.latest.values()) {
      const sample: LiveSample = {
        device_id: s.device_id,
        site_id: s.site_id,
        customer_id: s.customer_id,
        ts: Date.parse(s.ts) / 1000,
        status: s.status,
        metrics: s.metrics,
      };
      const text = JSON.stringify(sample);
      if (text.length < MAX_NOTIFY_BYTES) payloads.push(text);
      if (payloads.length >= MAX_PER_FLUSH) break;
    }
    this.latest.clear();
    if (!payloads.length) return Promise.resolve();
    this.flushing =
      sql`select pg_notify(${LIVE_CHANNEL}, p) from jsonb_array_elements_text(${JSON.stringify(payloads)}::jsonb) as p`
        .execute(this.ctx.db)
        .then(() => {})
        .catch(() => {})
        .finally(() => (this.flushing = null));
    return this.flushing;
  }

  async stop(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      await this.flush();
    }
    await this.flushing;
  }
}
