import { sql, type Kysely } from 'kysely';
import { CHANGES_CHANNEL } from '../../kernel/changes/service.ts';
import type { Database, DatabaseHandle } from '../../kernel/db/index.ts';

/** What the ingest needs to know about a device, per message. */
export interface DeviceInfo {
  id: string;
  site_id: string | null;
  customer_id: string | null;
  role: string;
  heartbeat_interval_s: number;
  /** For alert rule selectors and labels (notifications). */
  name: string | null;
  deployment_id: string | null;
  product_code: string;
  product_version: string | null;
  tags: string[];
}

/** The columns of a DeviceInfo, as every query of the cache selects them. */
const DEVICE_INFO = sql.raw(
  'id, site_id, customer_id, role, heartbeat_interval_s, name, deployment_id, product_code, product_version, tags',
);

interface Entry {
  info: DeviceInfo | null;
  at: number;
}

export interface RegistryCacheOptions {
  /** Positive entries are re-read after this long even without a change event. */
  ttlMs?: number;
  /** "No such device" is remembered this long, so a flood from an unknown id costs one query. */
  negativeTtlMs?: number;
}

/** Devices loaded at start (a larger registry is read as messages name its devices). */
const PRELOAD_DEVICES = 50_000;

/**
 * Device lookups for the ingest: id → site/customer, and ChirpStack DevEUI → device.
 * Entries are invalidated by the change feed (any `device.*` or `site.*` event: every
 * replica LISTENs), with a TTL as a safety net for a missed notification.
 */
