import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { pageOrCsv } from '../../kernel/csv/stream.ts';
import { columnsOf } from '../../kernel/csv/write.ts';
import { acknowledgeAlert, getAlert, listAlerts, resolveAlert } from './service.ts';
import { alertActionBody, alertIdParams, alertListQuery, alertPage, alertSchema } from '../../contracts/alerts.ts';

export const alertRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/alerts',
    {
      config: { auth: 'viewer', csv: true },
      schema: {
        summary: 'List alerts',
        description:
          'Newest first. Filters: state (comma-separated), severity, subject_type, subject_id, rule_id. Keyset pagination.',
        tags: ['alerts'],
        querystring: alertListQuery,
        response: { 200: alertPage },
      },
    },
    async (request, reply) =>
      pageOrCsv(request, reply, request.query, (q) => listAlerts(app.ctx.db, request.principal!, q), {
        name: 'alerts',
        columns: columnsOf(alertSchema),
      }),
  );

  app.get(
    '/alerts/:id',
    {
      config: { auth: 'viewer' },
      schema: { summary: 'One alert', tags: ['alerts'], params: alertIdParams, response: { 200: alertSchema } },
    },
    async (request) => getAlert(app.ctx.db, request.principal!, request.params.id),
  );

  app.post(
    '/alerts/:id/acknowledge',
    {
      config: { auth: 'operator', scope: 'tenant' },
      schema: {
        summary: 'Acknowledge an alert',
        description:
          'open → acknowledged (audited, on the change feed). Acknowledging again changes nothing; a resolved alert answers 409.',
        tags: ['alerts'],
        params: alertIdParams,
        body: alertActionBody,
        response: { 200: alertSchema },
      },
    },
    async (request) => acknowledgeAlert(app.ctx.db, request.principal!, request.params.id, request.body?.note),
  );

  app.post(
    '/alerts/:id/resolve',
    {
      config: { auth: 'operator', scope: 'tenant' },
      schema: {
        summary: 'Resolve an alert',
        description: 'open | acknowledged → resolved (audited, on the change feed). A resolved alert answers 409.',
        tags: ['alerts'],
        params: alertIdParams,
        body: alertActionBody,
        response: { 200: alertSchema },
      },
    },
    async (request) => resolveAlert(app.ctx.db, request.principal!, request.params.id, request.body?.note),
  );
};
