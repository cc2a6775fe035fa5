import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { createCommand, getCommand, listCommands } from './service.ts';
import {
  commandCreateBody,
  commandListSchema,
  commandParams,
  commandSchema,
  deviceParams,
} from '../../contracts/commands.ts';

export const commandRoutes: FastifyPluginAsyncZod = async (app) => {
  app.post(
    '/devices/:id/commands',
    {
      config: { auth: 'operator', scope: 'tenant' },
      schema: {
        summary: 'Send a command to a device',
        description:
          'Publishes `{cmd_id, action, params, expires_at}` on `fleetbook/v1/{site}/{device}/cmd` (QoS 1) and tracks it through ' +
          'the device’s `cmd/result` to done, failed or expired. 202: accepted for delivery. An action its product declares ' +
          '(catalog `commands`) has its params checked first with the firmware’s rule (contracts/command-params.ts): ' +
          '400 naming the param (`body.params.<name>`) when one is missing, unknown, of the wrong type or out of range.',
        tags: ['commands'],
        params: deviceParams,
        body: commandCreateBody,
        response: { 202: commandSchema },
      },
    },
    async (request, reply) => {
      const command = await createCommand(app.ctx, request.principal!, request.params.id, request.body);
      return reply.status(202).send(command);
    },
  );

  app.get(
    '/devices/:id/commands',
    {
      config: { auth: 'viewer' },
      schema: {
        summary: 'Recent commands of a device (newest first, at most 50)',
        tags: ['commands'],
        params: deviceParams,
        response: { 200: commandListSchema },
      },
    },
    async (request) => ({ items: await listCommands(app.ctx.db, request.principal!, request.params.id) }),
  );

  app.get(
    '/devices/:id/commands/:cmd_id',
    {
      config: { auth: 'viewer' },
      schema: {
        summary: 'One command and its status',
        tags: ['commands'],
        params: commandParams,
        response: { 200: commandSchema },
      },
    },
    async (request) => getCommand(app.ctx.db, request.principal!, request.params.id, request.params.cmd_id),
  );
};
