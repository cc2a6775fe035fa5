// What every evidence upload goes through (runbook evidence, work-item attachments) between the
// multipart parser and the blob folder: parse errors as the client's, a file name PostgreSQL
// can store, the type from the bytes, and a photo's declared size within the limit.

import type { FastifyRequest } from 'fastify';
import { MAX_EVIDENCE_BYTES } from '../contracts/executions.ts';
import { ApiError, validationError } from '../kernel/errors/index.ts';
import { unstorableText } from '../kernel/validation/storable.ts';
import { BlobTooLargeError, type BlobStore, type PendingBlob } from './blobs.ts';
import { imageSize } from './image-size.ts';
import { FILE_ALLOW_LIST, sniffFile, sniffImage, type Sniffed } from './sniff.ts';

/**
 * A failure while reading a multipart body: the parser's own errors (no boundary, a body cut
 * short, a broken part header) are the client's (400); errors of the disk (ENOSPC, EACCES:
 * they carry a syscall) and ours stay what they are.
 */
export function multipartError(err: unknown): unknown {
  if (err instanceof ApiError || (err as { syscall?: string }).syscall) return err;
  const status = (err as { statusCode?: number }).statusCode;
  if (status !== undefined && status !== 500) return err;
  const reason = err instanceof Error ? err.message : String(err);
  return validationError([{ path: 'body', message: `not a readable multipart/form-data body: ${reason}` }]);
}

/** The uploaded file's name as stored (at most 200 characters), refused when the database cannot hold it. */
export function storableFilename(filename: string | undefined): string | null {
  if (!filename) return null;
  const why = unstorableText(filename);
  if (why) throw validationError([{ path: 'body.file.filename', message: why }]);
  return filename.slice(0, 200);
}

const mp = (n: number) => `${Math.round(n / 100_000) / 10} MP`;

/**
 * The type of an upload from its bytes, for `kind` photo (JPEG, PNG, WebP, HEIC) or file (the
 * allow-list, images included). An image must declare its pixel size in its header, at most
 * `maxPixels`: it is served inline, and the browser that opens it decodes every pixel.
 * Throws 415 and discards the bytes otherwise.
 */
export function acceptUpload(
  pending: PendingBlob,
  kind: 'photo' | 'file',
  file: { filename?: string; mimetype?: string },
  maxPixels: number,
): Sniffed {
  const name = file.filename ?? '';
  const sniffed = kind === 'photo' ? sniffImage(pending.head) : sniffFile(pending.head, name);
  const refuse = (message: string): never => {
    pending.discard();
    throw new ApiError('unsupported_media_type', message);
  };
  if (!sniffed) {
    return refuse(
      kind === 'photo'
        ? `"${name}" is not a JPEG, PNG, WebP or HEIC photo (by its content, whatever its name or declared type ${file.mimetype})`
        : `"${name}" is not an allowed file type: ${FILE_ALLOW_LIST}`,
    );
  }
  if (sniffed.image) {
    const size = imageSize(sniffed.contentType, pending.read);
    if (!size)
      return refuse(
        `"${name}" is not a readable ${sniffed.contentType.slice(6).toUpperCase()} image: its header does not give its size (cut off or corrupt)`,
      );
    const pixels = size.width * size.height;
    if (pixels > maxPixels) {
      return refuse(
        `"${name}" is ${size.width} × ${size.height} pixels (${mp(pixels)}): photos up to ${mp(maxPixels)} are taken; resize it (the limit is FLEETBOOK_EVIDENCE_MAX_PIXELS)`,
      );
    }
  }
  return sniffed;
}

/**
 * The one file of a multipart upload, received into the blob folder (not yet committed: the
 * caller commits or discards it) and typed by its bytes. `tooLarge` words the 413, given the
 * quoted file name (or '').
 */
export async function receiveUpload(
  request: FastifyRequest,
  blobs: BlobStore,
  o: { kind: 'photo' | 'file'; maxPixels: number; tooLarge(name: string): string },
): Promise<{ pending: PendingBlob; filename: string | null; sniffed: Sniffed }> {
  const part = await request.file({ limits: { fileSize: MAX_EVIDENCE_BYTES, files: 1 } }).catch((err: unknown) => {
    throw multipartError(err);
  });
  if (!part)
    throw new ApiError('validation', 'body.file: expected one file in the multipart body', [
      { path: 'body.file', message: 'expected one file' },
    ]);
  let filename;
  try {
    filename = storableFilename(part.filename);
  } catch (err) {
    part.file.resume();
    throw err;
  }
  let pending;
  try {
    pending = await blobs.write(part.file, MAX_EVIDENCE_BYTES);
  } catch (err) {
    if (err instanceof BlobTooLargeError || (err as { statusCode?: number }).statusCode === 413) {
      throw new ApiError('payload_too_large', o.tooLarge(part.filename ? `"${part.filename}" ` : ''));
    }
    throw multipartError(err);
  }
  const sniffed = acceptUpload(pending, o.kind, part, o.maxPixels);
  return { pending, filename, sniffed };
}
