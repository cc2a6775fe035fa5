import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { pageOrCsv } from '../../kernel/csv/stream.ts';
import { columnsOf } from '../../kernel/csv/write.ts';
import { topicFor } from '../../contracts/mqtt.ts';
import { devicePublishTopics, issueDeviceToken } from './credentials.ts';
import { listDeadLetters } from './dead-letters.ts';
import {
  deadLetterPage,
  deadLetterQuery,
  deadLetterSchema,
  deviceTokenParams,
  deviceTokenSchema,
} from '../../contracts/dead-letters.ts';

export const ingestRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/dead-letters',
    {
      config: { auth: 'viewer', csv: true },
      schema: {
        summary: 'Messages the ingest could not store',
        description:
          'Newest first. reason: validation, unsupported_schema_version, oversize, unknown_device, site_mismatch, unknown_command. ' +
          'Filters: reason, device, site, from/to (received). Keyset pagination: limit ≤ 500 and the opaque next_cursor.',
        tags: ['ingest'],
        querystring: deadLetterQuery,
        response: { 200: deadLetterPage },
      },
    },
    async (request, reply) =>
      pageOrCsv(request, reply, request.query, (q) => listDeadLetters(app.ctx.db, request.principal!, q), {
        name: 'dead-letters',
        columns: columnsOf(deadLetterSchema),
      }),
  );

  app.post(
    '/devices/:id/mqtt-token',
    {
      config: { auth: 'admin', scope: 'tenant', limit: 'tokens' },
      schema: {
        summary: 'Issue (or rotate) a device’s MQTT password',
        description:
          'The broker username is the device id, the password this token. Shown once; only a hash is kept. ' +
          'The previous token stops working at the device’s next connect. For Mosquitto, re-run `fleetbook mosquitto export`.',
        tags: ['ingest'],
        params: deviceTokenParams,
        response: { 201: deviceTokenSchema },
      },
    },
    async (request, reply) => {
      const { role, ...issued } = await issueDeviceToken(app.ctx.db, request.principal!, request.params.id);
      return reply.status(201).send({
        ...issued,
        publish_topics: issued.site_id ? devicePublishTopics(issued.site_id, issued.device_id, role) : [],
        subscribe_topic: issued.site_id ? topicFor(issued.site_id, issued.device_id, 'cmd') : null,
      });
    },
  );
};
