import multipart from '@fastify/multipart';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { MAX_EVIDENCE_BYTES } from '../contracts/executions.ts';
import {
  workItemCommentCreateSchema,
  workItemCommentSchema,
  workItemCreateSchema,
  workItemDetailSchema,
  workItemListQuerySchema,
  workItemParams,
  workItemPageSchema,
  workItemSchema,
  workItemUpdateSchema,
} from '../contracts/work-items.ts';
import { ERROR_RESPONSES } from '../kernel/errors/responses.ts';
import { BlobStore, defaultBlobDir } from '../runbooks/blobs.ts';
import { maxPixelsFromEnv } from '../runbooks/image-size.ts';
import { addComment, createWorkItem, deleteWorkItem, getWorkItem, listWorkItems, updateWorkItem } from './service.ts';
import { attachmentRoutes } from './attachment-routes.ts';

const tags = ['work items'];
const params = workItemParams;
const RESPONSES = { ...ERROR_RESPONSES, 413: ERROR_RESPONSES[400], 415: ERROR_RESPONSES[400] } as const;
const WRITE = 'operator_or_automation' as const;

/**
 * Work items (domain.md): tickets and tasks, their comments and evidence attachments. Viewers
 * read; operators and automation (and admins) create and change; only admins delete (close an
 * item as `cancelled` instead). Tenant-scoped like the registry.
 */
export const workItemRoutes: FastifyPluginAsyncZod = async (app) => {
  const blobs = new BlobStore(app.ctx.blobDir ?? defaultBlobDir());
  const maxPixels = app.ctx.evidenceMaxPixels ?? maxPixelsFromEnv();
  const db = () => app.ctx.db;
  await app.register(multipart, { limits: { fileSize: MAX_EVIDENCE_BYTES, files: 1, fields: 10, parts: 12 } });

  app.get(
    '/work-items',
    {
      config: { auth: 'viewer' },
      schema: {
        operationId: 'listWorkItems',
        summary: 'List work items, newest first',
        description:
          'Filters: state and priority (comma lists), kind, owner (`me`: the caller — "my work"), unowned, ' +
          'origin, any link (site_id, deployment_id…), closed_since, text q. Keyset pagination (limit, cursor).',
        tags,
        querystring: workItemListQuerySchema,
        response: { 200: workItemPageSchema, ...RESPONSES },
      },
    },
    async (request) => listWorkItems(db(), request.principal!, request.query),
  );

  app.post(
    '/work-items',
    {
      config: { auth: WRITE, scope: 'tenant' },
      schema: {
        operationId: 'createWorkItem',
        summary: 'Create a ticket or a task',
        description:
          'Links are checked and completed: a device gives its deployment, site and customer; links that ' +
          'disagree answer 409. A customer-scoped token creates items of its customer only.',
        tags,
        body: workItemCreateSchema,
        response: { 201: workItemSchema, ...RESPONSES },
      },
    },
    async (request, reply) => reply.status(201).send(await createWorkItem(db(), request.principal!, request.body)),
  );

  app.get(
    '/work-items/:id',
    {
      config: { auth: 'viewer' },
      schema: {
        operationId: 'getWorkItem',
        summary: 'One work item with its comments and attachments',
        tags,
        params,
        response: { 200: workItemDetailSchema, ...RESPONSES },
      },
    },
    async (request) => getWorkItem(db(), request.principal!, request.params.id),
  );

  app.patch(
    '/work-items/:id',
    {
      config: { auth: WRITE, scope: 'tenant' },
      schema: {
        operationId: 'updateWorkItem',
        summary: 'Change a work item (state, owner, due date, priority, links…)',
        description:
          'Pass if_version to refuse a change made on stale data (409). Entering done or cancelled sets ' +
          'closed_at; reopening clears it. Links named here win; older links that no longer fit are dropped.',
        tags,
        params,
        body: workItemUpdateSchema,
        response: { 200: workItemSchema, ...RESPONSES },
      },
    },
    async (request) => updateWorkItem(db(), request.principal!, request.params.id, request.body),
  );

  app.delete(
    '/work-items/:id',
    {
      config: { auth: 'admin', scope: 'tenant' },
      schema: {
        operationId: 'deleteWorkItem',
        summary: 'Delete a work item (admins; others cancel it)',
        tags,
        params,
        response: { 204: z.null(), ...RESPONSES },
      },
    },
    async (request, reply) => {
      await deleteWorkItem(db(), request.principal!, request.params.id);
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/work-items/:id/comments',
    {
      config: { auth: WRITE, scope: 'tenant' },
      schema: {
        operationId: 'addWorkItemComment',
        summary: 'Comment on a work item',
        tags,
        params,
        body: workItemCommentCreateSchema,
        response: { 201: workItemCommentSchema, ...RESPONSES },
      },
    },
    async (request, reply) =>
      reply.status(201).send(await addComment(db(), request.principal!, request.params.id, request.body.body)),
  );

  attachmentRoutes(app, { db, blobs, maxPixels });
};
