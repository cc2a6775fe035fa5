import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { uptimeQuery, uptimeSchema } from './schemas.ts';
import { computeUptime } from './uptime.ts';

export const monitorRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/uptime',
    {
      config: { auth: 'viewer' },
      schema: {
        summary: 'Uptime per customer or site',
        description: 'From the device health history (up/down transitions): up time / (up + down) per group over [from, to). Default window: the last 30 days.',
        tags: ['health'],
        querystring: uptimeQuery,
        response: { 200: uptimeSchema },
      },
    },
    async (request) => computeUptime(app.ctx.db, request.principal!, request.query),
  );
};
