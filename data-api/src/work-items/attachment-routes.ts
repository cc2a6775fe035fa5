// The evidence attachments of a work item: a photo or a file uploaded (received by
// runbooks/uploads.ts, into the blob folder runbook evidence uses), and its bytes served back.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import { MAX_EVIDENCE_BYTES, uploadBytesSchema } from '../contracts/executions.ts';
import {
  attachmentUploadQuery,
  workItemAttachmentParams,
  workItemAttachmentSchema,
  workItemParams as params,
} from '../contracts/work-items.ts';
import type { Database } from '../kernel/db/index.ts';
import { ERROR_RESPONSES } from '../kernel/errors/responses.ts';
import type { BlobStore } from '../runbooks/blobs.ts';
import { sendBlob } from '../runbooks/serve-blob.ts';
import { FILE_ALLOW_LIST, SERVED_CONTENT_TYPES } from '../runbooks/sniff.ts';
import { assertMultipart, receiveUpload } from '../runbooks/uploads.ts';
import { addAttachment, findAttachment, precheckAttachment } from './service.ts';

const tags = ['work items'];
const RESPONSES = { ...ERROR_RESPONSES, 413: ERROR_RESPONSES[400], 415: ERROR_RESPONSES[400] } as const;
const WRITE = 'operator_or_automation' as const;

/** POST /work-items/:id/attachments, GET /work-items/:id/attachments/:attachment_id. */
export function attachmentRoutes(
  app: Parameters<FastifyPluginAsyncZod>[0],
  deps: { db(): Kysely<Database>; blobs: BlobStore; maxPixels: number },
): void {
  const { db, blobs, maxPixels } = deps;
  app.post(
    '/work-items/:id/attachments',
    {
      config: { auth: WRITE, scope: 'tenant' },
      schema: {
        operationId: 'attachWorkItemFile',
        summary: 'Attach a photo or a file as evidence (multipart/form-data, one file)',
        description:
          `At most ${MAX_EVIDENCE_BYTES} bytes (413). The type comes from the bytes: a photo must be JPEG, PNG, ` +
          `WebP or HEIC; a file one of ${FILE_ALLOW_LIST} (415 otherwise). Stored under its sha-256 in the ` +
          'blob folder, like runbook evidence.',
        tags,
        params,
        querystring: attachmentUploadQuery,
        response: { 201: workItemAttachmentSchema, ...RESPONSES },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const kind = request.query.kind;
      assertMultipart(request);
      await precheckAttachment(db(), request.principal!, id);
      const { pending, filename, sniffed } = await receiveUpload(request, blobs, {
        kind,
        maxPixels,
        tooLarge: (name) => `attachment ${name}is larger than ${MAX_EVIDENCE_BYTES / 1024 / 1024} MB`,
      });
      pending.commit();
      const attachment = await addAttachment(db(), request.principal!, id, {
        kind,
        filename,
        contentType: sniffed.contentType,
        size: pending.size,
        sha256: pending.sha256,
        blobPath: pending.relPath,
      });
      return reply.status(201).send(attachment);
    },
  );

  app.get(
    '/work-items/:id/attachments/:attachment_id',
    {
      config: { auth: 'viewer', media: { 200: SERVED_CONTENT_TYPES } },
      schema: {
        operationId: 'getWorkItemAttachment',
        summary: 'The bytes of an attachment, with its content type',
        description: 'Served with the sniffed content type, an ETag (the sha-256) and nosniff; 404 JSON when unknown.',
        tags,
        params: workItemAttachmentParams,
        response: { 200: uploadBytesSchema, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const { attachment, blobPath } = await findAttachment(
        db(),
        request.principal!,
        request.params.id,
        request.params.attachment_id,
      );
      return sendBlob(request, reply, blobs, attachment, blobPath, 'attachment');
    },
  );
}
