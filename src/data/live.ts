// The page's one live connection per API base URL: a fetch-stream SSE reader (so it can
// send the bearer token and Last-Event-ID, which EventSource cannot), ref-counted topic
// subscriptions, reconnect with backoff, offline state and recovery, and a resync for each
// subscriber whose topics became live without a cursor from before its REST read.
// No DOM: fetch, AbortController and timers exist in Node too, so it is unit-testable.
import {
  parseChangeEvent,
  type ParsedChangeEvent,
  type StreamRefusal,
} from '../../data-api/src/contracts/change-events.ts';
import {
  liveSampleSchema,
  streamReadySchema,
  topicMatches,
  type LiveSample,
} from '../../data-api/src/contracts/stream.ts';
import { backoffDelay, type BackoffOptions } from './backoff.ts';
import { SseParser, type SseMessage } from './sse-parser.ts';
import type { EntityStore } from './store.ts';
import { TopicSet, topicUnion } from './topics.ts';

export type ConnectionStatus = 'idle' | 'connecting' | 'online' | 'offline';

export interface ConnectionState {
  status: ConnectionStatus;
  /** When the connection was lost (null while online): the data shown is from then. */
  offlineSince: Date | null;
  /** The last change event id seen: where a reconnect resumes. */
  lastEventId: number | null;
  /** Bumped on every recovery (back online after being offline, or `event: reset`): re-fetch by REST. */
  epoch: number;
  /** Why the last attempt failed. */
  error: string | null;
}

export interface LiveHandler {
  topics: readonly string[];
  /** The event as the contract parsed it, once for the page: read its payload with `changePayloadOf`. */
  onChange?(event: ParsedChangeEvent): void;
  onTelemetry?(sample: LiveSample): void;
  /**
   * Re-read by REST, once: these topics became live on a stream that cannot vouch for the
   * changes made since the subscriber read (it started fresh, was reset, or resumed from a
   * cursor that moved on while these topics were not carried). Without it, a change committed
   * between the subscriber's REST read and its topics going live would never reach it.
   */
  onResync?(): void;
  /**
   * Where the page's live data stood when the subscriber's read began (`cursor()` taken then),
   * when it subscribes only after the answer (its topics are in the answer, like a surface's).
   * Default: now, for a subscriber whose read starts as it subscribes.
   */
  since?: LiveCursor;
}

/**
 * A moment of the page's live data (`LiveConnection.cursor()`): the last event id dispatched,
 * and the ready stream then open. Take one when a read starts; subscribe with it.
 */
export interface LiveCursor {
  readonly lastEventId: number | null;
  /** Opaque: the stream that was ready then (null: none). */
  readonly stream: unknown;
}

/** One stream attempt: what it carries and where it resumed (null: fresh, from the server's newest event). */
interface StreamInfo {
  topics: readonly string[];
  from: number | null;
  /** The server said `reset`: the cursor was outside the replay window. */
  reset: boolean;
}

/** A subscriber's cursor: the last event id the page had when it began its read (by default, when it subscribed). */
interface HandlerEntry {
  since: number | null;
  /** Its topics are carried by a ready stream that has everything after its read. */
  live: boolean;
}

/**
 * Does this stream hold every change after `since` (a subscriber's cursor)? Only when it resumed
 * from no later than it and the server did not reset it: a fresh stream starts at the server's
 * newest event, which may be later.
 */
function replaysFrom(stream: StreamInfo, since: number | null): boolean {
  return !stream.reset && stream.from !== null && since !== null && stream.from <= since;
}

/** Does a stream opened for `carried` deliver every event `topics` asks for? (The same union rules as the connection's.) */
function covers(carried: readonly string[], topics: readonly string[]): boolean {
  return topicUnion([carried, topics]).join(',') === topicUnion([carried]).join(',');
}

export interface LiveConnectionOptions {
  /** The stream URL for these topics, resuming after `lastEventId`. */
  url(topics: readonly string[], lastEventId: number | null): string;
  headers?(): Record<string, string>;
  store?: EntityStore;
  fetch?: typeof fetch;
  backoff?: Partial<BackoffOptions>;
  /**
   * No byte for this long (the server sends a keepalive every 15 s) → reconnect. It also bounds
   * the wait for the answer's headers: a request that is accepted and never answered (a stuck
   * proxy or API) is a failed attempt, not 'connecting' for ever.
   */
  idleTimeoutMs?: number;
  /** Wait this long after a subscription change before (re)connecting: one connect per page mount. */
  settleMs?: number;
  now?(): Date;
  /**
   * Told of each message refused by the contract, the first time its kind (event, type, field,
   * reason) is seen: by default a console warning. Every refusal is counted (`refusals()`).
   */
  onRefused?(refusal: RefusedMessage): void;
}

