// The notifications engine of one replica: wiring only. Every replica evaluates the readings
// its ingest stores (evaluate.ts), routes alerts whose state changed (route.ts), flushes due
// groups (group.ts) and works the outbox (outbox.ts), each claiming its share with SKIP
// LOCKED; one replica (a lease) runs the sweeps that have no reading to start from: pending
// rules whose `for` ran out, no-data rules and the state rules.
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database, DatabaseHandle } from '../kernel/db/index.ts';
import type { MetricsRegistry } from '../kernel/metrics/registry.ts';
import { parseDuration } from '../contracts/notification-rules.ts';
import type { ReadingsHook } from '../telemetry/ingest/readings.ts';
import { notificationDeliverySeconds } from '../kernel/metrics/notifications.ts';
import { releaseLease, tryAcquireLease } from '../health/monitor/lease.ts';
import { ackLinkKey } from './deliver.ts';
import {
  evaluateReadings,
  NOTIFY_CHANNEL,
  promoteDuePending,
  RuleSet,
  RuleStateCache,
  type EvaluationStats,
} from './evaluate.ts';
import { sweepStateRules } from './events.ts';
import { flushDueGroups, type FlushContext, type FlushStats } from './group.ts';
import { compileInhibitRules, Inhibitor, type CompiledInhibitRule } from './inhibit.ts';
import { sweepNoData } from './nodata.ts';
import { OutboxWorker } from './outbox.ts';
import type { CompiledRoute } from './compiled-route.ts';
import { compileRoutes, routePendingAlerts } from './route.ts';
import type { NotificationConfig } from './rules.ts';
import { activeSilences, type ActiveSilence } from './silence.ts';

export const NOTIFICATIONS_LEASE = 'notifications';

export interface EngineOptions {
  /** This replica's name (lease holder, delivery log). */
  instance: string;
  /** Where fleetbook is reached from a message (links, acknowledge URLs). */
  externalUrl: string;
  /** How often each replica looks for work without a wake-up (default 1 s). */
  tickMs?: number;
  /** How often the leader sweeps no-data, state and pending rules (default 10 s). */
  sweepMs?: number;
  /** Outbox messages sent at once by this replica (default 8). */
  concurrency?: number;
  /** Where `env:NAME` secrets are read (default process.env). */
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
}

export interface NotificationEngine {
  readonly rules: RuleSet;
  readonly routes: Map<string, CompiledRoute>;
  readonly outbox: OutboxWorker;
  readonly evaluation: EvaluationStats;
  readonly flushes: FlushStats;
  /** The ingest's hook: evaluate stored readings inside the batch's transaction. */
  onReadings: ReadingsHook;
  isLeader(): boolean;
  /** One round of everything now (tests, benchmarks): sweeps (when `sweep`), routing, flushing; then the outbox. */
  tick(options?: { sweep?: boolean }): Promise<void>;
  /** Resolves when nothing is pending in this replica: routed, flushed, sent. */
  settle(): Promise<void>;
  stop(): Promise<void>;
}

/** What the engine uses of its AppContext (kernel/context.ts holds the engine, so naming AppContext would be a cycle). */
export interface EngineContext {
  db: Kysely<Database>;
  database: DatabaseHandle;
  metrics: MetricsRegistry;
}

