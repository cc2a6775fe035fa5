import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ERROR_RESPONSES } from '../registry/crud-routes.ts';
import { fleetHealthQuery, fleetHealthSchema } from './schemas.ts';
import { fleetHealth } from './service.ts';

/** Fleet-wide aggregates for dashboards (widgets.md: FleetHealth). */
export const fleetRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/fleet/health',
    {
      config: { auth: 'viewer' },
      schema: {
        summary: 'Devices up, down and unknown per site, product or customer',
        description: 'Counts from the registry (live status), one grouped query. A customer-scoped token counts only its own devices. Filters: site_id, customer_id, product_code.',
        tags: ['health'],
        querystring: fleetHealthQuery,
        response: { 200: fleetHealthSchema, ...ERROR_RESPONSES },
      },
    },
    async (request) => fleetHealth(app.ctx.db, request.principal!.customerId, request.query),
  );
};
