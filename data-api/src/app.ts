import cors from '@fastify/cors';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AppContext, AppContextParts } from './kernel/context.ts';
import { MetricsRegistry } from './kernel/metrics/registry.ts';
import { LiveTelemetry } from './telemetry/live.ts';
import { DEFAULT_RETENTION } from './telemetry/ingest/options.ts';
import { auditRoutes } from './kernel/audit/routes.ts';
import { authPlugin } from './kernel/auth/plugin.ts';
import { tokenRoutes } from './kernel/auth/routes.ts';
import { errorHandlerPlugin } from './kernel/errors/handler.ts';
import { fleetRoutes } from './health/fleet/routes.ts';
import { healthRoutes } from './kernel/readiness/routes.ts';
import { openapiPlugin, openapiRoutes } from './kernel/openapi/plugin.ts';
import { productRoutes, registryRoutes } from './registry/routes.ts';
import { runbookRoutes } from './runbooks/routes.ts';
import { tutorialRoutes } from './runbooks/tutorials/routes.ts';
import { siteRoutes } from './site/routes.ts';
import { stationRoutes } from './registry/stations/routes.ts';
import { streamHubPlugin, streamRoutes } from './kernel/stream/routes.ts';
import { surfaceRoutes } from './site/surfaces/routes.ts';
import { alertRoutes } from './health/alerts/routes.ts';
import { notificationRoutes } from './notifications/routes.ts';
import { commandRoutes } from './telemetry/commands/routes.ts';
import { ingestRoutes } from './telemetry/ingest/routes.ts';
import { httpMetricsPlugin } from './kernel/metrics/http.ts';
import { rateLimitPlugin } from './kernel/rate-limit/plugin.ts';
import { metricsRoutes } from './kernel/metrics/routes.ts';
import { monitorRoutes } from './health/monitor/routes.ts';
import { simulatorRoutes } from './demo/simulate/routes.ts';
import { telemetryRoutes } from './telemetry/routes.ts';
import { automationRunRoutes } from './automation/runs/routes.ts';
import { requestGuardsPlugin, validatorCompiler } from './kernel/validation/compiler.ts';
import { serializerCompiler } from './kernel/validation/serializer.ts';
import { workItemRoutes } from './work-items/routes.ts';

export interface BuildAppOptions {
  /** A pino logger; none in tests. */
  logger?: FastifyBaseLogger;
}

/**
 * The context of one running API: the given parts plus this process's own state (metrics,
 * live feed, ingest probes). A second replica in one process is a second context: pass the
 * first one's parts (`createAppContext({ ...ctx })`) and it gets state of its own.
 */
export function createAppContext(parts: AppContextParts): AppContext {
  const ctx = { ...parts, retention: parts.retention ?? DEFAULT_RETENTION } as AppContext;
  ctx.metrics = new MetricsRegistry();
  ctx.ingests = new Set();
  ctx.live = new LiveTelemetry(ctx);
  return ctx;
}

/**
 * Builds the Fastify app. Wiring only: ecosystem plugins → ours → routes, each area an
 * encapsulated plugin under /api/v1; the site is served at the root.
 */
export async function buildApp(ctx: AppContext, options: BuildAppOptions = {}) {
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    bodyLimit: 1024 * 1024,
    // Ids travel in paths; keep them readable in logs.
    routerOptions: { maxParamLength: 200 },
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.decorate('ctx', ctx);

  await app.register(cors, { origin: ctx.corsOrigins, credentials: false });
  await app.register(openapiPlugin);
  await app.register(httpMetricsPlugin);
  await app.register(errorHandlerPlugin);
  await app.register(authPlugin);
  await app.register(rateLimitPlugin);
  await app.register(requestGuardsPlugin);
  await app.register(streamHubPlugin);

  await app.register(
    async (api) => {
      api.setNotFoundHandler((request, reply) => {
        reply
          .status(404)
          .send({ error: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0]}` });
      });
      await api.register(healthRoutes);
      await api.register(openapiRoutes);
      await api.register(registryRoutes);
      await api.register(productRoutes);
      await api.register(tokenRoutes);
      await api.register(auditRoutes);
      await api.register(stationRoutes);
      await api.register(streamRoutes);
      await api.register(surfaceRoutes);
      await api.register(ingestRoutes);
      await api.register(telemetryRoutes);
      await api.register(monitorRoutes);
      await api.register(fleetRoutes);
      await api.register(alertRoutes);
      await api.register(notificationRoutes);
      await api.register(commandRoutes);
      await api.register(simulatorRoutes);
      await api.register(runbookRoutes);
      await api.register(tutorialRoutes);
      await api.register(automationRunRoutes);
      await api.register(workItemRoutes);
    },
    { prefix: '/api/v1' },
  );

  await app.register(metricsRoutes);
  await app.register(siteRoutes);
  return app;
}

export type App = Awaited<ReturnType<typeof buildApp>>;
