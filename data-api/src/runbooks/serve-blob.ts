// Sends a stored evidence blob: the sniffed content type, an ETag (the sha-256), nosniff and a
// sandboxing CSP, inline for photos and as a download for files. Runbook evidence and work item
// attachments are served the same way.
import fs from 'node:fs';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../kernel/errors/index.ts';
import type { BlobStore } from './blobs.ts';

/** What the answer tells of the upload (an evidence item and an attachment both have it). */
export interface ServedBlob {
  id: string;
  sha256: string | null;
  size: number | null;
  content_type: string | null;
  filename: string | null;
}

export function sendBlob(
  request: FastifyRequest,
  reply: FastifyReply,
  blobs: BlobStore,
  blob: ServedBlob,
  blobPath: string,
  what: string,
) {
  const abs = blobs.resolve(blobPath);
  if (!fs.existsSync(abs))
    throw new ApiError(
      'not_found',
      `the bytes of ${what} ${blob.id} (sha-256 ${blob.sha256}) are missing from the blob folder`,
    );
  const etag = `"${blob.sha256}"`;
  reply
    .header('etag', etag)
    .header('cache-control', 'private, max-age=31536000, immutable')
    .header('x-content-type-options', 'nosniff')
    .header('content-security-policy', "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox")
    .header('x-evidence-sha256', blob.sha256 ?? '');
  if (request.headers['if-none-match'] === etag) return reply.status(304).send();
  const name = (blob.filename ?? blob.id).replace(/[\r\n"]/g, '');
  const image = blob.content_type?.startsWith('image/');
  reply
    .header('content-type', blob.content_type ?? 'application/octet-stream')
    .header('content-length', String(blob.size ?? fs.statSync(abs).size))
    .header(
      'content-disposition',
      `${image ? 'inline' : 'attachment'}; filename="${name.replace(/[^\x20-\x7e]/g, '_')}"; filename*=UTF-8''${encodeURIComponent(name)}`,
    );
  return reply.send(fs.createReadStream(abs));
}
