import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { pageOrCsv } from '../../kernel/csv/stream.ts';
import { ERROR_RESPONSES } from '../../kernel/errors/responses.ts';
import { columnsOf } from '../../kernel/csv/write.ts';
import { acknowledgeAlert, getAlert, listAlerts, resolveAlert } from './service.ts';
import { alertStats } from './stats.ts';
import {
  alertActionBody,
  alertIdParams,
  alertListQuery,
  alertPage,
  alertSchema,
  alertStatsQuery,
  alertStatsSchema,
} from '../../contracts/alerts.ts';

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

  // A static path: the router prefers it to /alerts/:id whatever the order (tested).
  app.get(
    '/alerts/stats',
    {
      config: { auth: 'viewer' },
      schema: {
        summary: 'Alert response figures',
        description:
          'Of the alerts opened in [from, to) (default: the last 7 days; at most 366 days), per severity and in total: opened, ' +
          'acknowledged, resolved, auto-resolved (the system resolved it before anyone acknowledged it), escalated ' +
          '(escalation_level > 0), median and 90th percentile seconds to acknowledge, median seconds to resolve. ' +
          'Filters: severity, site_id, customer_id. A customer-scoped token counts only its customer.',
        tags: ['alerts'],
        querystring: alertStatsQuery,
        response: { 200: alertStatsSchema },
      },
    },
    async (request) => alertStats(app.ctx.db, request.principal!, request.query),
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
        response: { 200: alertSchema, 409: ERROR_RESPONSES[409] },
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
        response: { 200: alertSchema, 409: ERROR_RESPONSES[409] },
      },
    },
    async (request) => resolveAlert(app.ctx.db, request.principal!, request.params.id, request.body?.note),
  );
};
