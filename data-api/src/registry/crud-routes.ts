import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Principal } from '../kernel/auth/roles.ts';
import type { Database } from '../kernel/db/index.ts';
import type { Kysely } from 'kysely';
import { idParamsOf } from '../contracts/ids.ts';
import { pageOf } from '../contracts/pagination.ts';
import { pageOrCsv } from '../kernel/csv/stream.ts';
import { columnsOf } from '../kernel/csv/write.ts';
import { ERROR_RESPONSES } from '../kernel/errors/responses.ts';
import { ifMatchHeaders } from '../contracts/preconditions.ts';
import { conditionOf, preconditionFailedSchema, withEtag, type WriteCondition } from './precondition.ts';

type Db = Kysely<Database>;

/** One registry collection: its schemas and the service calls behind the five routes. */
export interface CrudSpec<
  Item extends z.ZodType,
  Create extends z.ZodType,
  Update extends z.ZodType,
  Query extends z.ZodRawShape,
> {
  /** URL segment, e.g. `sites`. */
  path: string;
  /** Singular name for summaries, e.g. `site`. */
  name: string;
  tag: string;
  id: z.ZodType<string>;
  item: Item;
  create: Create;
  update: Update;
  /** List filters besides limit/cursor. */
  filters: Query;
  /** Role for writes (reads need any role). */
  writeRole: 'admin' | 'operator';
  /** Writes that change what every customer shares (default: none, every write stays in its tenant). */
  sharedWrites?: ReadonlyArray<'create' | 'update' | 'delete'>;
  list(db: Db, who: Principal, q: any): Promise<{ items: z.infer<Item>[]; next_cursor: string | null }>;
  get(db: Db, who: Principal, id: string): Promise<z.infer<Item>>;
  add(db: Db, who: Principal, body: z.infer<Create>): Promise<z.infer<Item>>;
  /** Applies `condition` (If-Match) on the row it locks: 412 when it is no longer that version. */
  patch(db: Db, who: Principal, id: string, body: z.infer<Update>, condition?: WriteCondition): Promise<z.infer<Item>>;
  /** Applies `condition` (If-Match) the same way, on the row it locks: 412 and nothing deleted, cascade or not. */
  remove(db: Db, who: Principal, id: string, q: { cascade?: boolean }, condition?: WriteCondition): Promise<void>;
  /** Extra delete query parameters (sites: cascade). */
  deleteQuery?: z.ZodRawShape;
}

/**
 * GET/POST /<path>, GET/PATCH/DELETE /<path>/:id with the same error shapes, paging and
 * auth on every collection; the entity rules live in each collection's service. A record's
 * answer carries its ETag (its updated_at); a PATCH or DELETE with If-Match applies only to that
 * version (412 otherwise), so a form opened on an old copy cannot overwrite, nor a page delete,
 * someone else's edit unseen.
 */
export function registerCrud<I extends z.ZodType, C extends z.ZodType, U extends z.ZodType, Q extends z.ZodRawShape>(
  parent: FastifyInstance,
  spec: CrudSpec<I, C, U, Q>,
  pageQuery: z.ZodRawShape,
) {
  // Generic glue on the untyped instance: the zod schemas still validate every request and
  // reply at run time; the services carry the static types.
  const app = parent;
  const params = idParamsOf(spec.id);
  const tags = [spec.tag];
  const db = () => app.ctx.db;
  /** The answer is the record: its version goes in the ETag header. */
  const etagNote =
    "The answer carries the record's ETag (its updated_at, quoted): send it back as If-Match to change that version only.";
  const preconditionFailed = preconditionFailedSchema(spec.item);
  const scope = (write: 'create' | 'update' | 'delete') =>
    (spec.sharedWrites?.includes(write) ? 'unscoped' : 'tenant') as 'tenant' | 'unscoped';

  app.get(
    `/${spec.path}`,
    {
      config: { auth: 'viewer', csv: true },
      schema: {
        summary: `List ${spec.path}`,
        tags,
        querystring: z.strictObject({ ...pageQuery, ...spec.filters }),
        response: { 200: pageOf(spec.item, spec.name[0]!.toUpperCase() + spec.name.slice(1)), ...ERROR_RESPONSES },
      },
    },
    async (request, reply) =>
      pageOrCsv(request, reply, request.query as object, (q) => spec.list(db(), request.principal!, q), {
        name: spec.path,
        columns: columnsOf(spec.item),
      }),
  );
  app.get(
    `/${spec.path}/:id`,
    {
      config: { auth: 'viewer' },
      schema: {
        summary: `Get a ${spec.name}`,
        description: etagNote,
        tags,
        params,
        response: { 200: spec.item, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) =>
      withEtag(reply, await spec.get(db(), request.principal!, (request.params as { id: string }).id)),
  );
  app.post(
    `/${spec.path}`,
    {
      config: { auth: spec.writeRole, scope: scope('create') },
      schema: {
        summary: `Create a ${spec.name}`,
        tags,
        body: spec.create,
        response: { 201: spec.item, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) =>
      reply.status(201).send(withEtag(reply, await spec.add(db(), request.principal!, request.body as z.infer<C>))),
  );
  app.patch(
    `/${spec.path}/:id`,
    {
      config: { auth: spec.writeRole, scope: scope('update') },
      schema: {
        summary: `Change a ${spec.name}`,
        description: `Only the fields sent change. With If-Match (the ETag of a read) the change applies only while the ${spec.name} is still that version: otherwise 412 precondition_failed, nothing changes, and the answer's current is the ${spec.name} as it is now. Without If-Match the change applies to whatever is current. ${etagNote}`,
        tags,
        params,
        headers: ifMatchHeaders,
        body: spec.update,
        response: {
          200: spec.item,
          ...ERROR_RESPONSES,
          412: preconditionFailed,
        },
      },
    },
    async (request, reply) =>
      withEtag(
        reply,
        await spec.patch(
          db(),
          request.principal!,
          (request.params as { id: string }).id,
          request.body as z.infer<U>,
          conditionOf(request),
        ),
      ),
  );
  app.delete(
    `/${spec.path}/:id`,
    {
      config: { auth: spec.writeRole, scope: scope('delete') },
      schema: {
        summary: `Delete a ${spec.name}`,
        description: `With If-Match (the ETag of a read) the ${spec.name} is deleted only while it is still that version: otherwise 412 precondition_failed, nothing is deleted (nor anything a cascade would take with it), and the answer's current is the ${spec.name} as it is now. Without If-Match, or with *, it is deleted whatever its version. ${etagNote}`,
        tags,
        params,
        headers: ifMatchHeaders,
        querystring: z.strictObject(spec.deleteQuery ?? {}),
        response: { 204: z.null(), ...ERROR_RESPONSES, 412: preconditionFailed },
      },
    },
    async (request, reply) => {
      await spec.remove(
        db(),
        request.principal!,
        (request.params as { id: string }).id,
        request.query as { cascade?: boolean },
        conditionOf(request),
      );
      return reply.status(204).send(null);
    },
  );
}
