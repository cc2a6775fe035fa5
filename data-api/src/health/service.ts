import { pingDatabase } from '../db/index.ts';
import type { AppContext } from '../context.ts';
import type { Health } from '../contracts/health.ts';
import { ingestLagOf } from '../ingest/lag.ts';

const startedAt = Date.now();

/** Readiness of every part the API depends on. Never throws: a failure is a status. */
export async function checkHealth(ctx: AppContext): Promise<Health> {
  let database: Health['database'];
  try {
    const latency = await withTimeout(pingDatabase(ctx.db), 2000);
    database = { status: 'up', kind: ctx.database.kind, latency_ms: round(latency) };
  } catch (err) {
    database = { status: 'down', kind: ctx.database.kind, latency_ms: null, error: (err as Error).message };
  }
  const broker: Health['broker'] = ctx.broker
    ? {
        status: ctx.broker.connected() ? 'up' : 'down',
        kind: ctx.broker.kind,
        url: ctx.broker.url,
        clients: ctx.broker.embedded ? ctx.broker.embedded.clientCount() : null,
      }
    : { status: 'down', kind: 'none', url: null, clients: null };
  const site = ctx.siteStatus();
  const ingest = ingestHealth(ctx);
  return {
    status: database.status === 'up' && broker.status === 'up' && ingest.status !== 'lagging' ? 'ok' : 'degraded',
    version: ctx.version,
    uptime_s: Math.round((Date.now() - startedAt) / 1000),
    database,
    broker,
    build: { status: site.status, built_at: site.builtAt, ...(site.error ? { error: site.error } : {}) },
    ingest,
  };
}

/** This process's ingest backlog: a replica that cannot keep up (a slow or locked database) is not ready. */
function ingestHealth(ctx: AppContext): Health['ingest'] {
  const lag = ingestLagOf(ctx);
  if (!lag) return { status: 'off', scope: 'replica', instance: null, lag_ms: 0, queued: 0, last_stored_at: null, max_lag_ms: null };
  return {
    status: lag.lagMs > lag.maxLagMs ? 'lagging' : 'ok',
    scope: 'replica',
    instance: lag.instance,
    lag_ms: lag.lagMs,
    queued: lag.queued,
    last_stored_at: lag.lastStoredAt === null ? null : new Date(lag.lastStoredAt).toISOString(),
    max_lag_ms: lag.maxLagMs,
  };
}

const round = (n: number) => Math.round(n * 100) / 100;

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    }),
  ]);
}
