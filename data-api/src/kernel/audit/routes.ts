import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { auditPageSchema, auditQuerySchema } from '../../contracts/audit.ts';
import { validationError } from '../errors/index.ts';
import { ERROR_RESPONSES } from '../errors/responses.ts';

function decodeAuditCursor(cursor: string | undefined): number | null {
  if (cursor === undefined) return null;
  const id = Number(
    Buffer.from(cursor, 'base64url')
      .toString('utf8')
      .replace(/^audit:/, ''),
  );
  if (!Number.isSafeInteger(id) || id <= 0)
    throw validationError([
      { path: 'querystring.cursor', message: 'invalid cursor: pass back the next_cursor of a previous page unchanged' },
    ]);
  return id;
}

/** GET /audit: who did what, newest first; a customer-scoped token sees its own tenant's. */
export const auditRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/audit',
    {
      config: { auth: 'viewer' },
      schema: {
        summary: 'The audit log',
        tags: ['audit'],
        querystring: auditQuerySchema,
        response: { 200: auditPageSchema, ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const qs = request.query;
      const before = decodeAuditCursor(qs.cursor);
      let query = app.ctx.db
        .selectFrom('audit_log')
        .selectAll()
        .orderBy('id', 'desc')
        .limit(qs.limit + 1);
      const scope = request.principal!.customerId;
      if (scope) query = query.where('customer_id', '=', scope);
      if (qs.entity) query = query.where('entity', '=', qs.entity);
      if (qs.entity_id) query = query.where('entity_id', '=', qs.entity_id);
      if (qs.actor) query = query.where('actor', '=', qs.actor);
      if (qs.action) query = query.where('action', '=', qs.action);
      if (qs.from) query = query.where('at', '>=', new Date(qs.from));
      if (qs.to) query = query.where('at', '<', new Date(qs.to));
      if (before) query = query.where('id', '<', before);
      const rows = await query.execute();
      const more = rows.length > qs.limit;
      const items = (more ? rows.slice(0, qs.limit) : rows).map((r) => ({ ...r, at: r.at.toISOString() }));
      return {
        items,
        next_cursor: more ? Buffer.from(`audit:${items[items.length - 1]!.id}`).toString('base64url') : null,
      };
    },
  );
};