export async function startNotificationEngine(
  ctx: EngineContext,
  config: NotificationConfig,
  options: EngineOptions,
): Promise<NotificationEngine> {
  const log = options.logger;
  const db = ctx.db;
  const rules = new RuleSet(config, options.externalUrl);
  const routes = compileRoutes(
    config.policies.route,
    config.policies.escalations,
    new Set(config.untold?.keys() ?? []),
  );
  const inhibitRules: CompiledInhibitRule[] = compileInhibitRules(config.policies.inhibit_rules);
  const cache = new RuleStateCache();
  await cache.reload(db);
  const ackKey = await ackLinkKey(db);
  const ackTtlMs = parseDuration(config.policies.delivery.ack_link_ttl) ?? 86_400_000;
  const outbox = newOutbox(ctx, config, options);
  const evaluation: EvaluationStats = { readings: 0, transitions: 0, opened: 0, resolved: 0 };
  const flushes: FlushStats = { groups: 0, messages: 0, suppressed: 0 };

  let leader = false;
  const { mOpened, mMessages, unregister } = engineMetrics(ctx, outbox, () => leader);
  const sweepMs = options.sweepMs ?? 10_000;

  async function sweeps(): Promise<void> {
    leader = (await tryAcquireLease(db, NOTIFICATIONS_LEASE, options.instance, Math.max(30_000, sweepMs * 3))).held;
    if (!leader) return;
    const opened =
      (await promoteDuePending(db, rules)) +
      (await sweepNoData(db, rules)).opened +
      (await sweepStateRules(db, rules)).opened;
    if (opened) mOpened.inc({ kind: 'sweep' }, opened);
  }

  async function routeAndFlush(): Promise<void> {
    while ((await routePendingAlerts(db, rules, routes)) > 0);
    const s = await flushWithJudges(db, inhibitRules, {
      routes,
      externalUrl: options.externalUrl,
      ackKey,
      ackTtlMs,
      maxAlerts: config.policies.delivery.max_alerts_per_message,
    });
    flushes.groups += s.groups;
    flushes.messages += s.messages;
    flushes.suppressed += s.suppressed;
    if (s.messages) {
      mMessages.inc({}, s.messages);
      outbox.wake();
    }
  }

  const rounds = new Rounds(sweepMs, sweeps, routeAndFlush, log);

  const unlisten = await ctx.database.listen(NOTIFY_CHANNEL, (payload) => {
    if (payload === '') {
      // The listening connection came back: what was said meanwhile is lost, re-read it.
      void cache.reload(db).catch(() => {});
      void rounds.run();
      return;
    }
    if (cache.onNotify(payload)) return;
    if (payload === 'w' && !rounds.stopped) {
      void rounds.run();
      outbox.wake();
    }
  });
  const timer = setInterval(() => {
    if (!rounds.stopped) void rounds.run();
  }, options.tickMs ?? 1000);
  timer.unref();
  outbox.start();

  return {
    rules,
    routes,
    outbox,
    evaluation,
    flushes,
    onReadings: async (trx, readings, device) => {
      const before = evaluation.opened;
      await evaluateReadings(trx, rules, cache, readings, device, Date.now(), evaluation);
      if (evaluation.opened > before) mOpened.inc({ kind: 'threshold' }, evaluation.opened - before);
    },
    isLeader: () => leader,
    async tick(opts = {}) {
      await rounds.running;
      await rounds.run(opts.sweep ?? false);
      await outbox.idle();
    },
    async settle() {
      for (let i = 0; i < 50; i++) {
        await rounds.running;
        await rounds.run();
        await outbox.idle();
        if ((await dueMessages(db)) === 0 && !rounds.running) return;
      }
    },
    async stop() {
      rounds.stopped = true;
      clearInterval(timer);
      await unlisten();
      await rounds.running;
      await rounds.sweeping;
      await outbox.stop();
      for (const u of unregister) u();
      if (leader) await releaseLease(db, NOTIFICATIONS_LEASE, options.instance).catch(() => {});
      leader = false;
    },
  };
}

/**
 * Runs the engine's rounds one at a time: a wake-up during a round asks for one more after it.
 * The sweeps run beside the rounds, never inside one: a sweep over the whole fleet (no-data,
 * state rules) took hundreds of milliseconds on a loaded machine, and a crossing that woke the
 * engine meanwhile waited for it (the p99 of crossing → first message, issue 14's benchmark).
 */
class Rounds {
  running: Promise<void> | null = null;
  sweeping: Promise<void> | null = null;
  stopped = false;
  private again = false;
  private lastSweep = 0;

