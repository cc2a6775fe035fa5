import rateLimit, { type RateLimitOptions } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { AppContext } from '../context.ts';
import { defaultRateLimits, describeLimit, RATE_LIMITED, type RateLimitName } from '../../contracts/rate-limits.ts';
import { ApiError } from '../errors/index.ts';
import { databaseStore } from './store.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route counts against this limit of the contract (contracts/rate-limits.ts). */
    limit?: RateLimitName;
  }
}

/**
 * @fastify/rate-limit, on the routes that name a limit (`config: { limit: 'claim' }`):
 * 429 with `Retry-After` and the contract's error body. Counts live in the database by default,
 * so two replicas behind a load balancer enforce one limit, not two.
 */
export const rateLimitPlugin = fp(async function rateLimits(app: FastifyInstance) {
  const settings = app.ctx.rateLimits ?? defaultRateLimits();
  // Before the plugin's own onRoute hook: a named limit becomes its route options.
  app.addHook('onRoute', (route) => {
    const name = route.config?.limit;
    if (!name) return;
    const options = limitFor(app.ctx, name);
    if (options) route.config = { ...route.config, rateLimit: options };
  });
  await app.register(rateLimit, {
    global: false,
    ...(settings.store === 'database' ? { store: databaseStore(app.ctx.db) } : {}),
    // A limit is a brake, never an outage: a database error lets the request through.
    skipOnError: true,
    errorResponseBuilder: (request, context) => {
      const name = request.routeOptions.config.limit;
      const limit = name ? settings.limits[name] : null;
      const rule =
        name && limit ? `${describeLimit(limit)} per ${RATE_LIMITED[name].per}` : `${context.max} per window`;
      const route = `${request.method} ${request.routeOptions.url}`;
      return new ApiError(
        'rate_limited',
        `too many requests to ${route}: the limit is ${rule}; retry after ${Math.ceil(context.ttl / 1000)} s`,
      );
    },
  });
});

/** The route config of a limited route (undefined when the limit is off). */
export function limitFor(ctx: AppContext, name: RateLimitName): RateLimitOptions | undefined {
  const limit = (ctx.rateLimits ?? defaultRateLimits()).limits[name];
  if (!limit) return undefined;
  return { max: limit.max, timeWindow: limit.windowMs, keyGenerator: KEYS[name] };
}

/** The OpenAPI note of a limited route. */
export function limitNote(ctx: AppContext, name: RateLimitName): string {
  const limit = (ctx.rateLimits ?? defaultRateLimits()).limits[name];
  return limit
    ? `Rate limit: ${describeLimit(limit)} per ${RATE_LIMITED[name].per} (429 with Retry-After beyond).`
    : '';
}

const KEYS: Record<RateLimitName, (request: FastifyRequest) => string> = {
  claim: (request) => `ip:${request.ip}`,
  events: (request) => `station:${request.principal?.stationId ?? request.principal?.name ?? request.ip}`,
  tokens: (request) => (request.principal ? `${request.principal.kind}:${request.principal.name}` : `ip:${request.ip}`),
};
