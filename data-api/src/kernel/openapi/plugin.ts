import fastifySwagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { limitNote } from '../rate-limit/plugin.ts';
import { documentCsv, documentMediaTypes, documentQueryMap, documentRateLimit, finishDocument } from './documents.ts';
import { operationIdFor } from './operation-ids.ts';
import { ERROR_RESPONSES } from '../errors/responses.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route also answers `Accept: text/csv` (see csv/); the OpenAPI document says so. */
    csv?: boolean;
    /** The media type of the 200 answer when it is not JSON (errors stay JSON). */
    okMediaType?: string;
    /**
     * The media types of answers that are not JSON, by status (a download: each type it may
     * be served as; a page: text/html). The status's response schema describes each.
     */
    media?: Partial<Record<number, string | readonly string[]>>;
    /** The body as documented, when the route validates it more loosely (items checked one by one). */
    openapiBody?: unknown;
  }
}

/** The OpenAPI document is generated from the route schemas (zod), never written by hand. */
export const openapiPlugin = fp(async function openapi(app: FastifyInstance) {
  const seen = new Map<string, string>();
  // Client generators need a unique operationId on each operation (see operation-ids.ts).
  app.addHook('onRoute', (route) => {
    if (typeof route.method !== 'string' || route.method === 'HEAD' || route.method === 'OPTIONS') return;
    if (!route.url.startsWith('/api/v1/') && route.url !== '/metrics') return;
    const schema = route.schema as (Record<string, unknown> & { hide?: boolean; operationId?: string }) | undefined;
    if (!schema || schema.hide) return;
    schema.operationId ??= operationIdFor(route.method, route.url);
    documentErrors(route.url, schema);
    const other = seen.get(schema.operationId);
    if (other)
      throw new Error(`operationId ${schema.operationId} of ${route.method} ${route.url} is already ${other}'s`);
    seen.set(schema.operationId, `${route.method} ${route.url}`);
  });

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'fleetbook data API',
        version: app.ctx.version,
        description:
          'System of record for the device fleet: registry, telemetry, health, runbook executions, automation runs, work items. ' +
          'Errors share one shape: `{ error, message, issues? }`. Lists of devices, alerts, runs, dead letters and ' +
          'uptime also answer `Accept: text/csv` (every row the caller may see, streamed, no cursor).',
        license: { name: 'UNLICENSED', identifier: 'LicenseRef-UNLICENSED' },
      },
      // Paths carry /api/v1 themselves: the server is the instance's origin. A relative URL is
      // the instance that served this document; FLEETBOOK_PUBLIC_URL names the public one.
      servers: [
        ...(app.ctx.publicUrl ? [{ url: app.ctx.publicUrl.replace(/\/+$/, ''), description: 'this deployment' }] : []),
        { url: '/', description: 'the instance serving this document' },
      ],
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'fleetbook API token' } },
      },
      security: [{ bearer: [] }],
    },
    transform: (input) => {
      const config = input.route.config;
      const documented = config?.openapiBody ? { ...input.schema, body: config.openapiBody } : input.schema;
      const out = jsonSchemaTransform({ ...input, schema: documented as typeof input.schema });
      const schema = out.schema as Record<string, unknown> | undefined;
      if (schema && !schema.hide) {
        documentQueryMap(schema);
        if (config?.csv) documentCsv(schema);
        if (config?.okMediaType) documentMediaTypes(schema, 200, config.okMediaType);
        for (const [status, types] of Object.entries(config?.media ?? {}))
          if (types) documentMediaTypes(schema, status, types);
        if (config?.limit) documentRateLimit(schema, limitNote(app.ctx, config.limit));
      }
      return out;
    },
    transformObject: (input) => finishDocument(jsonSchemaTransformObject(input)),
  });
});

/**
 * contracts.md: a bad body, query or path is a 400 `validation` and an unknown id a 404, on every
 * route: each JSON route's responses say so (a client generated from the document then handles
 * them), as the auth plugin adds 401 and 403. Every route may answer 400, even one that reads
 * nothing: a query parameter it does not take is refused (kernel/validation/compiler.ts).
 * Routes that answer other media (no `response`) are left as they are.
 */
function documentErrors(url: string, schema: Record<string, unknown>): void {
  if (!schema.response) return;
  // A copy: routes may share one response object.
  const response: Record<string, unknown> = (schema.response = { ...(schema.response as object) });
  response[400] ??= ERROR_RESPONSES[400];
  if (url.includes(':')) response[404] ??= ERROR_RESPONSES[404];
}

export async function openapiRoutes(app: FastifyInstance) {
  app.get('/openapi.json', { config: { auth: 'public' }, schema: { hide: true } }, async () => app.swagger());
}
