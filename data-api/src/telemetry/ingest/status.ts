/** What one running ingest says of itself: /health reads it. */
export interface IngestStatus {
  /** Its MQTT session name: `fleetbook-ingest-<instance>`. */
  instance: string;
  /** Age of the oldest message received but not yet stored (ms); 0 when nothing waits. */
  lagMs: number;
  /** Messages received and not yet stored (queued or being written). */
  queued: number;
  /** When a batch was last committed (epoch ms), or null. */
  lastStoredAt: number | null;
  /** When a message last arrived from the broker (epoch ms), or null. */
  lastReceivedAt: number | null;
  /** Above this lag the replica reports itself degraded. */
  maxLagMs: number;
  /** The MQTT session is connected. */
  connected: boolean;
  /** The broker granted every subscription of this replica on the current connection. */
  subscribed: boolean;
  /** Why this replica ingests nothing (not connected, not subscribed, starved), or null. */
  down: string | null;
}

type Probe = () => IngestStatus;
/** The ingests running in this process (AppContext.ingests). */
export type IngestProbes = Set<Probe>;
/** What these functions need of a context (an AppContext is one; kernel/context.ts imports this module). */
type WithIngests = { ingests: IngestProbes };

/**
 * The ingests running in this process, per API context. Their state is a per-process fact
 * (each replica stores only its share of a shared subscription), so there is no
 * cluster-wide registry. Returns the unregister function (call it on stop).
 */
export function registerIngestStatus(ctx: WithIngests, probe: Probe): () => void {
  ctx.ingests.add(probe);
  return () => void ctx.ingests.delete(probe);
}

/** This process's ingest (the worst of its ingests), or null when none runs here. */
export function ingestStatusOf(ctx: WithIngests): IngestStatus | null {
  let worst: IngestStatus | null = null;
  for (const probe of ctx.ingests) {
    const s = probe();
    if (!worst) {
      worst = { ...s };
      continue;
    }
    if (s.lagMs - s.maxLagMs > worst.lagMs - worst.maxLagMs)
      Object.assign(worst, { instance: s.instance, lagMs: s.lagMs, maxLagMs: s.maxLagMs });
    if (s.down && !worst.down) Object.assign(worst, { instance: s.instance, down: s.down });
    worst.queued += s.queued;
    worst.connected &&= s.connected;
    worst.subscribed &&= s.subscribed;
    worst.lastStoredAt = Math.max(worst.lastStoredAt ?? 0, s.lastStoredAt ?? 0) || null;
    worst.lastReceivedAt = Math.max(worst.lastReceivedAt ?? 0, s.lastReceivedAt ?? 0) || null;
  }
  return worst;
}
