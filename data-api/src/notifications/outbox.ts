// The outbox worker: every replica claims due messages with FOR UPDATE SKIP LOCKED (a short
// transaction that marks them `sending` with a lease), sends them through the contact
// point's channel, and records the answer. A failure is retried with exponential backoff
// and jitter until `max_attempts`, then the message is `failed` — recorded and shown, the
// alert itself untouched. A replica that dies mid-send leaves a lease that runs out: another
// replica sends again with the same idempotency key. A rate limit per contact point is kept
// in the database, so it holds across replicas.
import { sql, type Kysely, type Selectable } from 'kysely';
import type { Logger } from 'pino';
import { contactPointTimeoutMs, type ContactPoint } from '../contracts/notification-channels.ts';
import { parseRate } from '../contracts/notification-policies.ts';
import type { Delivery as DeliverySettings } from '../contracts/notification-policies.ts';
import { parseDuration } from '../contracts/notification-rules.ts';
import type { Database, NotificationsTable } from '../kernel/db/index.ts';
import { channelFor } from './channels/index.ts';
import type { DeliveryResult, OutgoingNotification } from './channels/types.ts';

type Row = Selectable<NotificationsTable>;

export interface OutboxOptions {
  instance: string;
  contactPoints: Map<string, ContactPoint>;
  delivery: DeliverySettings;
  /** Messages sent at once by this replica. */
  concurrency?: number;
  /** How often it looks for due work without a wake-up. */
  pollMs?: number;
  /** Where `env:NAME` secrets are read (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** One observation per attempt (fleetbook_notification_delivery_seconds). */
  observe?: (channel: string, result: DeliveryResult, willRetry: boolean, seconds: number) => void;
  logger?: Logger;
}

export interface OutboxStats {
  sent: number;
  failed: number;
  retried: number;
  deferred: number;
}

const DETAIL_MAX = 2000;

