import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { healthSchema } from '../../contracts/health.ts';
import { checkHealth } from './service.ts';

export const healthRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/health',
    {
      config: { auth: 'public' },
      schema: {
        summary: 'Liveness and readiness',
        description:
          'Database, broker, site build and ingest, as seen by the replica that answers (each replica ingests its own share). ' +
          '200 when ok; 503 when degraded: the database or broker is down, or this replica’s ingest is down (not connected, not ' +
          'subscribed, or receiving nothing while the broker takes publishes) or lags more than FLEETBOOK_INGEST_MAX_LAG_MS.',
        tags: ['health'],
        response: { 200: healthSchema, 503: healthSchema },
      },
    },
    async (_request, reply) => {
      const health = await checkHealth(app.ctx);
      return reply.status(health.status === 'ok' ? 200 : 503).send(health);
    },
  );
};
