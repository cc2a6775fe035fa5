import type { AppContext } from '../context.ts';

/** What one running ingest says of its backlog. */
export interface IngestLag {
  /** Its MQTT session name: `fleetbook-ingest-<instance>`. */
  instance: string;
  /** Age of the oldest message received but not yet stored (ms); 0 when nothing waits. */
  lagMs: number;
  /** Messages received and not yet stored (queued or being written). */
  queued: number;
  /** When a batch was last committed (epoch ms), or null. */
  lastStoredAt: number | null;
  /** Above this lag the replica reports itself degraded. */
  maxLagMs: number;
}

type Probe = () => IngestLag;
const probes = new WeakMap<AppContext, Set<Probe>>();

/**
 * The ingests running in this process, per API context: /health reads them. Lag is a
 * per-process fact (each replica stores only its share of a shared subscription), so
 * there is no cluster-wide registry. Returns the unregister function (call it on stop).
 */
export function registerIngestLag(ctx: AppContext, probe: Probe): () => void {
  let set = probes.get(ctx);
  if (!set) probes.set(ctx, (set = new Set()));
  set.add(probe);
  return () => void set.delete(probe);
}

/** This process's ingest backlog (the worst of its ingests), or null when none runs here. */
export function ingestLagOf(ctx: AppContext): IngestLag | null {
  let worst: IngestLag | null = null;
  for (const probe of probes.get(ctx) ?? []) {
    const lag = probe();
    if (!worst) worst = { ...lag };
    else {
      if (lag.lagMs - lag.maxLagMs > worst.lagMs - worst.maxLagMs) Object.assign(worst, { instance: lag.instance, lagMs: lag.lagMs, maxLagMs: lag.maxLagMs });
      worst.queued += lag.queued;
      worst.lastStoredAt = Math.max(worst.lastStoredAt ?? 0, lag.lastStoredAt ?? 0) || null;
    }
  }
  return worst;
}
