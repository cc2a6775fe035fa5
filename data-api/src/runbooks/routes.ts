import fs from 'node:fs';
import multipart from '@fastify/multipart';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  abandonSchema,
  activitySchema,
  executionCreateSchema,
  executionListQuery,
  executionSchema,
  executionSummarySchema,
  finishSchema,
  itemActionResultSchema,
  leadSchema,
  linkSchema,
  MAX_EVIDENCE_BYTES,
  noteSchema,
  runbookInfoSchema,
  signOffRequestSchema,
  tickSchema,
  untickSchema,
  valueSchema,
  whoamiSchema,
} from '../contracts/executions.ts';
import { pageOf, pageQuery } from '../contracts/pagination.ts';
import { ApiError, notFound } from '../errors/index.ts';
import { BlobStore, BlobTooLargeError, defaultBlobDir } from './blobs.ts';
import { runbookCatalog } from './catalog.ts';
import {
  activityQuery,
  evidenceParams,
  evidenceUploadResultSchema,
  executionParams,
  gateParams,
  itemParams,
  leadParams,
  RESPONSES,
  uploadQuery,
} from './schemas.ts';
import {
  abandonExecution,
  addEvidence,
  findEvidenceBlob,
  finishExecution,
  getExecution,
  grantLead,
  itemAction,
  listActivity,
  listExecutions,
  listLeads,
  precheckEvidence,
  revokeLead,
  signOffGate,
  startExecution,
  whoami,
} from './service.ts';
import { FILE_ALLOW_LIST, sniffFile, sniffImage } from './sniff.ts';

declare module '../context.ts' {
  interface AppContext {
    /** Evidence blobs (default: FLEETBOOK_BLOB_DIR, else `<data dir>/blobs`). */
    blobDir?: string;
    /** Where runbooks/ and docs/ are read from (default: the project root). */
    runbooksRoot?: string;
  }
}

const tags = ['runbooks'];
const ITEM_ACTION = { 200: itemActionResultSchema, ...RESPONSES } as const;

/**
 * Runbook executions (runbooks.md): start for a deployment, tick / untick / value / note /
 * link / evidence upload per item, gate sign-off, finish, abandon; the runbook catalog; the
 * people who may sign off `lead` gates.
 */