/** Exponential backoff with jitter: initial × 2^(attempt-1), capped, then 50–100 % of it. */
export function backoffMs(attempt: number, initialMs: number, maxMs: number, random = Math.random): number {
  const base = Math.min(maxMs, initialMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(base * (0.5 + random() * 0.5));
}

export class OutboxWorker {
  readonly stats: OutboxStats = { sent: 0, failed: 0, retried: 0, deferred: 0 };
  private readonly concurrency: number;
  private readonly maxAttempts: number;
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly defaultRate: { max: number; perMs: number };
  private readonly rates = new Map<string, { max: number; perMs: number }>();
  private readonly env: NodeJS.ProcessEnv;
  private readonly inflight = new Set<Promise<void>>();
  private readonly aborts = new Set<AbortController>();
  private timer: NodeJS.Timeout | null = null;
  private claiming: Promise<void> | null = null;
  private again = false;
  private stopped = false;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly options: OutboxOptions,
  ) {
    this.concurrency = options.concurrency ?? 8;
    this.maxAttempts = options.delivery.max_attempts;
    this.initialMs = parseDuration(options.delivery.backoff_initial) ?? 2000;
    this.maxMs = parseDuration(options.delivery.backoff_max) ?? 300_000;
    this.defaultRate = parseRate(options.delivery.rate_limit)!;
    for (const [name, rate] of Object.entries(options.delivery.rate_limits)) this.rates.set(name, parseRate(rate)!);
    this.env = options.env ?? process.env;
  }

  start(): void {
    const poll = () => {
      if (this.stopped) return;
      this.wake();
      this.timer = setTimeout(poll, this.options.pollMs ?? 1000);
      this.timer.unref();
    };
    poll();
  }

  /** Look for due messages now (a flush wrote some, or a NOTIFY said another replica did). */
  wake(): void {
    if (this.stopped) return;
    if (this.claiming) {
      this.again = true;
      return;
    }
    this.claiming = this.claimAndSend()
      .catch((err) => this.options.logger?.warn({ err: (err as Error).message }, 'notifications: outbox claim failed'))
      .finally(() => {
        this.claiming = null;
        if (this.again) {
          this.again = false;
          this.wake();
        }
      });
  }

  /** Resolves when nothing is being sent by this replica. */
  async idle(): Promise<void> {
    while (this.claiming || this.inflight.size) {
      await this.claiming;
      await Promise.all([...this.inflight]);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.claiming;
    // Sends in flight are given their deadline; their rows are recorded before the process ends.
    await Promise.all([...this.inflight]);
  }

  private async claimAndSend(): Promise<void> {
    for (;;) {
      const room = this.concurrency - this.inflight.size;
      if (room <= 0 || this.stopped) return;
      const rows = await this.claim(room);
      if (!rows.length) return;
      for (const row of rows) {
        const p = this.deliver(row).finally(() => {
          this.inflight.delete(p);
          if (!this.stopped) this.wake();
        });
        this.inflight.add(p);
      }
      if (rows.length < room) return;
    }
  }

  private async claim(n: number): Promise<Row[]> {
    // The lease covers the longest attempt plus a margin; after it, another replica may retry.
    const leaseS = 150;
    const res = await sql<Row>`
      update notifications n set state = 'sending', attempts = n.attempts + 1, locked_until = now() + make_interval(secs => ${leaseS}), updated_at = now()
      where n.id in (
        select id from notifications
        where (state = 'pending' and next_attempt_at <= now()) or (state = 'sending' and locked_until < now())
        order by next_attempt_at, id
        limit ${n}
        for update skip locked
      )
      returning n.*`.execute(this.db);
    return res.rows;
  }

  /** A slot in the contact point's window, or when the next window opens (epoch ms). */
  private async takeSlot(contactPoint: string): Promise<number | null> {
    const rate = this.rates.get(contactPoint) ?? this.defaultRate;
    const res = await sql<{ window_start: Date; sent: number }>`
      insert into contact_point_windows as w (contact_point, window_start, sent) values (${contactPoint}, now(), 1)
      on conflict (contact_point) do update set
        window_start = case when w.window_start <= now() - make_interval(secs => ${rate.perMs / 1000}) then now() else w.window_start end,
        sent = case when w.window_start <= now() - make_interval(secs => ${rate.perMs / 1000}) then 1 else w.sent + 1 end
      returning window_start, sent`.execute(this.db);
    const w = res.rows[0]!;
    return w.sent <= rate.max ? null : new Date(w.window_start).getTime() + rate.perMs;
  }

  private async deliver(row: Row): Promise<void> {
    const point = this.options.contactPoints.get(row.contact_point);
    if (!point) {
      await this.record(
        row,
        {
          ok: false,
          retryable: false,
          detail: `contact point ${row.contact_point} is not in contact-points.yaml (renamed or removed since)`,
        },
        0,
      );
      return;
    }
    const nextWindow = await this.takeSlot(row.contact_point);
    if (nextWindow !== null) {
      // Over the limit: back in the queue for the next window, this attempt not counted.
      await this.db
        .updateTable('notifications')
        .set({
          state: 'pending',
          attempts: sql<number>`attempts - 1`,
          next_attempt_at: new Date(nextWindow),
          locked_until: null,
          last_detail: `rate limited: waits for the next window of ${row.contact_point}`,
          updated_at: new Date(),
        })
        .where('id', '=', row.id)
        .where('state', '=', 'sending')
        .execute();
      this.stats.deferred++;
      return;
    }
    const controller = new AbortController();
    this.aborts.add(controller);
    const started = performance.now();
    let result: DeliveryResult;
    try {
      const channel = channelFor(point.type) as {
        send(
          config: unknown,
          n: OutgoingNotification,
          ctx: Parameters<ReturnType<typeof channelFor>['send']>[2],
        ): Promise<DeliveryResult>;
      };
      result = await channel.send(point.config, row.payload as unknown as OutgoingNotification, {
        idempotencyKey: row.idempotency_key,
        attempt: row.attempts,
        timeoutMs: contactPointTimeoutMs(point),
        signal: controller.signal,
        db: this.db,
        resolveSecret: (ref) => {
          const name = ref.startsWith('env:') ? ref.slice(4) : ref;
          const value = this.env[name];
          if (value === undefined || value === '') throw new Error(`the environment variable ${name} is not set`);
          return value;
        },
      });
    } catch (err) {
      result = { ok: false, retryable: true, detail: `sender error: ${(err as Error).message}` };
    } finally {
      this.aborts.delete(controller);
    }
    const ms = performance.now() - started;
    const willRetry = !result.ok && result.retryable && row.attempts < this.maxAttempts;
    this.options.observe?.(point.type, result, willRetry, ms / 1000);
    await this.record(row, result, Math.round(ms));
  }

  private async record(row: Row, result: DeliveryResult, durationMs: number): Promise<void> {
    const detail = result.detail ? result.detail.slice(0, DETAIL_MAX) : null;
    const status = result.status ?? null;
    let state: 'sent' | 'pending' | 'failed';
    let nextAt: Date | null = null;
    if (result.ok) state = 'sent';
    else if (result.retryable && row.attempts < this.maxAttempts) {
      state = 'pending';
      nextAt = new Date(
        Date.now() + Math.max(backoffMs(row.attempts, this.initialMs, this.maxMs), result.retryAfterMs ?? 0),
      );
    } else state = 'failed';
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('notification_attempts')
        .values({
          notification_id: row.id,
          attempt: row.attempts,
          ok: result.ok,
          status,
          detail,
          duration_ms: durationMs,
          instance: this.options.instance,
        })
        .execute();
      await trx
        .updateTable('notifications')
        .set({
          state,
          locked_until: null,
          last_status: status,
          last_detail: detail,
          updated_at: new Date(),
          ...(state === 'sent' ? { sent_at: new Date() } : {}),
          ...(nextAt ? { next_attempt_at: nextAt } : {}),
        })
        .where('id', '=', row.id)
        .execute();
      // No change-feed event per message: its lock would serialise sends with every ingest commit
      // that opens alerts. An alert's deliveries are read with it (GET /alerts, the delivery log).
    });
    if (state === 'sent') this.stats.sent++;
    else if (state === 'failed') this.stats.failed++;
    else this.stats.retried++;
    const log = this.options.logger;
    if (state === 'failed')
      log?.warn(
        { notification: row.id, contact_point: row.contact_point, attempts: row.attempts, status, detail },
        'notification failed',
      );
    else if (state === 'pending')
      log?.info(
        {
          notification: row.id,
          contact_point: row.contact_point,
          attempt: row.attempts,
          status,
          next_attempt_at: nextAt,
        },
        'notification will be retried',
      );
  }
}
