import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { provisionSimFleet } from './fleet.ts';

const simDevice = z.object({
  id: z.string(),
  site_id: z.string(),
  role: z.enum(['gateway', 'sensor', 'controller']),
  gateway_id: z.string().optional(),
  token: z.string().optional().describe('MQTT password of the device (shown once)'),
});

export const simulatorRoutes: FastifyPluginAsyncZod = async (app) => {
  app.post(
    '/simulator/fleet',
    {
      config: { auth: 'admin' },
      schema: {
        summary: 'Provision the simulated fleet',
        description:
          'Creates customer cus_sim with sites site_sim-N (250 devices each: 2 gateways, 25 controllers, sensors) if missing, and issues ' +
          'every device a fresh MQTT token. Used by `fleetbook simulate`.',
        tags: ['simulator'],
        body: z.strictObject({ devices: z.number().int().min(1).max(100_000) }),
        response: { 200: z.object({ mqtt_url: z.string().nullable(), devices: z.array(simDevice) }) },
      },
    },
    async (request) => ({
      mqtt_url: app.ctx.broker?.embedded ? app.ctx.broker.url : null,
      devices: await provisionSimFleet(app.ctx.db, request.principal!.name, request.body.devices),
    }),
  );
};
