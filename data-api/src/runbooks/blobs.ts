// The blob folder (architecture.md: "a blob folder or object store for evidence files"):
// content-addressed files at `<blob-dir>/<sha256[0:2]>/<sha256>`. A stream is written to a
// temporary file while it is hashed and counted, then renamed into place; the same bytes
// uploaded twice are stored once.
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { DEFAULTS } from '../kernel/config/schema.ts';
import { SNIFF_BYTES } from './sniff.ts';

/**
 * Where blobs live: `FLEETBOOK_BLOB_DIR`, else `<FLEETBOOK_DATA_DIR>/blobs` (the embedded data
 * folder, `.fleetbook/data` by default). Known debt: `fleetbook start --data-dir X` is not seen
 * here (the flag does not reach the environment); set FLEETBOOK_BLOB_DIR with it.
 */
export function defaultBlobDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.FLEETBOOK_BLOB_DIR) return path.resolve(env.FLEETBOOK_BLOB_DIR);
  return path.resolve(env.FLEETBOOK_DATA_DIR || DEFAULTS.dataDir, 'blobs');
}

export class BlobTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`the file is larger than ${limit} bytes`);
    this.name = 'BlobTooLargeError';
  }
}

export interface StoredBlob {
  sha256: string;
  size: number;
  /** Relative to the blob folder: `ab/ab12…`. */
  relPath: string;
  /** The first bytes, for sniffing the type. */
  head: Uint8Array;
}

export interface PendingBlob extends StoredBlob {
  /** Moves the bytes into place (or drops them when the same blob exists). */
  commit(): void;
  /** Drops the bytes (the upload was refused). */
  discard(): void;
  /** Up to `length` bytes from `offset`, before commit or discard (an image header lies beyond the sniffed head). */
  read(offset: number, length: number): Buffer;
}

export class BlobStore {
  constructor(readonly dir: string) {}

  /** Absolute path of a stored blob; refuses anything that is not `<2 hex>/<64 hex>`. */
  resolve(relPath: string): string {
    if (!/^[0-9a-f]{2}\/[0-9a-f]{64}$/.test(relPath)) throw new Error(`not a blob path: ${relPath}`);
    return path.join(this.dir, relPath);
  }

  /**
   * Writes `stream` to a temporary file while hashing it. Rejects with BlobTooLargeError past
   * `maxBytes` (or when the stream says it was truncated at its own limit).
   */
  async write(stream: Readable & { truncated?: boolean }, maxBytes: number): Promise<PendingBlob> {
    const tmpDir = path.join(this.dir, 'tmp');
    await fs.promises.mkdir(tmpDir, { recursive: true });
    const tmp = path.join(tmpDir, `${Date.now()}-${randomBytes(6).toString('hex')}`);
    const out = fs.createWriteStream(tmp, { flags: 'wx' });
    let writeError: Error | null = null;
    out.on('error', (err) => (writeError ??= err));
    const hash = createHash('sha256');
    let size = 0;
    const headChunks: Buffer[] = [];
    let headLen = 0;
    try {
      for await (const chunk of stream) {
        const buf = chunk as Buffer;
        size += buf.length;
        if (size > maxBytes) throw new BlobTooLargeError(maxBytes);
        hash.update(buf);
        if (headLen < SNIFF_BYTES) {
          headChunks.push(buf.subarray(0, SNIFF_BYTES - headLen));
          headLen += Math.min(buf.length, SNIFF_BYTES - headLen);
        }
        if (!out.write(buf)) await new Promise<void>((r) => out.once('drain', r));
      }
      if (stream.truncated) throw new BlobTooLargeError(maxBytes);
      await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
      if (writeError) throw writeError;
    } catch (err) {
      // Let writes in flight finish before the file goes (destroying mid-write throws later).
      if (!out.closed) await new Promise<void>((r) => (out.once('close', () => r()), out.end()));
      await fs.promises.rm(tmp, { force: true });
      // Drain what is left so the request can finish with our error.
      stream.resume();
      throw err;
    }
    const sha256 = hash.digest('hex');
    const relPath = `${sha256.slice(0, 2)}/${sha256}`;
    const final = path.join(this.dir, relPath);
    return {
      sha256,
      size,
      relPath,
      head: new Uint8Array(Buffer.concat(headChunks)),
      commit: () => {
        fs.mkdirSync(path.dirname(final), { recursive: true });
        if (fs.existsSync(final)) fs.rmSync(tmp, { force: true });
        else fs.renameSync(tmp, final);
      },
      discard: () => fs.rmSync(tmp, { force: true }),
      read: (offset, length) => {
        const buf = Buffer.alloc(Math.max(0, Math.min(length, size - offset)));
        if (buf.length === 0) return buf;
        const fd = fs.openSync(tmp, 'r');
        try {
          return buf.subarray(0, fs.readSync(fd, buf, 0, buf.length, offset));
        } finally {
          fs.closeSync(fd);
        }
      },
    };
  }
}
