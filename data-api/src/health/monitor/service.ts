import type { DeviceHealthChangedPayload } from '../../contracts/change-events.ts';
import { sql, type Kysely } from 'kysely';
import type { Logger } from 'pino';
import { DEVICE_DOWN_RULE, deviceDownKey, openAlert } from '../alerts/service.ts';
import { pruneRunRequests } from '../../automation/runs/retention.ts';
import { pruneChangeEvents } from '../../kernel/changes/retention.ts';
import { emitChange } from '../../kernel/changes/service.ts';
import { expireCommands } from '../../telemetry/commands/service.ts';
import type { AppContext } from '../../kernel/context.ts';
import type { Database } from '../../kernel/db/index.ts';
import { DEFAULT_RETENTION, TELEMETRY_DEFAULTS, type RetentionOptions } from '../../telemetry/ingest/options.ts';
import { countDbError } from '../../kernel/metrics/registry.ts';
import { runRetention, runRollup } from '../../telemetry/rollup.ts';
import { releaseLease, tryAcquireLease } from './lease.ts';

export const MONITOR_LEASE = 'monitor';
const ACTOR = 'system:monitor';
const SWEEP_LIMIT = 500;

export interface MonitorOptions {
  /** This replica's name (the lease holder). */
  instance: string;
  intervalMs?: number;
  leaseTtlMs?: number;
  rollupIntervalMs?: number;
  retentionIntervalMs?: number;
  retention?: RetentionOptions;
  logger?: Logger;
}

export interface MonitorHandle {
  isLeader(): boolean;
  /** Runs one round now (tests, and `fleetbook` tooling); resolves when it is done. */
  tick(): Promise<void>;
  stop(): Promise<void>;
}

export interface DownTransition {
  id: string;
  site_id: string | null;
  customer_id: string | null;
  product_code: string;
  role: string;
  last_seen: Date;
  previous: string;
}

/**
 * Marks devices silent for 3 × heartbeat_interval_s as down and opens their alert, in one
 * transaction per chunk. Safe with two replicas running it at once: the UPDATE re-checks
 * each row under its lock (skip locked: a row the ingest is updating is left for the next
 * round), and the alert's dedupe key is unique while open. Devices of retired deployments
 * are not watched.
 *
 * Silence counts from `watchingSince` at the earliest (the lease's: since when fleetbook has
 * been running without a gap): a device cannot be heard while nothing listens, so after a stop
 * every device gets its full 3 × heartbeat_interval_s to be heard again before it is judged.
 * Without this, the first round after a restart marked every healthy device down at once (143
 * false alerts and their notifications after a 6-minute stop of the demo), and the ingest
 * resolved them seconds later.
 */
export async function sweepDown(db: Kysely<Database>, watchingSince: Date | null = null): Promise<DownTransition[]> {
  const silentSince = sql`greatest(d.last_seen, ${watchingSince}::timestamptz)`;
  const all: DownTransition[] = [];
  for (;;) {
    const chunk = await db.transaction().execute(async (trx) => {
      const res = await sql<DownTransition>`
        with overdue as (
          select d.id, d.status as previous from devices d
          where d.status <> 'down' and d.last_seen is not null
            and ${silentSince} < now() - make_interval(secs => 3 * d.heartbeat_interval_s)
            and not exists (select 1 from deployments dep where dep.id = d.deployment_id and dep.state = 'retired')
          order by d.id
          limit ${SWEEP_LIMIT}
          for update of d skip locked
        )
        update devices d set status = 'down', observed_state = d.observed_state || jsonb_build_object('status', 'down')
        from overdue o
        where d.id = o.id and d.status <> 'down'
          and ${silentSince} < now() - make_interval(secs => 3 * d.heartbeat_interval_s)
        returning d.id, d.site_id, d.customer_id, d.product_code, d.role, d.last_seen, o.previous`.execute(trx);
      const down = res.rows;
      if (!down.length) return down;
      await sql`
        insert into device_health_events (device_id, site_id, customer_id, product_code, status, at)
        select id, site_id, customer_id, product_code, 'down', now()
        from jsonb_to_recordset(${JSON.stringify(down)}::jsonb) as x(id text, site_id text, customer_id text, product_code text)`.execute(
        trx,
      );
      for (const d of down) {
        const lastSeen = new Date(d.last_seen).toISOString();
        await openAlert(trx, ACTOR, {
          ruleId: DEVICE_DOWN_RULE,
          subject: { type: 'device', id: d.id },
          customerId: d.customer_id,
          siteId: d.site_id,
          // A gateway down darkens every sensor behind it.
          severity: d.role === 'gateway' ? 'critical' : 'warning',
          title: `${d.id} is down: nothing heard since ${lastSeen}`,
          details: { device_id: d.id, last_seen: lastSeen, role: d.role },
          dedupeKey: deviceDownKey(d.id),
        });
        await emitChange(trx, {
          type: 'device.health_changed',
          subject: { type: 'device', id: d.id },
          customerId: d.customer_id,
          siteId: d.site_id,
          payload: {
            device_id: d.id,
            status: 'down',
            previous: d.previous,
            last_seen: lastSeen,
          } satisfies DeviceHealthChangedPayload,
        });
      }
      return down;
    });
    all.push(...chunk);
    if (chunk.length < SWEEP_LIMIT) return all;
  }
}

