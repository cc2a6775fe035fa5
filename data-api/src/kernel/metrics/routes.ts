import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { alertCounts } from '../../health/alerts/service.ts';
import { forbidden } from '../errors/index.ts';
import { ERROR_RESPONSES } from '../errors/responses.ts';

/**
 * `GET /metrics`: Prometheus text, outside /api/v1 (where scrapers look for it). It needs a
 * viewer token that is not scoped to a customer (fleet-wide counts are not a tenant's to
 * see): point Prometheus's `authorization: { credentials_file: … }` at one. In embedded
 * mode open localhost reads cover a local scraper.
 */
export const metricsRoutes: FastifyPluginAsyncZod = async (app) => {
  const registry = app.ctx.metrics;
  registry.gauge('fleetbook_up', 'Always 1 while the API answers', () => 1);
  registry.gauge('fleetbook_info', 'Version of this replica', () => [
    { labels: { version: app.ctx.version }, value: 1 },
  ]);
  registry.gauge('fleetbook_broker_connected', '1 when the API’s MQTT client is connected', () =>
    app.ctx.broker?.connected() ? 1 : 0,
  );
  const embedded = app.ctx.broker?.embedded;
  if (embedded)
    registry.gauge('fleetbook_broker_clients', 'Clients connected to the MQTT broker', () => embedded.clientCount());
  // The stream hub (stream/hub.ts) is decorated on the root instance when it is registered.
  const hub = (app as unknown as { hub?: { clientCount(): number } }).hub;
  registry.gauge('fleetbook_sse_clients', 'Connected Server-Sent Events clients', () => hub?.clientCount() ?? 0);
  registry.counter('fleetbook_db_errors_total', 'Database errors in background components, by component');
  registry.gauge('fleetbook_alerts', 'Alerts not yet resolved, by state and severity', async () =>
    (await alertCounts(app.ctx.db)).map((r) => ({
      labels: { state: r.state, severity: r.severity },
      value: Number(r.n),
    })),
  );

  app.get(
    '/metrics',
    {
      config: { auth: 'viewer', okMediaType: 'text/plain; version=0.0.4' },
      schema: {
        summary: 'Prometheus metrics',
        description:
          'Ingest rate and lag, dead letters by reason, broker and SSE clients, database errors, alert counts. Text format 0.0.4.',
        tags: ['metrics'],
        security: [{ bearer: [] }],
        response: {
          200: z.string().describe('Prometheus text exposition format 0.0.4'),
          401: ERROR_RESPONSES[401],
          403: ERROR_RESPONSES[403],
        },
      },
    },
    async (request, reply) => {
      // The auth plugin has required a principal (401 otherwise); fleet-wide counts need more.
      const principal = request.principal!;
      if (principal.customerId !== null)
        throw forbidden('/metrics shows the whole fleet: use a token that is not scoped to a customer');
      if (principal.role === 'station') throw forbidden('station tokens cannot read metrics');
      reply.type(registry.contentType);
      return registry.render();
    },
  );
};
