// Live data for surfaces (widgets.md: "the SSE stream carries updateDataModel messages"):
// listens to the change feed like an SSE client, and when an event touches the queries of a
// surface someone is viewing, re-runs them and publishes `surface.updated` (kind `data`)
// with an updateDataModel message, only when the data model actually changed.
//
// Tenancy: a surface is watched per audience (the viewer's customer, or unscoped), its data
// computed with that scope and published with that customer on the event; the stream hands
// surface data to exactly that audience (kernel/stream/visibility.ts).
//
// Known debt: (1) every replica publishes, so with N replicas an update arrives N times
// (identical, harmless); (2) what is watched is kept in memory, refreshed by each GET, for
// 24 h; (3) a change re-runs every watched audience's queries (the hash then drops the
// unchanged ones): the change feed does not say which customers an event touched.
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import { emitChange } from '../../kernel/changes/service.ts';
import { surfaceEventPayloadSchema, type SurfaceEventPayload } from '../../contracts/surfaces.ts';
import type { ChangeEventMessage } from '../../contracts/stream.ts';
import type { Database } from '../../kernel/db/index.ts';
import type { StreamHub } from '../../kernel/stream/hub.ts';
import { buildDataModel, dataMessage, loadSurface } from './service.ts';

const WATCH_TTL_MS = 24 * 3600_000;
const MAX_WATCHED = 500;

interface Watched {
  name: string;
  surfaceId: string;
  params: Record<string, string>;
  /** The audience: the viewers' customer, or null for unscoped viewers. */
  customerId: string | null;
  seen: number;
  hash: string | null;
}

export class SurfacePublisher {
  private watched = new Map<string, Watched>();
  private dirty = new Set<string>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private running: Promise<void> | null = null;
  private remove: (() => void) | null = null;
  private stopped = false;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly hub: StreamHub,
    private readonly onError: (err: unknown) => void,
    private readonly throttleMs = 400,
  ) {}

  /** Joins the hub on the first watched surface (so an API nobody views surfaces on pays nothing). */
  private start(): void {
    if (this.remove || this.stopped) return;
    this.remove = this.hub.add({
      topics: ['device', 'site', 'deployment', 'alert', 'automation', 'execution'],
      customerId: null,
      sendChange: (e) => this.onChange(e),
      sendLive: () => {},
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.remove?.();
    this.remove = null;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  /** A page asked for this surface (as `customerId`'s viewer, or unscoped): keep its data live for that audience. */
  watch(surfaceId: string, name: string, params: Record<string, string>, customerId: string | null): void {
    this.start();
    const key = `${customerId ?? '*'} ${surfaceId}`;
    const have = this.watched.get(key);
    if (have) have.seen = Date.now();
    else {
      if (this.watched.size >= MAX_WATCHED) {
        const oldest = [...this.watched.entries()].sort((a, b) => a[1].seen - b[1].seen)[0];
        if (oldest) this.watched.delete(oldest[0]);
      }
      this.watched.set(key, { name, surfaceId, params, customerId, seen: Date.now(), hash: null });
    }
  }

  private onChange(e: ChangeEventMessage): void {
    this.dirty.add(e.type.split('.')[0]!);
    if (!this.timer) this.timer = setTimeout(() => this.flush(), this.throttleMs);
  }

  private flush(): void {
    this.timer = null;
    if (this.running) {
      this.timer = setTimeout(() => this.flush(), this.throttleMs);
      return;
    }
    const families = new Set(this.dirty);
    this.dirty.clear();
    this.running = this.refresh(families)
      .catch(this.onError)
      .finally(() => (this.running = null));
  }

  private async refresh(families: Set<string>): Promise<void> {
    const now = Date.now();
    for (const [key, w] of this.watched) {
      if (now - w.seen > WATCH_TTL_MS) {
        this.watched.delete(key);
        continue;
      }
      let loaded;
      try {
        loaded = await loadSurface(this.db, w.name);
      } catch {
        this.watched.delete(key);
        continue;
      }
      if (!loaded.def.topics.some((t) => families.has(t))) continue;
      const data = await buildDataModel(this.db, loaded.def, w.params, w.customerId);
      const hash = createHash('sha256').update(JSON.stringify(data)).digest('base64url');
      if (hash === w.hash) continue;
      w.hash = hash;
      const payload: SurfaceEventPayload = {
        kind: 'data',
        surface: w.name,
        messages: [dataMessage(w.surfaceId, data)],
      };
      await emitChange(this.db, {
        type: 'surface.updated',
        subject: { type: 'surface', id: w.surfaceId },
        customerId: w.customerId,
        payload: surfaceEventPayloadSchema.parse(payload),
      });
    }
  }
}
