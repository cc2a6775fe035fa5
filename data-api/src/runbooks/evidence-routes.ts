// Evidence of an item: a photo or a file uploaded (received by uploads.ts), and its bytes served back.
import {
  evidenceParams,
  evidenceUploadResultSchema,
  itemParams,
  MAX_EVIDENCE_BYTES,
  uploadBytesSchema,
  uploadQuery,
} from '../contracts/executions.ts';
import { ERROR_RESPONSES } from '../kernel/errors/responses.ts';
import { tags, type RunbooksApp, type RunbooksDeps } from './route-deps.ts';
import { RESPONSES } from './schemas.ts';
import { sendBlob } from './serve-blob.ts';
import { addEvidence, findEvidenceBlob, precheckEvidence } from './service.ts';
import { FILE_ALLOW_LIST, SERVED_CONTENT_TYPES } from './sniff.ts';
import { assertMultipart, receiveUpload } from './uploads.ts';

/** POST /runbook-executions/:id/items/:item_id/evidence, GET …/:id/evidence/:evidence_id. */
export function evidenceRoutes(app: RunbooksApp, { db, blobs, maxPixels }: RunbooksDeps): void {
  app.post(
    '/runbook-executions/:id/items/:item_id/evidence',
    {
      config: { auth: 'operator_or_automation', scope: 'tenant' },
      schema: {
        summary: 'Upload a photo or a file as evidence (multipart/form-data, one file)',
        description: `At most ${MAX_EVIDENCE_BYTES} bytes (413). The type comes from the bytes, not the declared content type: a photo must be JPEG, PNG, WebP or HEIC; a file one of ${FILE_ALLOW_LIST} (415 otherwise). An image must declare its size in its header, at most FLEETBOOK_EVIDENCE_MAX_PIXELS (default 50 MP; 415 otherwise). A photo item takes kind=photo only, a file item photo or file, a link item no upload (400 at querystring.kind). Stored under its sha-256.`,
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
      const meta = {
        ...(q.action_id ? { action_id: q.action_id } : {}),
        ...(q.client_at ? { client_at: q.client_at } : {}),
        ...(q.if_version !== undefined ? { if_version: q.if_version } : {}),
      };
      assertMultipart(request);
      // Refuse before receiving the bytes when the gate rules would refuse the evidence anyway.
      const pre = await precheckEvidence(db(), who, id, item_id, meta, q.if_version, q.kind);
      const { pending, filename, sniffed } = await receiveUpload(request, blobs, {
        kind: q.kind,
        maxPixels,
        tooLarge: (name) =>
          `evidence ${name}is larger than ${MAX_EVIDENCE_BYTES / 1024 / 1024} MB: resize the photo or compress the file`,
      });
      if (pre.duplicate) pending.discard();
      else pending.commit();
      const out = await addEvidence(
        db(),
        who,
        id,
        item_id,
        {
          kind: q.kind,
          sha256: pending.sha256,
          size: pending.size,
          contentType: sniffed.contentType,
          filename,
          blobPath: pending.relPath,
        },
        meta,
      );
      return reply.status(out.evidence ? 201 : 200).send({ ...out.result, evidence: out.evidence });
    },
  );

  app.get(
    '/runbook-executions/:id/evidence/:evidence_id',
    {
      config: { auth: 'viewer', media: { 200: SERVED_CONTENT_TYPES } },
      schema: {
        summary: 'The bytes of an evidence upload, with its content type',
        description: 'Served with the sniffed content type, an ETag (the sha-256) and nosniff; 404 JSON when unknown.',
        tags,
        params: evidenceParams,
        response: { 200: uploadBytesSchema, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const { evidence, blobPath } = await findEvidenceBlob(
        db(),
        request.principal!,
        request.params.id,
        request.params.evidence_id,
      );
      return sendBlob(request, reply, blobs, evidence, blobPath, 'evidence');
    },
  );
}
