import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { acknowledgeAlert, resolveAlert } from '../../health/alerts/service.ts';
import {
  a2uiActionMessageSchema,
  a2uiMessagesSchema,
  surfaceArgsQuery as surfaceQuery,
  surfaceDefinitionSchema,
  surfaceListSchema,
  surfaceResponseSchema,
  surfaceSummarySchema,
  surfaceRouteParams as params,
} from '../../contracts/surfaces.ts';
import { ERROR_RESPONSES } from '../../kernel/errors/responses.ts';
import { SurfacePublisher } from './publisher.ts';
import { deleteSurface, listSurfaces, performAction, putSurface, renderSurface } from './service.ts';

/** A2UI surfaces (widgets.md): list, draw, publish at run time, take actions. */
export const surfaceRoutes: FastifyPluginAsyncZod = async (app) => {
  const publisher = new SurfacePublisher(app.ctx.db, app.hub, (err) => app.log.error({ err }, 'surface publisher'));
  app.addHook('preClose', () => publisher.stop());

  app.get(
    '/surfaces',
    {
      config: { auth: 'viewer' },
      schema: { summary: 'List the surfaces', tags: ['surfaces'], response: { 200: surfaceListSchema } },
    },
    async () => ({ items: await listSurfaces(app.ctx.db) }),
  );

  app.get(
    '/surfaces/:name',
    {
      config: { auth: 'viewer' },
      schema: {
        summary: 'The A2UI v0.9 messages that draw a surface now',
        description:
          'createSurface + updateComponents + updateDataModel. Live updates arrive on the stream as `event: surface` (change type surface.updated) for the topics returned: kind `data` carries updateDataModel messages; kind `definition` means the surface was republished: GET it again.',
        tags: ['surfaces'],
        params,
        querystring: surfaceQuery,
        response: { 200: surfaceResponseSchema, ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const { params: resolved, ...body } = await renderSurface(
        app.ctx.db,
        request.principal!,
        request.params.name,
        request.query,
      );
      publisher.watch(body.surfaceId, request.params.name, resolved, request.principal!.customerId);
      return body;
    },
  );

  app.put(
    '/surfaces/:name',
    {
      config: { auth: 'automation', scope: 'unscoped' },
      schema: {
        summary: 'Publish a surface at run time',
        description:
          'Creates or replaces the run-time definition (it overrides a repository surface of the same name). Pages showing it re-read it at once, without a site rebuild.',
        tags: ['surfaces'],
        params,
        body: surfaceDefinitionSchema,
        response: { 200: surfaceSummarySchema, 201: surfaceSummarySchema, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const r = await putSurface(app.ctx.db, request.principal!, request.params.name, request.body);
      return reply.status(r.created ? 201 : 200).send(r.summary);
    },
  );

  app.delete(
    '/surfaces/:name',
    {
      config: { auth: 'automation', scope: 'unscoped' },
      schema: {
        summary: 'Remove a run-time surface',
        tags: ['surfaces'],
        params,
        response: { 204: z.null(), ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      await deleteSurface(app.ctx.db, request.principal!, request.params.name);
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/surfaces/:name/actions',
    {
      config: { auth: 'viewer', scope: 'tenant' },
      schema: {
        summary: 'Take a user action from a surface',
        description:
          'An A2UI v0.9 action message. Each action needs its own role (refresh: any; acknowledge_alert, resolve_alert: operator); the answer holds the messages to apply.',
        tags: ['surfaces'],
        params,
        querystring: surfaceQuery,
        body: a2uiActionMessageSchema,
        response: { 200: a2uiMessagesSchema, ...ERROR_RESPONSES },
      },
    },
    async (request) =>
      performAction(app.ctx.db, request.principal!, request.params.name, request.query, request.body, {
        acknowledgeAlert: (db, who, id) => acknowledgeAlert(db, who, id),
        resolveAlert: (db, who, id) => resolveAlert(db, who, id),
      }),
  );
};
