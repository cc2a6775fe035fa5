// The pixel size a photo declares in its header, read without decoding the picture: PNG's
// IHDR, JPEG's SOF segment, WebP's VP8 / VP8L / VP8X header, HEIC/AVIF's `ispe` property.
// An upload is a photo only if its header says how big it is, and that stays within the limit:
// a 50,000 × 50,000 PNG is a few kilobytes on disk and gigabytes in the browser that opens it.

import { z } from 'zod';

export interface ImageSize {
  width: number;
  height: number;
}

/** Up to `length` bytes of the file from `offset` (fewer at its end). */
export type ByteReader = (offset: number, length: number) => Buffer;

/** Default largest photo: 50 megapixels (a 48 MP phone camera's full resolution fits). */
export const DEFAULT_MAX_PIXELS = 50_000_000;

const maxPixelsSchema = z.coerce
  .number({ error: 'expected a number of pixels, e.g. 50000000' })
  .int('expected a whole number of pixels')
  .min(1_000_000, 'expected at least 1000000 (1 MP)')
  .max(1_000_000_000, 'expected at most 1000000000 (1000 MP)');

/** FLEETBOOK_EVIDENCE_MAX_PIXELS, checked at start (a bad value stops the start, naming it). */
export function maxPixelsFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.FLEETBOOK_EVIDENCE_MAX_PIXELS;
  if (raw === undefined || raw === '') return DEFAULT_MAX_PIXELS;
  const parsed = maxPixelsSchema.safeParse(raw);
  if (!parsed.success)
    throw new Error(`FLEETBOOK_EVIDENCE_MAX_PIXELS: ${parsed.error.issues[0]!.message} (got "${raw}")`);
  return parsed.data;
}

/** The declared size of a sniffed image, or null when its header does not give one (cut off, corrupt). */
export function imageSize(contentType: string, read: ByteReader): ImageSize | null {
  switch (contentType) {
    case 'image/png':
      return pngSize(read(0, 24));
    case 'image/jpeg':
      return jpegSize(read);
    case 'image/webp':
      return webpSize(read(0, 30));
    case 'image/heic':
    case 'image/heif':
    case 'image/avif':
      return isobmffSize(read);
    default:
      return null;
  }
}

const valid = (width: number, height: number): ImageSize | null => (width > 0 && height > 0 ? { width, height } : null);

function pngSize(head: Buffer): ImageSize | null {
  if (head.length < 24 || head.toString('latin1', 12, 16) !== 'IHDR') return null;
  return valid(head.readUInt32BE(16), head.readUInt32BE(20));
}

/** Start-of-frame markers (baseline, progressive, lossless…): C0–CF except DHT (C4), JPG (C8), DAC (CC). */
const isSof = (marker: number) =>
  marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;

function jpegSize(read: ByteReader): ImageSize | null {
  let offset = 2; // after SOI
  for (let segments = 0; segments < 10_000; segments++) {
    const head = read(offset, 9);
    if (head.length < 2 || head[0] !== 0xff) return null;
    const marker = head[1]!;
    if (marker === 0xff) {
      offset += 1; // fill byte
      continue;
    }
    // Standalone markers carry no length.
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      offset += 2;
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) return null; // end of image, or scan data before any frame header
    if (head.length < 4) return null;
    const length = head.readUInt16BE(2);
    if (length < 2) return null;
    if (isSof(marker)) {
      if (head.length < 9) return null;
      // A height of 0 is defined later by a DNL segment: not a size the header gives.
      return valid(head.readUInt16BE(7), head.readUInt16BE(5));
    }
    offset += 2 + length;
  }
  return null;
}

function webpSize(head: Buffer): ImageSize | null {
  if (head.length < 30) return null;
  const chunk = head.toString('latin1', 12, 16);
  if (chunk === 'VP8 ') {
    if (head[23] !== 0x9d || head[24] !== 0x01 || head[25] !== 0x2a) return null;
    return valid(head.readUInt16LE(26) & 0x3fff, head.readUInt16LE(28) & 0x3fff);
  }
  if (chunk === 'VP8L') {
    if (head[20] !== 0x2f) return null;
    const bits = head.readUInt32LE(21);
    return valid((bits & 0x3fff) + 1, ((bits >>> 14) & 0x3fff) + 1);
  }
  if (chunk === 'VP8X') return valid(head.readUIntLE(24, 3) + 1, head.readUIntLE(27, 3) + 1);
  return null;
}

/** The largest `ispe` (image spatial extent) under meta/iprp/ipco: the full image, not a tile or thumbnail. */
function isobmffSize(read: ByteReader): ImageSize | null {
  const META_LIMIT = 1024 * 1024;
  let best: ImageSize | null = null;
  const walk = (from: number, to: number, path: string[]) => {
    let offset = from;
    for (let boxes = 0; boxes < 10_000 && offset + 8 <= to; boxes++) {
      const head = read(offset, 16);
      if (head.length < 8) return;
      let size = head.readUInt32BE(0);
      const type = head.toString('latin1', 4, 8);
      let body = offset + 8;
      if (size === 1) {
        if (head.length < 16) return;
        const large = Number(head.readBigUInt64BE(8));
        if (!Number.isSafeInteger(large)) return;
        size = large;
        body = offset + 16;
      } else if (size === 0) size = to - offset;
      if (size < body - offset || offset + size > to) return;
      const end = offset + size;
      const inside = [...path, type].join('/');
      if (inside === 'meta')
        walk(body + 4, Math.min(end, body + META_LIMIT), [...path, type]); // a full box: version and flags first
      else if (inside === 'meta/iprp' || inside === 'meta/iprp/ipco') walk(body, end, [...path, type]);
      else if (inside === 'meta/iprp/ipco/ispe') {
        const ispe = read(body + 4, 8);
        if (ispe.length === 8) {
          const size2 = valid(ispe.readUInt32BE(0), ispe.readUInt32BE(4));
          if (size2 && (!best || size2.width * size2.height > best.width * best.height)) best = size2;
        }
      }
      offset = end;
    }
  };
  walk(0, Number.MAX_SAFE_INTEGER, []);
  return best;
}
