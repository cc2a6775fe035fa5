import { pingDatabase } from '../db/index.ts';
import type { AppContext } from '../context.ts';
import type { Health } from '../../contracts/health.ts';
import { ingestStatusOf } from '../../telemetry/ingest/status.ts';

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
        port: ctx.broker.embedded?.port ?? null,
        requested_port: ctx.broker.embedded?.requestedPort ?? null,
      }
    : { status: 'down', kind: 'none', url: null, clients: null, port: null, requested_port: null };
  const site = ctx.siteStatus();
  const ingest = ingestHealth(ctx);
  return {
    status:
      database.status === 'up' && broker.status === 'up' && (ingest.status === 'ok' || ingest.status === 'off')
        ? 'ok'
        : 'degraded',
    version: ctx.version,
    uptime_s: Math.round((Date.now() - startedAt) / 1000),
    database,
    broker,
    build: { status: site.status, built_at: site.builtAt, ...(site.error ? { error: site.error } : {}) },
    ingest,
  };
}

/** This process's ingest: a replica that ingests nothing, or cannot keep up (a slow or locked database), is not ready. */
function ingestHealth(ctx: AppContext): Health['ingest'] {
  const s = ingestStatusOf(ctx);
  if (!s) {
    return {
      status: 'off',
      reason: null,
      scope: 'replica',
      instance: null,
      connected: false,
      subscribed: false,
      lag_ms: 0,
      queued: 0,
      last_received_at: null,
      last_stored_at: null,
      max_lag_ms: null,
    };
  }
  return {
    status: s.down ? 'down' : s.lagMs > s.maxLagMs ? 'lagging' : 'ok',
    reason: s.down,
    scope: 'replica',
    instance: s.instance,
    connected: s.connected,
    subscribed: s.subscribed,
    lag_ms: s.lagMs,
    queued: s.queued,
    last_received_at: iso(s.lastReceivedAt),
    last_stored_at: iso(s.lastStoredAt),
    max_lag_ms: s.maxLagMs,
  };
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
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