/** A stream message the contract refused: dropped, never handed to the store or a widget. */
export interface RefusedMessage extends StreamRefusal {
  /** The SSE event name: change, surface, telemetry, ready. */
  event: string;
  /** The event id, when the message had a usable one. */
  id: number | null;
}

/** How long refusals are gathered before the subscribers they concern re-read (one re-read per burst). */
const RESYNC_COALESCE_MS = 250;

type StateListener = (state: ConnectionState) => void;

export class LiveConnection {
  private readonly topics: TopicSet;
  private readonly handlers = new Map<LiveHandler, HandlerEntry>();
  /** The stream that said `ready` and is still open (null while connecting or offline). */
  private current: StreamInfo | null = null;
  private state: ConnectionState = { status: 'idle', offlineSince: null, lastEventId: null, epoch: 0, error: null };
  private readonly listeners = new Set<StateListener>();
  private controller: AbortController | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private idle: ReturnType<typeof setTimeout> | null = null;
  private attempt = 0;
  private union: string[] = [];
  private closed = false;
  /** Refusals by kind (`event type field: reason`), and the subscribers waiting for a re-read because of them. */
  private readonly refused = new Map<string, number>();
  private readonly toResync = new Set<LiveHandler>();
  private resyncTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly options: LiveConnectionOptions) {
    this.topics = new TopicSet((union) => {
      this.union = union;
      this.schedule(options.settleMs ?? 30);
    });
  }

  getState = (): ConnectionState => this.state;

  onState = (listener: StateListener): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  currentTopics(): string[] {
    return this.union;
  }

  /** Now, as a subscriber whose read starts now will want to subscribe with (`LiveHandler.since`). */
  cursor(): LiveCursor {
    return { lastEventId: this.state.lastEventId, stream: this.current };
  }

  subscribe(handler: LiveHandler): () => void {
    // Live at once when the open stream already carries these topics; otherwise live at the
    // `ready` of the stream that carries them, which says whether a re-read is needed (resync).
    const since = handler.since ?? this.cursor();
    const entry: HandlerEntry = { since: since.lastEventId, live: false };
    const cur = this.current;
    if (cur !== null && covers(cur.topics, handler.topics)) {
      entry.live = true;
      // Nothing was missed when this stream has every change after the read (it was already
      // open then, or replayed from no later than the read) and has dispatched none since
      // (one would have passed this subscriber by). Always so for a read that starts now.
      const whole = since.stream === cur || replaysFrom(cur, since.lastEventId);
      if (!whole || this.state.lastEventId !== since.lastEventId) {
        queueMicrotask(() => {
          if (this.handlers.get(handler) === entry) handler.onResync?.();
        });
      }
    }
    this.handlers.set(handler, entry);
    const release = this.topics.add(handler.topics);
    return () => {
      this.handlers.delete(handler);
      release();
    };
  }

  close(): void {
    this.closed = true;
    this.stop();
    if (this.resyncTimer) clearTimeout(this.resyncTimer);
    this.resyncTimer = null;
    this.toResync.clear();
  }

  /** Messages the contract refused so far, by kind (`change device.updated payload.status: Invalid option…`). */
  refusals(): ReadonlyMap<string, number> {
    return this.refused;
  }

  private set(patch: Partial<ConnectionState>): void {
    const next = { ...this.state, ...patch };
    if (
      next.status === this.state.status &&
      next.offlineSince === this.state.offlineSince &&
      next.lastEventId === this.state.lastEventId &&
      next.epoch === this.state.epoch &&
      next.error === this.state.error
    )
      return;
    this.state = next;
    for (const l of this.listeners) l(next);
  }

  private stop(): void {
    this.current = null;
    if (this.timer) clearTimeout(this.timer);
    if (this.idle) clearTimeout(this.idle);
    this.timer = this.idle = null;
    const c = this.controller;
    this.controller = null;
    c?.abort();
  }

  private schedule(ms: number): void {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.connect();
    }, ms);
  }

  private async connect(): Promise<void> {
    this.stop();
    if (this.closed) return;
    if (this.union.length === 0) {
      if (this.state.status !== 'offline') this.set({ status: 'idle' });
      return;
    }
    if (this.state.status !== 'offline') this.set({ status: 'connecting' });
    const controller = new AbortController();
    this.controller = controller;
    const doFetch = this.options.fetch ?? fetch;
    const headers: Record<string, string> = { accept: 'text/event-stream', ...(this.options.headers?.() ?? {}) };
    if (this.state.lastEventId !== null) headers['last-event-id'] = String(this.state.lastEventId);
    const stream: StreamInfo = { topics: [...this.union], from: this.state.lastEventId, reset: false };
    // fetch resolves only with the headers, and nothing else bounds that wait.
    this.armIdle(controller, 'the data API did not answer the stream request');
    try {
      const res = await doFetch(this.options.url(this.union, this.state.lastEventId), {
        headers,
        signal: controller.signal,
        cache: 'no-store',
      });
      if (this.controller !== controller) return; // replaced (or timed out) as it answered
      if (!res.ok || !res.body) throw new Error(`stream answered ${res.status}`);
      this.armIdle(controller);
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      const parser = new SseParser();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        // A read that resolved just before this stream was replaced: its events are the new
        // stream's to deliver (it resumes from the last one dispatched here).
        if (this.controller !== controller) return;
        this.armIdle(controller);
        for (const msg of parser.push(decoder.decode(value, { stream: true }))) this.dispatch(msg, stream);
      }
      if (controller.signal.aborted || this.controller !== controller) return;
      throw new Error('the data API closed the stream');
    } catch (err) {
      if (controller.signal.aborted && this.controller !== controller) return; // replaced on purpose
      this.fail(err);
    }
  }

  /** Give up on this attempt (a failure: offline, backoff) when nothing arrives for the idle timeout. */
  private armIdle(controller: AbortController, why = 'no keepalive from the data API'): void {
    if (this.controller !== controller) return; // a replaced attempt must not touch the current one's timer
    if (this.idle) clearTimeout(this.idle);
    const ms = this.options.idleTimeoutMs ?? 45_000;
    this.idle = setTimeout(() => {
      if (this.controller !== controller) return;
      this.controller = null;
      controller.abort();
      this.fail(new Error(`${why} within ${ms / 1000} s`));
    }, ms);
  }

  private fail(err: unknown): void {
    if (this.closed) return;
    this.current = null;
    if (this.idle) clearTimeout(this.idle);
    this.idle = null;
    const now = this.options.now?.() ?? new Date();
    this.set({
      status: 'offline',
      offlineSince: this.state.offlineSince ?? now,
      error: err instanceof Error ? err.message : String(err),
    });
    this.schedule(backoffDelay(this.attempt++, this.options.backoff));
  }

  private dispatch(msg: SseMessage, stream: StreamInfo): void {
    switch (msg.event) {
      case 'ready': {
        const ready = streamReadySchema.safeParse(parseJson(msg.data));
        if (!ready.success) this.refuse(msg, null, issueOf(ready.error.issues, null));
        const recovered = this.state.status === 'offline';
        this.attempt = 0;
        this.set({
          status: 'online',
          offlineSince: null,
          error: null,
          lastEventId: ready.success ? ready.data.last_event_id : this.state.lastEventId,
          epoch: recovered ? this.state.epoch + 1 : this.state.epoch,
        });
        this.current = stream;
        this.confirm(stream);
        return;
      }
      case 'reset':
        stream.reset = true;
        this.set({ epoch: this.state.epoch + 1 });
        return;
      case 'change':
      case 'surface': {
        const raw = parseJson(msg.data);
        const parsed = raw === undefined ? null : parseChangeEvent(raw);
        if (!parsed?.success) {
          // Dropped. Its id (the SSE id) still moves the cursor: a replay would bring the same bytes.
          const id = msg.id !== undefined && /^\d+$/.test(msg.id) ? Number(msg.id) : null;
          if (id !== null && (this.state.lastEventId === null || id > this.state.lastEventId))
            this.set({ lastEventId: id });
          const refusal = parsed ? parsed.refusal : { type: null, field: '(the message)', reason: 'not JSON' };
          this.refuse(msg, id, refusal, raw);
          return;
        }
        const event = parsed.data;
        if (this.state.lastEventId === null || event.id > this.state.lastEventId) this.set({ lastEventId: event.id });
        this.options.store?.apply(event);
        for (const h of [...this.handlers.keys()]) if (h.onChange && topicMatches(h.topics, event)) h.onChange(event);
        return;
      }
      case 'telemetry': {
        const parsed = liveSampleSchema.safeParse(parseJson(msg.data));
        if (!parsed.success) {
          // A sample is not state: dropping one leaves nothing to re-read (the range's next read has it).
          this.refuse(msg, null, issueOf(parsed.error.issues, 'telemetry.sample'));
          return;
        }
        const sample = parsed.data;
        const asEvent = {
          type: 'telemetry.sample',
          subject: { type: 'device', id: sample.device_id },
          site_id: sample.site_id,
        };
        for (const h of [...this.handlers.keys()])
          if (h.onTelemetry && topicMatches(h.topics, asEvent)) h.onTelemetry(sample);
        return;
      }
      default:
    }
  }

  /**
   * A message the contract refused: dropped, counted, logged the first time its kind is seen.
   * A change event that cannot be read may have changed what a subscriber shows, so each
   * subscriber it may concern (by its envelope; every subscriber when that is unreadable too)
   * re-reads by REST, as after a reconnect: once per burst, keeping its data until the answer.
   */
  private refuse(msg: SseMessage, id: number | null, refusal: StreamRefusal, raw?: unknown): void {
    const r: RefusedMessage = { ...refusal, event: msg.event, id };
    const kind = `${r.event} ${r.type ?? '?'} ${r.field}: ${r.reason}`;
    const seen = this.refused.get(kind) ?? 0;
    this.refused.set(kind, seen + 1);
    if (seen === 0) (this.options.onRefused ?? warnRefused)(r);
    if (msg.event !== 'change' && msg.event !== 'surface') return;
    const about = envelopeOf(raw);
    for (const h of this.handlers.keys())
      if (h.onResync && (!about || topicMatches(h.topics, about))) this.toResync.add(h);
    if (this.resyncTimer || this.toResync.size === 0) return;
    this.resyncTimer = setTimeout(() => {
      this.resyncTimer = null;
      const due = [...this.toResync];
      this.toResync.clear();
      for (const h of due) if (this.handlers.has(h)) h.onResync?.();
    }, RESYNC_COALESCE_MS);
  }

  /**
   * The subscribers this ready stream makes live. One needs no re-read only when the stream
   * replayed from a cursor no later than its own (`since`: where the page was as its read began):
   * every change after its read is on this stream. A fresh stream starts at the server's
   * newest event, which may be later than the read; a reset stream skipped events; a cursor
   * that moved on (events of other topics, while these were not carried) skipped events of
   * these topics in between. Those subscribers are told to re-read, once.
   */
  private confirm(stream: StreamInfo): void {
    for (const [handler, entry] of [...this.handlers]) {
      if (entry.live || !covers(stream.topics, handler.topics)) continue;
      entry.live = true;
      if (!replaysFrom(stream, entry.since)) handler.onResync?.();
    }
  }
}