export class RegistryCache {
  private readonly byId = new Map<string, Entry>();
  private readonly byEui = new Map<string, Entry>();
  private readonly ttlMs: number;
  private readonly negativeTtlMs: number;
  private unlisten: (() => Promise<void>) | null = null;
  private pendingEvents: number[] = [];
  private eventTimer: NodeJS.Timeout | null = null;
  /** Lookups that hit the database (for tests and /metrics). */
  misses = 0;
  /** Counts invalidations (a load that overlapped one is dropped). */
  private generation = 0;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly database: Pick<DatabaseHandle, 'listen'> | null,
    options: RegistryCacheOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? 60_000;
    this.negativeTtlMs = options.negativeTtlMs ?? 5_000;
  }

  /** Follows the change feed, then loads the registry (after: a change during the load is not missed). */
  async start(): Promise<void> {
    if (this.database)
      this.unlisten = await this.database.listen(CHANGES_CHANNEL, (payload) => {
        const id = Number(payload);
        if (!Number.isFinite(id)) return;
        this.pendingEvents.push(id);
        // Coalesce bursts of notifications into one read of the event table.
        this.eventTimer ??= setTimeout(() => void this.readEvents(), 20);
      });
    await this.preload();
  }

  /**
   * Loads up to PRELOAD_DEVICES devices at start: when a fleet reconnects at once (a broker or
   * API restart), every device's first message would otherwise miss, and the first batches
   * wait for registry queries while the readings pile up. Their entries expire spread over the
   * second half of the TTL, so they are not all read again in the same second a minute later.
   */
  private async preload(): Promise<void> {
    const generation = this.generation;
    const rows = await sql<DeviceInfo>`
      select ${DEVICE_INFO} from devices order by id limit ${PRELOAD_DEVICES}`
      .execute(this.db)
      .catch(() => null); // the lookups read what they need
    // An invalidation came in meanwhile: what was read may be older than it.
    if (!rows || generation !== this.generation) return;
    const now = Date.now();
    for (const info of rows.rows)
      if (!this.byId.has(info.id)) this.byId.set(info.id, { info, at: now - Math.random() * this.ttlMs * 0.5 });
  }

  async stop(): Promise<void> {
    if (this.eventTimer) clearTimeout(this.eventTimer);
    this.eventTimer = null;
    await this.unlisten?.();
    this.unlisten = null;
  }

  /** Forget everything (tests; or after a registry import). */
  clear(): void {
    this.generation++;
    this.byId.clear();
    this.byEui.clear();
  }

  invalidateDevice(id: string): void {
    this.generation++;
    this.byId.delete(id);
    for (const [eui, entry] of this.byEui) if (!entry.info || entry.info.id === id) this.byEui.delete(eui);
    // A new device may be the one an unknown id was waiting for.
    for (const [key, entry] of this.byId) if (!entry.info) this.byId.delete(key);
  }

  invalidateSite(siteId: string): void {
    this.generation++;
    for (const [key, entry] of this.byId) if (!entry.info || entry.info.site_id === siteId) this.byId.delete(key);
    for (const [key, entry] of this.byEui) if (!entry.info || entry.info.site_id === siteId) this.byEui.delete(key);
  }

  private async readEvents(): Promise<void> {
    this.eventTimer = null;
    const ids = this.pendingEvents.splice(0);
    if (!ids.length) return;
    try {
      const rows = await sql<{ type: string; subject_id: string }>`
        select type, subject_id from change_events
        where id in (select (jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb))::bigint)
          and (type like 'device.%' or type like 'site.%') and type <> 'device.health_changed'`.execute(this.db);
      for (const row of rows.rows) {
        if (row.type.startsWith('device.')) this.invalidateDevice(row.subject_id);
        else this.invalidateSite(row.subject_id);
      }
    } catch {
      // The database is unreachable: drop everything rather than serve stale sites.
      this.clear();
    }
  }

  private fresh(entry: Entry | undefined, now: number): entry is Entry {
    return !!entry && now - entry.at < (entry.info ? this.ttlMs : this.negativeTtlMs);
  }

  /** Looks devices up by id: cached ones at once, the rest in one query. */
  devices(ids: Iterable<string>): Promise<Map<string, DeviceInfo | null>> {
    return this.lookup(this.byId, ids, async (missing) => {
      const rows = await sql<DeviceInfo>`
        select ${DEVICE_INFO} from devices
        where id in (select jsonb_array_elements_text(${JSON.stringify(missing)}::jsonb))`.execute(this.db);
      return new Map(rows.rows.map((r) => [r.id, r]));
    });
  }

  /** Looks ChirpStack DevEUIs (lower case) up through `external_refs.chirpstack.dev_eui`. */
  devEuis(euis: Iterable<string>): Promise<Map<string, DeviceInfo | null>> {
    return this.lookup(this.byEui, euis, async (missing) => {
      const rows = await sql<DeviceInfo & { eui: string }>`
        select lower(external_refs->'chirpstack'->>'dev_eui') as eui, ${DEVICE_INFO}
        from devices
        where lower(external_refs->'chirpstack'->>'dev_eui') in (select jsonb_array_elements_text(${JSON.stringify(missing)}::jsonb))
        order by id`.execute(this.db);
      const found = new Map<string, DeviceInfo>();
      for (const { eui, ...info } of rows.rows) if (!found.has(eui)) found.set(eui, info);
      return found;
    });
  }

  /** Fresh entries of `cache` at once; the missing keys through one `load`, remembered (found or not). */
  private async lookup(
    cache: Map<string, Entry>,
    keys: Iterable<string>,
    load: (missing: string[]) => Promise<Map<string, DeviceInfo>>,
  ): Promise<Map<string, DeviceInfo | null>> {
    const now = Date.now();
    const out = new Map<string, DeviceInfo | null>();
    const missing: string[] = [];
    // A Set (the writer's) is used as it is: copying it cost as much as the lookups.
    for (const key of keys instanceof Set ? (keys as Set<string>) : new Set(keys)) {
      const entry = cache.get(key);
      if (this.fresh(entry, now)) out.set(key, entry.info);
      else missing.push(key);
    }
    if (missing.length) {
      this.misses += missing.length;
      const found = await load(missing);
      for (const key of missing) {
        const info = found.get(key) ?? null;
        cache.set(key, { info, at: now });
        out.set(key, info);
      }
    }
    return out;
  }
}
