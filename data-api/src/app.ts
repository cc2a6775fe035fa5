import cors from '@fastify/cors';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AppContext } from './context.ts';
import { auditRoutes } from './audit/routes.ts';
import { authPlugin } from './auth/plugin.ts';
import { tokenRoutes } from './auth/routes.ts';
import { errorHandlerPlugin } from './errors/handler.ts';
import { fleetRoutes } from './fleet/routes.ts';
import { healthRoutes } from './health/routes.ts';
import { openapiPlugin, openapiRoutes } from './openapi/plugin.ts';
import { productRoutes, registryRoutes } from './registry/routes.ts';
import { runbookRoutes } from './runbooks/routes.ts';
import { tutorialRoutes } from './tutorials/routes.ts';
import { siteRoutes } from './site/routes.ts';
import { stationRoutes } from './stations/routes.ts';
import { streamHubPlugin, streamRoutes } from './stream/routes.ts';
import { surfaceRoutes } from './surfaces/routes.ts';
import { alertRoutes } from './alerts/routes.ts';
import { commandRoutes } from './commands/routes.ts';
import { ingestRoutes } from './ingest/routes.ts';
import { metricsRoutes } from './metrics/routes.ts';
import { monitorRoutes } from './monitor/routes.ts';
import { simulatorRoutes } from './simulate/routes.ts';
import { telemetryRoutes } from './telemetry/routes.ts';
import { automationRunRoutes } from './automation-runs/routes.ts';

export interface BuildAppOptions {
  /** A pino logger; none in tests. */
  logger?: FastifyBaseLogger;
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
  await app.register(errorHandlerPlugin);
  await app.register(authPlugin);
  await app.register(streamHubPlugin);

  await app.register(
    async (api) => {
      api.setNotFoundHandler((request, reply) => {
        reply.status(404).send({ error: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0]}` });
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
      await api.register(commandRoutes);
      await api.register(simulatorRoutes);
      await api.register(runbookRoutes);
      await api.register(tutorialRoutes);
      await api.register(automationRunRoutes);
    },
    { prefix: '/api/v1' },
  );

  await app.register(metricsRoutes);
  await app.register(siteRoutes);
  return app;
}

export type App = Awaited<ReturnType<typeof buildApp>>;