/** The message's JSON, or undefined when it is not JSON (the contract then refuses it). */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function issueOf(
  issues: readonly { path: readonly PropertyKey[]; message: string }[],
  type: string | null,
): StreamRefusal {
  const issue = issues[0];
  return {
    type,
    field: issue && issue.path.length ? issue.path.map(String).join('.') : '(the message)',
    reason: issue?.message ?? 'invalid',
  };
}

function warnRefused(r: RefusedMessage): void {
  console.warn(
    `fleetbook: dropped a stream message the contract refuses (event: ${r.event}${r.type ? `, type ${r.type}` : ''}${
      r.id !== null ? `, id ${r.id}` : ''
    }): ${r.field}: ${r.reason}. Counted by kind; further ones of this kind are not logged.`,
  );
}

/** Whom a refused event concerns, when its envelope says so (else null: it may concern anyone). */
function envelopeOf(
  raw: unknown,
): { type: string; subject: { type: string; id: string }; site_id: string | null } | null {
  if (!raw || typeof raw !== 'object') return null;
  const { type, subject, site_id } = raw as Record<string, unknown>;
  if (typeof type !== 'string' || !subject || typeof subject !== 'object') return null;
  const { type: st, id } = subject as Record<string, unknown>;
  if (typeof st !== 'string' || typeof id !== 'string') return null;
  return { type, subject: { type: st, id }, site_id: typeof site_id === 'string' ? site_id : null };
}
