import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { fleetFirmwareQuery, fleetFirmwareSchema } from '../../contracts/firmware.ts';
import { ERROR_RESPONSES } from '../../kernel/errors/responses.ts';
import { fleetFirmware } from './firmware.ts';
import { fleetHealthQuery, fleetHealthSchema } from '../../contracts/fleet.ts';
import { fleetHealth } from './service.ts';

/** Fleet-wide aggregates for dashboards (widgets.md: FleetHealth). */
export const fleetRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/fleet/health',
    {
      config: { auth: 'viewer' },
      schema: {
        summary: 'Devices up, down and unknown per site, product or customer',
        description:
          'Counts from the registry (live status), one grouped query. A customer-scoped token counts only its own devices. Filters: site_id, customer_id, product_code.',
        tags: ['health'],
        querystring: fleetHealthQuery,
        response: { 200: fleetHealthSchema, ...ERROR_RESPONSES },
      },
    },
    async (request) => fleetHealth(app.ctx.db, request.principal!.customerId, request.query),
  );

  app.get(
    '/fleet/firmware',
    {
      config: { auth: 'viewer' },
      schema: {
        summary: 'Devices by product version and reported firmware, and the firmware drift',
        description:
          'Counts per product, version and reported firmware (`observed_state.fw`), against the version’s `firmware_baseline` from the catalog; ' +
          'drift = a reported firmware that differs from the baseline. A customer-scoped token counts only its own devices.',
        tags: ['health'],
        querystring: fleetFirmwareQuery,
        response: { 200: fleetFirmwareSchema, ...ERROR_RESPONSES },
      },
    },
    async (request) => fleetFirmware(app.ctx.db, request.principal!.customerId, request.query),
  );
};