/**
 * The health monitor and the other background jobs of the cluster (rollups, retention,
 * command expiry), run by one leader at a time (a lease row). Every replica runs this
 * loop; the non-leaders only try to take the lease.
 */
export function startMonitor(ctx: AppContext, options: MonitorOptions): MonitorHandle {
  const intervalMs = options.intervalMs ?? TELEMETRY_DEFAULTS.monitorIntervalMs;
  const leaseTtlMs = options.leaseTtlMs ?? Math.max(TELEMETRY_DEFAULTS.leaseTtlMs, intervalMs * 3);
  const rollupEvery = options.rollupIntervalMs ?? TELEMETRY_DEFAULTS.rollupIntervalMs;
  const retentionEvery = options.retentionIntervalMs ?? TELEMETRY_DEFAULTS.retentionIntervalMs;
  const retention = options.retention ?? DEFAULT_RETENTION;
  const log = options.logger;
  const metrics = ctx.metrics;
  const mDown = metrics.counter('fleetbook_monitor_devices_down_total', 'Devices marked down by the health monitor');
  // A gap longer than a failover takes (the lease running out, then the next replica's round):
  // nobody was listening, and the devices' silence counts again from the first round after it.
  const gapMs = leaseTtlMs + 2 * intervalMs;
  let leader = false;
  let watchingSince: Date | null = null;
  let lastRollup = 0;
  let lastRetention = 0;
  let running: Promise<void> | null = null;
  let housekeeping: Promise<void> | null = null;
  let stopped = false;
  const unregister = metrics.gauge('fleetbook_monitor_leader', '1 on the replica that runs the background jobs', () =>
    leader ? 1 : 0,
  );

  async function round(): Promise<void> {
    try {
      ({ held: leader, watchingSince } = await tryAcquireLease(
        ctx.db,
        MONITOR_LEASE,
        options.instance,
        leaseTtlMs,
        gapMs,
      ));
    } catch (err) {
      leader = false;
      countDbError(ctx, 'monitor');
      log?.warn({ err: (err as Error).message }, 'monitor: lease check failed');
      return;
    }
    if (!leader) return;
    await job('health sweep', async () => {
      const down = await sweepDown(ctx.db, watchingSince);
      if (down.length) {
        mDown.inc({}, down.length);
        log?.info({ count: down.length, devices: down.slice(0, 10).map((d) => d.id) }, 'devices down');
      }
    });
    await job('command expiry', () => expireCommands(ctx.db));
    // Rollups and retention can take long (a week of backfill, a big delete): they run beside
    // the rounds, so the health sweep keeps its pace meanwhile.
    if (!housekeeping) housekeeping = houseRound().finally(() => (housekeeping = null));
  }

  async function houseRound(): Promise<void> {
    const now = Date.now();
    if (now - lastRollup >= rollupEvery) {
      lastRollup = now;
      await job('rollup', () => runRollup(ctx.db));
    }
    if (now - lastRetention >= retentionEvery) {
      lastRetention = now;
      await job('retention', async () => {
        const deleted = {
          ...(await runRetention(ctx.db, retention)),
          change_events: await pruneChangeEvents(ctx.db),
          automation_run_requests: await pruneRunRequests(ctx.db),
        };
        if (Object.values(deleted).some((n) => n > 0)) log?.info({ deleted }, 'retention');
      });
    }
  }

  async function job(name: string, fn: () => Promise<unknown>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      countDbError(ctx, 'monitor');
      log?.error({ err: (err as Error).message, job: name }, 'monitor job failed');
    }
  }

  const tick = () => (running ??= round().finally(() => (running = null)));
  // The first round waits one interval: a replica that just started lets the ingest
  // catch up with what the broker queued before it judges anyone silent.
  const timer = setInterval(() => {
    if (!stopped) void tick();
  }, intervalMs);
  timer.unref();

  return {
    isLeader: () => leader,
    tick: async () => {
      await running;
      await tick();
      await housekeeping;
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
      await housekeeping;
      unregister();
      if (leader) await releaseLease(ctx.db, MONITOR_LEASE, options.instance).catch(() => {});
      leader = false;
    },
  };
}
