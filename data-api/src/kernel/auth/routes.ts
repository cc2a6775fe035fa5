import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { recordAudit } from '../audit/service.ts';
import {
  identitySchema,
  tokenCreateBodySchema,
  tokenCreatedSchema,
  tokenListSchema,
  tokenParams,
} from '../../contracts/auth.ts';
import { forbidden, notFound } from '../errors/index.ts';
import { ERROR_RESPONSES } from '../errors/responses.ts';
import { createToken, listTokens, revokeToken } from './service.ts';

/** Admin: create, list and revoke API tokens. The secret is returned once, at creation. */
export const tokenRoutes: FastifyPluginAsyncZod = async (app) => {
  app.post(
    '/tokens',
    {
      config: { auth: 'admin', scope: 'tenant', limit: 'tokens' },
      schema: {
        summary: 'Create an API token',
        tags: ['auth'],
        body: tokenCreateBodySchema,
        response: { 201: tokenCreatedSchema, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const who = request.principal!;
      const customerId = request.body.customer_id ?? who.customerId;
      if (who.customerId && customerId !== who.customerId)
        throw forbidden('a customer-scoped admin can only create tokens for its own customer');
      if (customerId) {
        const exists = await app.ctx.db
          .selectFrom('customers')
          .select('id')
          .where('id', '=', customerId)
          .executeTakeFirst();
        if (!exists) throw notFound('customer', customerId);
      }
      const created = await createToken(app.ctx.db, { name: request.body.name, role: request.body.role, customerId });
      await recordAudit(app.ctx.db, who, {
        action: 'create',
        entity: 'token',
        entityId: created.id,
        customerId,
        after: { name: created.name, role: created.role, prefix: created.prefix },
      });
      return reply.status(201).send({
        id: created.id,
        name: created.name,
        role: request.body.role,
        customer_id: created.customer_id,
        prefix: created.prefix,
        token: created.token,
      });
    },
  );

  app.get(
    '/tokens',
    {
      config: { auth: 'admin', limit: 'tokens' },
      schema: { summary: 'List API tokens (never their secrets)', tags: ['auth'], response: { 200: tokenListSchema } },
    },
    async (request) => {
      const scope = request.principal!.customerId;
      const rows = (await listTokens(app.ctx.db)).filter((t) => !scope || t.customer_id === scope);
      return {
        items: rows.map((t) => ({
          ...t,
          created_at: t.created_at.toISOString(),
          revoked_at: t.revoked_at ? t.revoked_at.toISOString() : null,
        })),
      };
    },
  );

  app.delete(
    '/tokens/:id',
    {
      config: { auth: 'admin', scope: 'tenant', limit: 'tokens' },
      schema: {
        summary: 'Revoke an API token',
        tags: ['auth'],
        params: tokenParams,
        response: { 204: z.null(), ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const who = request.principal!;
      const token = await app.ctx.db
        .selectFrom('api_tokens')
        .select(['id', 'customer_id'])
        .where('id', '=', request.params.id)
        .executeTakeFirst();
      if (!token || (who.customerId && token.customer_id !== who.customerId))
        throw notFound('token', request.params.id);
      await revokeToken(app.ctx.db, token.id);
      await recordAudit(app.ctx.db, who, {
        action: 'revoke',
        entity: 'token',
        entityId: token.id,
        customerId: token.customer_id,
      });
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/whoami',
    {
      config: { auth: 'viewer' },
      schema: {
        summary: 'Who the API thinks you are',
        tags: ['auth'],
        response: { 200: identitySchema },
      },
    },
    async (request) => {
      const p = request.principal!;
      return { kind: p.kind, name: p.name, role: p.role, customer_id: p.customerId };
    },
  );
};
