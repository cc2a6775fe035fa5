// What every evidence upload goes through (runbook evidence, work-item attachments) between the
// multipart parser and the blob folder: parse errors as the client's, a file name PostgreSQL
// can store, the type from the bytes, and a photo's declared size within the limit.

import type { FastifyRequest } from 'fastify';
import { MAX_EVIDENCE_BYTES } from '../contracts/executions.ts';
import { didYouMean } from '../contracts/edit-distance.ts';
import { ApiError, formatPath, validationError, type ValidationIssue } from '../kernel/errors/index.ts';
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
    throw new ApiError('unsupported_media_type', `body.file: ${message}`, [{ path: 'body.file', message }]);
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

/** An upload is multipart/form-data: any other body is a 415 naming the content type sent. */
export function assertMultipart(request: FastifyRequest): void {
  if (request.isMultipart()) return;
  const sent = request.headers['content-type'] ?? 'none';
  const message = `expected multipart/form-data with one file field (e.g. curl -F file=@photo.jpg), got ${sent}`;
  throw new ApiError('unsupported_media_type', `headers.content-type: ${message}`, [
    { path: 'headers.content-type', message },
  ]);
}

/** The multipart body an upload takes: one part, a file in the field `file`. */
export const UPLOAD_FIELD = 'file';

/** A part the body does not take (another field, a second file), named at its field. */
function unexpectedPart(name: string, isFile: boolean, seen: boolean): ValidationIssue {
  if (name === UPLOAD_FIELD && (isFile || seen))
    return { path: formatPath(['body', name]), message: 'one file per upload: send the others one by one' };
  return {
    path: formatPath(['body', name]),
    message: `unknown field "${name}"${didYouMean(name, [UPLOAD_FIELD])}; the body takes one file field, "${UPLOAD_FIELD}" (e.g. curl -F file=@photo.jpg)`,
  };
}

/**
 * The one file of a multipart upload, received into the blob folder (not yet committed: the
 * caller commits or discards it) and typed by its bytes. The body is checked as a contract:
 * exactly one part, a non-empty file in the field `file` (another field or a second file is a
 * 400 naming it, never ignored), at most MAX_EVIDENCE_BYTES (413 at body.file), of a type the
 * upload's kind takes (415 at body.file). `tooLarge` words the 413, given the quoted file name (or '').
 */
export async function receiveUpload(
  request: FastifyRequest,
  blobs: BlobStore,
  o: { kind: 'photo' | 'file'; maxPixels: number; tooLarge(name: string): string },
): Promise<{ pending: PendingBlob; filename: string | null; sniffed: Sniffed }> {
  const issues: ValidationIssue[] = [];
  let got: { pending: PendingBlob; filename: string | null; part: { filename?: string; mimetype?: string } } | null =
    null;
  try {
    for await (const part of request.parts({ limits: { fileSize: MAX_EVIDENCE_BYTES, files: 1 } })) {
      if (part.type !== 'file' || part.fieldname !== UPLOAD_FIELD || got) {
        if (part.type === 'file') part.file.resume();
        issues.push(unexpectedPart(part.fieldname, part.type === 'file', got !== null));
        continue;
      }
      let filename;
      try {
        filename = storableFilename(part.filename);
      } catch (err) {
        part.file.resume();
        throw err;
      }
      try {
        got = { pending: await blobs.write(part.file, MAX_EVIDENCE_BYTES), filename, part };
      } catch (err) {
        if (err instanceof BlobTooLargeError || (err as { statusCode?: number }).statusCode === 413) {
          const message = o.tooLarge(part.filename ? `"${part.filename}" ` : '');
          throw new ApiError('payload_too_large', `body.${UPLOAD_FIELD}: ${message}`, [
            { path: `body.${UPLOAD_FIELD}`, message },
          ]);
        }
        throw err;
      }
    }
  } catch (err) {
    got?.pending.discard();
    // A second file is past the parser's limit of one: the client's mistake, named.
    if ((err as { code?: string }).code === 'FST_FILES_LIMIT')
      throw validationError([unexpectedPart(UPLOAD_FIELD, true, true)]);
    throw multipartError(err);
  }
  if (!got) issues.push({ path: `body.${UPLOAD_FIELD}`, message: 'expected one file' });
  else if (got.pending.size === 0 && issues.length === 0)
    issues.push({ path: `body.${UPLOAD_FIELD}`, message: 'the file is empty (0 bytes): nothing to keep as evidence' });
  if (issues.length > 0) {
    got?.pending.discard();
    throw validationError(issues);
  }
  const { pending, filename, part } = got!;
  const sniffed = acceptUpload(pending, o.kind, part, o.maxPixels);
  return { pending, filename, sniffed };
}
