// What an uploaded file really is, from its first bytes (magic numbers) — never from the
// client's Content-Type. Photos must be JPEG, PNG, WebP or HEIC/HEIF; files must be on the
// allow-list below. Anything else is refused with 415.

export interface Sniffed {
  contentType: string;
  /** The photo formats a phone camera produces. */
  image: boolean;
}

/** Bytes the sniffer needs from the start of a file. */
export const SNIFF_BYTES = 64;

const HEIF_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'mif1', 'msf1', 'avif']);

const startsWith = (buf: Uint8Array, bytes: number[], at = 0) => bytes.every((b, i) => buf[at + i] === b);
const ascii = (buf: Uint8Array, from: number, to: number) => String.fromCharCode(...buf.subarray(from, to));

/** JPEG, PNG, WebP, HEIC/HEIF (and AVIF, the same container) by magic bytes; null otherwise. */
export function sniffImage(head: Uint8Array): Sniffed | null {
  if (startsWith(head, [0xff, 0xd8, 0xff])) return { contentType: 'image/jpeg', image: true };
  if (startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))
    return { contentType: 'image/png', image: true };
  if (head.length >= 12 && ascii(head, 0, 4) === 'RIFF' && ascii(head, 8, 12) === 'WEBP')
    return { contentType: 'image/webp', image: true };
  if (head.length >= 12 && ascii(head, 4, 8) === 'ftyp') {
    const brand = ascii(head, 8, 12);
    if (HEIF_BRANDS.has(brand))
      return {
        contentType:
          brand === 'avif'
            ? 'image/avif'
            : brand.startsWith('hei') || brand.startsWith('hev')
              ? 'image/heic'
              : 'image/heif',
        image: true,
      };
  }
  return null;
}

/** Text files by extension: accepted when the bytes are text (UTF-8, no NUL). */
const TEXT_TYPES: Record<string, string> = {
  txt: 'text/plain; charset=utf-8',
  log: 'text/plain; charset=utf-8',
  conf: 'text/plain; charset=utf-8',
  cfg: 'text/plain; charset=utf-8',
  ini: 'text/plain; charset=utf-8',
  toml: 'text/plain; charset=utf-8',
  md: 'text/plain; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  json: 'application/json',
  yaml: 'application/yaml',
  yml: 'application/yaml',
  kml: 'application/vnd.google-earth.kml+xml',
  gpx: 'application/gpx+xml',
  xml: 'application/xml',
};

/** Zip containers by extension. */
const ZIP_TYPES: Record<string, string> = {
  zip: 'application/zip',
  kmz: 'application/vnd.google-earth.kmz',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
};

/** Binary files by magic bytes (and, for zip containers, the extension). */
function sniffBinary(head: Uint8Array, ext: string): Sniffed | null {
  if (ascii(head, 0, 5) === '%PDF-') return { contentType: 'application/pdf', image: false };
  if (startsWith(head, [0x1f, 0x8b])) return { contentType: 'application/gzip', image: false };
  if (startsWith(head, [0x50, 0x4b, 0x03, 0x04])) {
    return { contentType: ZIP_TYPES[ext] ?? 'application/zip', image: false };
  }
  return null;
}

function looksLikeText(head: Uint8Array): boolean {
  if (head.includes(0)) return false;
  try {
    // `fatal` refuses invalid UTF-8; a multi-byte character cut at the end of the head is fine.
    new TextDecoder('utf-8', { fatal: true }).decode(head.subarray(0, Math.max(0, head.length - 4)));
    return true;
  } catch {
    return false;
  }
}

/**
 * Every content type an upload can be stored (and served back) with: what the sniffers above
 * answer, and application/octet-stream for an upload stored before its type was recorded.
 */
export const SERVED_CONTENT_TYPES: readonly string[] = [
  ...new Set([
    'image/jpeg',
    'image/png',
    'image/webp',
    'image/heic',
    'image/heif',
    'image/avif',
    'application/pdf',
    'application/gzip',
    ...Object.values(ZIP_TYPES),
    ...Object.values(TEXT_TYPES),
    'application/octet-stream',
  ]),
];

export const FILE_ALLOW_LIST =
  'PDF, ZIP/KMZ/XLSX/DOCX, gzip, JPEG/PNG/WebP/HEIC, or text (' +
  Object.keys(TEXT_TYPES)
    .map((e) => `.${e}`)
    .join(' ') +
  ')';

/**
 * A `file` upload: images, PDF, zip containers, gzip, or text with an allowed extension.
 * Returns null for anything else (executables, HTML, SVG…: never served back to a browser).
 */
export function sniffFile(head: Uint8Array, filename: string): Sniffed | null {
  const image = sniffImage(head);
  if (image) return image;
  const ext = (/\.([A-Za-z0-9]+)$/.exec(filename)?.[1] ?? '').toLowerCase();
  const binary = sniffBinary(head, ext);
  if (binary) return binary;
  const text = TEXT_TYPES[ext];
  if (text && looksLikeText(head)) {
    // HTML or SVG dressed up as .xml / .txt is still refused.
    const start = new TextDecoder().decode(head).trimStart().slice(0, 64).toLowerCase();
    if (start.startsWith('<!doctype html') || start.startsWith('<html') || start.includes('<svg')) return null;
    return { contentType: text, image: false };
  }
  return null;
}
