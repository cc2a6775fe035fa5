import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/**
 * `http_request_duration_seconds{method,route,status_code}`: every answer, by route template
 * (`/api/v1/devices/:id`, never the id: bounded series). Site files and unknown paths share
 * `route="site"` and `route="unmatched"`, so a crawler cannot grow the series.
 */
export const httpMetricsPlugin = fp(async function httpMetrics(app: FastifyInstance) {
  const histogram = app.ctx.metrics.histogram(
    'http_request_duration_seconds',
    'HTTP request duration by route and status',
    {
      labelNames: ['method', 'route', 'status_code'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    },
  );
  app.addHook('onResponse', async (request, reply) => {
    histogram.observe(
      { method: request.method, route: routeLabel(request.routeOptions.url), status_code: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });
});

export function routeLabel(url: string | undefined): string {
  if (!url) return 'unmatched';
  return url.startsWith('/api/') || url === '/metrics' ? url : 'site';
}
