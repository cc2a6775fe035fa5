import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { simulatorFleetBodySchema, simulatorFleetSchema } from '../../contracts/simulator.ts';
import { provisionSimFleet } from './fleet.ts';

export const simulatorRoutes: FastifyPluginAsyncZod = async (app) => {
  app.post(
    '/simulator/fleet',
    {
      config: { auth: 'admin', scope: 'unscoped' },
      schema: {
        summary: 'Provision the simulated fleet',
        description:
          'Creates customer cus_sim with sites site_sim-N (250 devices each: 2 gateways, 25 controllers, sensors) if missing, and issues ' +
          'every device a fresh MQTT token. Used by `fleetbook simulate`.',
        tags: ['simulator'],
        body: simulatorFleetBodySchema,
        response: { 200: simulatorFleetSchema },
      },
    },
    async (request) => ({
      mqtt_url: app.ctx.broker?.embedded ? app.ctx.broker.url : null,
      devices: await provisionSimFleet(app.ctx.db, request.principal!.name, request.body.devices),
    }),
  );
};