export const runbookRoutes: FastifyPluginAsyncZod = async (app) => {
  const catalog = runbookCatalog(app.ctx.runbooksRoot);
  const blobs = new BlobStore(app.ctx.blobDir ?? defaultBlobDir());
  const db = () => app.ctx.db;

  await app.register(multipart, { limits: { fileSize: MAX_EVIDENCE_BYTES, files: 1, fields: 10, parts: 12 } });

  /* ---------------------------------------------------------------- catalog */

  app.get(
    '/runbooks',
    {
      config: { auth: 'viewer' },
      schema: {
        summary: 'The runbook catalog',
        description: 'Runbooks, SOPs and tutorial steps read from runbooks/ and docs/ (frontmatter v1); pages that fail the schema are left out (fleetbook lint names them).',
        tags,
        querystring: z.strictObject({ kind: z.enum(['runbook', 'sop', 'tutorial']).optional(), product_code: z.string().max(64).optional() }),
        response: { 200: z.object({ items: z.array(runbookInfoSchema) }), ...RESPONSES },
      },
    },
    async (request) => ({
      items: catalog.list().filter((r) => (!request.query.kind || r.kind === request.query.kind) && (!request.query.product_code || r.product_code === request.query.product_code)),
    }),
  );

  app.get(
    '/runbooks/:runbook_id',
    { config: { auth: 'viewer' }, schema: { summary: 'One runbook as the API reads it', tags, params: z.object({ runbook_id: z.string().max(64) }), response: { 200: runbookInfoSchema, ...RESPONSES } } },
    async (request) => {
      const r = catalog.get(request.params.runbook_id);
      if (!r) throw notFound('runbook', request.params.runbook_id);
      return r;
    },
  );

  /* ---------------------------------------------------------------- executions */

  app.post(
    '/runbook-executions',
    {
      config: { auth: 'operator' },
      schema: {
        summary: 'Start an execution of a runbook for a deployment',
        description:
          'Records the runbook id, version and a snapshot of its gates. 409 when the runbook is for another product or version range, the deployment is retired, or a runbook it `requires` is not done for the deployment.',
        tags,
        body: executionCreateSchema,
        response: { 201: executionSchema, ...RESPONSES },
      },
    },
    async (request, reply) => reply.status(201).send(await startExecution(db(), catalog, request.principal!, request.body)),
  );

  app.get(
    '/runbook-executions',
    {
      config: { auth: 'viewer' },
      schema: {
        summary: 'List executions, newest first',
        description: 'Filter by deployment (the deployment page), runbook (open executions of a runbook), site, state (comma list).',
        tags,
        querystring: z.strictObject({ ...pageQuery, ...executionListQuery }),
        response: { 200: pageOf(executionSummarySchema, 'ExecutionSummary'), ...RESPONSES },
      },
    },
    async (request) => listExecutions(db(), request.principal!, request.query),
  );

  app.get(
    '/runbook-executions/:id',
    { config: { auth: 'viewer' }, schema: { summary: 'An execution with its gates, items, sign-offs and evidence', tags, params: executionParams, response: { 200: executionSchema, ...RESPONSES } } },
    async (request) => getExecution(db(), request.principal!, request.params.id),
  );

  app.get(
    '/runbook-executions/:id/activity',
    {
      config: { auth: 'viewer' },
      schema: { summary: 'Who did what and when, oldest first', tags, params: executionParams, querystring: activityQuery, response: { 200: z.object({ items: z.array(activitySchema) }), ...RESPONSES } },
    },
    async (request) => listActivity(db(), request.principal!, request.params.id, request.query),
  );

  const itemRoute = <S extends z.ZodType>(verb: string, summary: string, body: S, run: (request: { principal: any; params: { id: string; item_id: string }; body: z.infer<S> }) => Promise<any>) =>
    app.post(
      `/runbook-executions/:id/items/:item_id/${verb}`,
      {
        config: { auth: 'operator_or_automation' },
        schema: {
          summary,
          description:
            'Pass if_version (the item version you saw) to refuse a change made on stale data: 409 with `current`, the item as it is now. action_id makes a retry apply once. Items behind an unsigned sign-off gate, of a signed-off gate, or of a finished execution are refused with 409.',
          tags,
          params: itemParams,
          body,
          response: ITEM_ACTION,
        },
      },
      async (request) => run(request as never),
    );

  itemRoute('tick', 'Tick an item', tickSchema, ({ principal, params, body }) =>
    itemAction(db(), principal, params.id, params.item_id, { kind: 'tick', ...(body.note !== undefined ? { note: body.note } : {}) }, body),
  );
  itemRoute('untick', 'Untick an item', untickSchema, ({ principal, params, body }) => itemAction(db(), principal, params.id, params.item_id, { kind: 'untick' }, body));
  itemRoute('value', 'Record a measured value (ticks the item)', valueSchema, ({ principal, params, body }) =>
    itemAction(db(), principal, params.id, params.item_id, { kind: 'value', value: body.value, ...(body.note !== undefined ? { note: body.note } : {}) }, body),
  );
  itemRoute('note', 'Write a note on an item', noteSchema, ({ principal, params, body }) => itemAction(db(), principal, params.id, params.item_id, { kind: 'note', note: body.note }, body));
  itemRoute('link', 'Attach a link as evidence', linkSchema, ({ principal, params, body }) => itemAction(db(), principal, params.id, params.item_id, { kind: 'link', url: body.url }, body));

  app.post(
    '/runbook-executions/:id/items/:item_id/evidence',
    {
      config: { auth: 'operator_or_automation' },
      schema: {
        summary: 'Upload a photo or a file as evidence (multipart/form-data, one file)',
        description: `At most ${MAX_EVIDENCE_BYTES} bytes (413). The type comes from the bytes, not the declared content type: a photo must be JPEG, PNG, WebP or HEIC; a file one of ${FILE_ALLOW_LIST} (415 otherwise). Stored under its sha-256.`,
        tags,
        params: itemParams,
        querystring: uploadQuery,
        response: { 201: evidenceUploadResultSchema, 200: evidenceUploadResultSchema, ...RESPONSES },
      },
    },
    async (request, reply) => {
      const { id, item_id } = request.params;
      const q = request.query;
      const who = request.principal!;
      const meta = { ...(q.action_id ? { action_id: q.action_id } : {}), ...(q.client_at ? { client_at: q.client_at } : {}), ...(q.if_version !== undefined ? { if_version: q.if_version } : {}) };
      if (!request.isMultipart()) throw new ApiError('unsupported_media_type', 'expected multipart/form-data with one file field (e.g. curl -F file=@photo.jpg)');
      // Refuse before receiving the bytes when the gate rules would refuse the evidence anyway.
      const pre = await precheckEvidence(db(), who, id, item_id, meta, q.if_version);
      const part = await request.file({ limits: { fileSize: MAX_EVIDENCE_BYTES, files: 1 } });
      if (!part) throw new ApiError('validation', 'body.file: expected one file in the multipart body', [{ path: 'body.file', message: 'expected one file' }]);
      let pending;
      try {
        pending = await blobs.write(part.file, MAX_EVIDENCE_BYTES);
      } catch (err) {
        if (err instanceof BlobTooLargeError || (err as { statusCode?: number }).statusCode === 413) {
          throw new ApiError('payload_too_large', `evidence ${part.filename ? `"${part.filename}" ` : ''}is larger than ${MAX_EVIDENCE_BYTES / 1024 / 1024} MB: resize the photo or compress the file`);
        }
        throw err;
      }
      const sniffed = q.kind === 'photo' ? sniffImage(pending.head) : sniffFile(pending.head, part.filename ?? '');
      if (!sniffed) {
        pending.discard();
        throw new ApiError(
          'unsupported_media_type',
          q.kind === 'photo'
            ? `"${part.filename}" is not a JPEG, PNG, WebP or HEIC photo (by its content, whatever its name or declared type ${part.mimetype})`
            : `"${part.filename}" is not an allowed file type: ${FILE_ALLOW_LIST}`,
        );
      }
      if (pre.duplicate) pending.discard();
      else pending.commit();
      const out = await addEvidence(
        db(),
        who,
        id,
        item_id,
        { kind: q.kind, sha256: pending.sha256, size: pending.size, contentType: sniffed.contentType, filename: part.filename ? part.filename.slice(0, 200) : null, blobPath: pending.relPath },
        meta,
      );
      return reply.status(out.evidence ? 201 : 200).send({ ...out.result, evidence: out.evidence });
    },
  );

  app.get(
    '/runbook-executions/:id/evidence/:evidence_id',
    {
      config: { auth: 'viewer' },
      schema: { summary: 'The bytes of an evidence upload, with its content type', description: 'Served with the sniffed content type, an ETag (the sha-256) and nosniff; 404 JSON when unknown.', tags, params: evidenceParams },
    },
    async (request, reply) => {
      const { evidence, blobPath } = await findEvidenceBlob(db(), request.principal!, request.params.id, request.params.evidence_id);
      const abs = blobs.resolve(blobPath);
      if (!fs.existsSync(abs)) throw new ApiError('not_found', `the bytes of evidence ${evidence.id} (sha-256 ${evidence.sha256}) are missing from the blob folder`);
      const etag = `"${evidence.sha256}"`;
      reply
        .header('etag', etag)
        .header('cache-control', 'private, max-age=31536000, immutable')
        .header('x-content-type-options', 'nosniff')
        .header('content-security-policy', "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox")
        .header('x-evidence-sha256', evidence.sha256 ?? '');
      if (request.headers['if-none-match'] === etag) return reply.status(304).send();
      const name = (evidence.filename ?? evidence.id).replace(/[\r\n"]/g, '');
      const image = evidence.content_type?.startsWith('image/');
      reply
        .header('content-type', evidence.content_type ?? 'application/octet-stream')
        .header('content-length', String(evidence.size ?? fs.statSync(abs).size))
        .header('content-disposition', `${image ? 'inline' : 'attachment'}; filename="${name.replace(/[^\x20-\x7e]/g, '_')}"; filename*=UTF-8''${encodeURIComponent(name)}`);
      return reply.send(fs.createReadStream(abs));
    },
  );

  app.post(
    '/runbook-executions/:id/gates/:gate_id/sign-off',
    {
      config: { auth: 'viewer' },
      schema: {
        summary: 'Sign off a gate',
        description:
          "The gate's `sign_off` role decides who may (403 otherwise): `lead` = an admin or an operator listed under /runbook-leads; other roles as their token role (admin always). Every item of the gate must be ticked (409).",
        tags,
        params: gateParams,
        body: signOffRequestSchema,
        response: { 200: executionSchema, ...RESPONSES },
      },
    },
    async (request) => signOffGate(db(), request.principal!, request.params.id, request.params.gate_id, request.body),
  );

  app.post(
    '/runbook-executions/:id/finish',
    {
      config: { auth: 'operator' },
      schema: { summary: 'Finish an execution (every gate complete)', tags, params: executionParams, body: finishSchema, response: { 200: executionSchema, ...RESPONSES } },
    },
    async (request) => finishExecution(db(), request.principal!, request.params.id, request.body),
  );

  app.post(
    '/runbook-executions/:id/abandon',
    {
      config: { auth: 'operator' },
      schema: { summary: 'Abandon an execution, with the reason', tags, params: executionParams, body: abandonSchema, response: { 200: executionSchema, ...RESPONSES } },
    },
    async (request) => abandonExecution(db(), request.principal!, request.params.id, request.body.reason, request.body),
  );

  /* ---------------------------------------------------------------- leads */

  app.get(
    '/runbook-leads',
    { config: { auth: 'viewer' }, schema: { summary: 'People who may sign off `lead` gates (besides admins)', tags, response: { 200: z.object({ items: z.array(leadSchema) }), ...RESPONSES } } },
    async () => listLeads(db()),
  );
  app.get(
    '/runbook-leads/me',
    { config: { auth: 'viewer' }, schema: { summary: 'Who the caller is, and whether they may sign off `lead` gates', tags, response: { 200: whoamiSchema, ...RESPONSES } } },
    async (request) => whoami(db(), request.principal!),
  );
  app.put(
    '/runbook-leads/:name',
    { config: { auth: 'admin' }, schema: { summary: 'List a person (token or SSO name) as a lead', tags, params: leadParams, response: { 200: leadSchema, ...RESPONSES } } },
    async (request) => grantLead(db(), request.principal!, request.params.name),
  );
  app.delete(
    '/runbook-leads/:name',
    { config: { auth: 'admin' }, schema: { summary: 'Remove a lead', tags, params: leadParams, response: { 204: z.null(), ...RESPONSES } } },
    async (request, reply) => {
      await revokeLead(db(), request.principal!, request.params.name);
      return reply.status(204).send(null);
    },
  );
};

