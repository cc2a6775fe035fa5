import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { telemetryParams, telemetryQuery, telemetrySeries } from '../contracts/telemetry.ts';
import { queryTelemetry } from './service.ts';

export const telemetryRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/devices/:id/telemetry',
    {
      config: { auth: 'viewer' },
      schema: {
        summary: 'Time series of one metric of a device',
        description:
          'Bucketed server-side (avg, min, max, count per bucket). bucket: raw, auto (≤ 500 points), or a duration (10s, 1m, 5m, 1h, 1d…). ' +
          'Reads raw readings while they are kept (30 days by default), then 1-minute and 1-hour rollups for older parts of the range; ' +
          'the bucket is coarsened to the level read.',
        tags: ['telemetry'],
        params: telemetryParams,
        querystring: telemetryQuery,
        response: { 200: telemetrySeries },
      },
    },
    async (request) =>
      queryTelemetry(app.ctx.db, request.principal!, request.params.id, request.query, app.ctx.retention),
  );
};
