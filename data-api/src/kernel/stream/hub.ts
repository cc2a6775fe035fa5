import type { Kysely } from 'kysely';
import { CHANGES_CHANNEL, LIVE_CHANNEL } from '../changes/service.ts';
import { liveSampleSchema, topicMatches, type ChangeEventMessage, type LiveSample } from '../../contracts/stream.ts';
import type { ChangeEvent, Database, DatabaseHandle } from '../db/index.ts';
import { visibleTo } from './visibility.ts';

export interface StreamClient {
  topics: readonly string[];
  /** null: unscoped; otherwise only this customer's events. */
  customerId: string | null;
  sendChange(event: ChangeEventMessage): void;
  sendLive(sample: LiveSample): void;
}

/** Replay window for `Last-Event-ID`: older clients are told to re-fetch by REST. */
export const REPLAY_LIMIT = 10_000;

export const toMessage = (e: ChangeEvent): ChangeEventMessage => ({
  id: e.id,
  at: e.at.toISOString(),
  type: e.type,
  subject: { type: e.subject_type, id: e.subject_id },
  site_id: e.site_id,
  payload: e.payload,
});

/** A stored event as the visibility rule reads it. */
const audienceOf = (e: ChangeEvent) => ({ type: e.type, customerId: e.customer_id, payload: e.payload });

/**
 * One per process. Every replica LISTENs on the change feed's channel; a notification
 * makes it read the events after the last one it delivered (in id order) and fan them
 * out to its own SSE clients, filtered by topic and tenant. The database is the only
 * shared state, so any number of replicas stay consistent.
 */
export class StreamHub {
  private clients = new Set<StreamClient>();
  private lastId = 0;
  private reading: Promise<void> | null = null;
  private again = false;
  private unlisten: Array<() => Promise<void>> = [];

  constructor(
    private readonly db: Kysely<Database>,
    private readonly database: DatabaseHandle,
    private readonly onError: (err: unknown) => void = () => {},
  ) {}

  async start(): Promise<void> {
    const latest = await this.db
      .selectFrom('change_events')
      .select((eb) => eb.fn.max('id').as('max'))
      .executeTakeFirst();
    this.lastId = Number(latest?.max ?? 0);
    this.unlisten.push(await this.database.listen(CHANGES_CHANNEL, () => this.poll()));
    this.unlisten.push(await this.database.listen(LIVE_CHANNEL, (payload) => this.fanOutLive(payload)));
  }

  async stop(): Promise<void> {
    for (const fn of this.unlisten.splice(0)) await fn().catch(() => {});
    await this.reading;
  }

  clientCount(): number {
    return this.clients.size;
  }

  add(client: StreamClient): () => void {
    this.clients.add(client);
    return () => this.clients.delete(client);
  }

  /** The newest event id this replica has delivered. */
  latestId(): number {
    return this.lastId;
  }

  /** The newest committed event id: a fresh client's baseline (it gets what comes after). */
  async committedId(): Promise<number> {
    const row = await this.db
      .selectFrom('change_events')
      .select((eb) => eb.fn.max('id').as('max'))
      .executeTakeFirst();
    return Math.max(Number(row?.max ?? 0), this.lastId);
  }

  /** Events after `afterId` the client may see, or null when `afterId` is outside the window. */
  async replay(
    afterId: number,
    client: Pick<StreamClient, 'topics' | 'customerId'>,
  ): Promise<ChangeEventMessage[] | null> {
    const oldest = await this.db
      .selectFrom('change_events')
      .select((eb) => eb.fn.min('id').as('min'))
      .executeTakeFirst();
    const rows = await this.db
      .selectFrom('change_events')
      .selectAll()
      .where('id', '>', afterId)
      .where('id', '<=', this.lastId)
      .orderBy('id')
      .limit(REPLAY_LIMIT + 1)
      .execute();
    const min = Number(oldest?.min ?? 0);
    if (rows.length > REPLAY_LIMIT || (min > 0 && afterId < min - 1)) return null;
    return rows
      .filter((r) => visibleTo(client.customerId, audienceOf(r)))
      .map(toMessage)
      .filter((m) => topicMatches(client.topics, m));
  }

  /** Coalesced reads: at most one query in flight, one more queued behind it. */
  private poll(): void {
    if (this.reading) {
      this.again = true;
      return;
    }
    this.reading = this.readNew()
      .catch(this.onError)
      .finally(() => {
        this.reading = null;
        if (this.again) {
          this.again = false;
          this.poll();
        }
      });
  }

  private async readNew(): Promise<void> {
    for (;;) {
      const rows = await this.db
        .selectFrom('change_events')
        .selectAll()
        .where('id', '>', this.lastId)
        .orderBy('id')
        .limit(1000)
        .execute();
      for (const row of rows) {
        this.lastId = row.id;
        const message = toMessage(row);
        const audience = audienceOf(row);
        for (const client of this.clients) {
          if (visibleTo(client.customerId, audience) && topicMatches(client.topics, message))
            client.sendChange(message);
        }
      }
      if (rows.length < 1000) return;
    }
  }

  private fanOutLive(payload: string): void {
    if (payload === '') return; // a LISTEN reconnect wake-up, not a sample
    let sample: LiveSample;
    try {
      sample = liveSampleSchema.parse(JSON.parse(payload));
    } catch (err) {
      this.onError(err);
      return;
    }
    const asEvent = {
      type: 'telemetry.sample',
      subject: { type: 'device', id: sample.device_id },
      site_id: sample.site_id,
    };
    for (const client of this.clients) {
      if (
        visibleTo(client.customerId, { type: asEvent.type, customerId: sample.customer_id ?? null, payload: {} }) &&
        topicMatches(client.topics, asEvent)
      )
        client.sendLive(sample);
    }
  }
}
