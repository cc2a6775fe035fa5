import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { columnsOf } from '../../kernel/csv/write.ts';
import { jsonOrCsv } from '../../kernel/csv/stream.ts';
import { uptimeCsvName, uptimeQuery, uptimeSchema } from '../../contracts/uptime.ts';
import { computeUptime } from './uptime.ts';

export const monitorRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/uptime',
    {
      config: { auth: 'viewer', csv: true },
      schema: {
        summary: 'Uptime per customer, site or product',
        description:
          'From the device health history (up/down transitions): up time / (up + down) per group over [from, to). Default window: the last 30 days. ' +
          '`site_id`, `customer_id` and `product_code` keep only the time of those devices (as on /fleet/health); a customer-scoped token sees only its customer.',
        tags: ['health'],
        querystring: uptimeQuery,
        response: { 200: uptimeSchema },
      },
    },
    async (request, reply) =>
      jsonOrCsv(
        request,
        reply,
        () => computeUptime(app.ctx.db, request.principal!, request.query),
        () => ({
          name: uptimeCsvName(request.query),
          columns: ['group_by', 'from', 'to', ...columnsOf(uptimeSchema.shape.items.element)],
          rows: (async function* () {
            const { items, ...window } = await computeUptime(app.ctx.db, request.principal!, request.query);
            for (const item of items) yield { ...window, ...item };
          })(),
        }),
      ),
  );
};