  constructor(
    private readonly sweepMs: number,
    private readonly sweeps: () => Promise<void>,
    private readonly work: () => Promise<void>,
    private readonly log: Logger | undefined,
  ) {}

  readonly sweepNow = (): Promise<void> =>
    (this.sweeping ??= (async () => {
      try {
        this.lastSweep = Date.now();
        await this.sweeps();
      } catch (err) {
        this.log?.error({ err: (err as Error).message }, 'notifications: sweep failed');
      } finally {
        this.sweeping = null;
      }
    })());

  readonly run = (sweep = false): Promise<void> => {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.round(sweep).finally(() => {
      this.running = null;
      if (this.again && !this.stopped) {
        this.again = false;
        void this.run();
      }
    });
    return this.running;
  };

  private async round(sweep: boolean): Promise<void> {
    try {
      if (sweep) await this.sweepNow();
      else if (!this.sweeping && Date.now() - this.lastSweep >= this.sweepMs)
        void this.sweepNow().then(() => {
          if (!this.stopped) void this.run();
        });
      await this.work();
    } catch (err) {
      this.log?.error({ err: (err as Error).message }, 'notifications: round failed');
    }
  }
}

function newOutbox(ctx: EngineContext, config: NotificationConfig, options: EngineOptions): OutboxWorker {
  const delivery = notificationDeliverySeconds(ctx);
  return new OutboxWorker(ctx.db, {
    instance: options.instance,
    contactPoints: config.contactPoints,
    delivery: config.policies.delivery,
    concurrency: options.concurrency,
    pollMs: options.tickMs,
    env: options.env,
    observe: (channel, result, willRetry, seconds) =>
      delivery.observe({ channel, outcome: result.ok ? 'delivered' : willRetry ? 'retry' : 'failed' }, seconds),
    logger: options.logger,
  });
}

function engineMetrics(ctx: EngineContext, outbox: OutboxWorker, isLeader: () => boolean) {
  const metrics = ctx.metrics;
  const mOpened = metrics.counter(
    'fleetbook_notification_alerts_opened_total',
    'Alerts opened by alert rules (threshold, no data, state)',
  );
  const mMessages = metrics.counter(
    'fleetbook_notification_messages_total',
    'Messages written to the outbox, by status',
  );
  const unregister = [
    metrics.gauge('fleetbook_notifications_leader', '1 on the replica that runs the notification sweeps', () =>
      isLeader() ? 1 : 0,
    ),
    metrics.gauge('fleetbook_notification_outbox', 'Messages of this replica by outcome since start', () => [
      { labels: { outcome: 'sent' }, value: outbox.stats.sent },
      { labels: { outcome: 'failed' }, value: outbox.stats.failed },
      { labels: { outcome: 'retried' }, value: outbox.stats.retried },
      { labels: { outcome: 'rate_limited' }, value: outbox.stats.deferred },
    ]),
  ];
  return { mOpened, mMessages, unregister };
}

/** Flushes the due groups; silences and inhibitions are read at most once a call, through the flush's transaction. */
function flushWithJudges(
  db: Kysely<Database>,
  inhibitRules: CompiledInhibitRule[],
  flush: Omit<FlushContext, 'judges'>,
): Promise<FlushStats> {
  let judged: Promise<{ silences: ActiveSilence[]; inhibitor: Inhibitor }> | null = null;
  return flushDueGroups(db, {
    ...flush,
    judges: (trx) =>
      (judged ??= Promise.all([activeSilences(trx), Inhibitor.load(trx, inhibitRules)]).then(
        ([silences, inhibitor]) => ({ silences, inhibitor }),
      )),
  });
}

/** Messages of every replica due now and not yet sent. */
async function dueMessages(db: Kysely<Database>): Promise<number> {
  const pending = await db
    .selectFrom('notifications')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('state', 'in', ['pending', 'sending'])
    .where('next_attempt_at', '<=', new Date())
    .executeTakeFirst();
  return Number(pending?.n ?? 0);
}
