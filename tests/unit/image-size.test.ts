import { describe, expect, it } from 'vitest';
import {
  DEFAULT_MAX_PIXELS,
  imageSize,
  maxPixelsFromEnv,
  type ByteReader,
} from '../../data-api/src/runbooks/image-size.ts';

// Issue 11, defect 7: a photo's size comes from its header (PNG IHDR, JPEG SOF, WebP VP8/VP8L/
// VP8X, HEIC/AVIF ispe), read without decoding; a header that gives no size gives null.

const reader =
  (buf: Buffer): ByteReader =>
  (offset, length) =>
    buf.subarray(offset, offset + length);
const u16be = (n: number) => Buffer.from([n >> 8, n & 255]);
const u32be = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};

function pngHeader(width: number, height: number): Buffer {
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    u32be(13),
    Buffer.from('IHDR'),
    u32be(width),
    u32be(height),
    Buffer.from([8, 2, 0, 0, 0]),
    u32be(0),
  ]);
}

function jpeg(width: number, height: number, { exifBytes = 0, sof = 0xc2 } = {}): Buffer {
  const segment = (marker: number, body: Buffer) =>
    Buffer.concat([Buffer.from([0xff, marker]), u16be(body.length + 2), body]);
  return Buffer.concat([
    Buffer.from([0xff, 0xd8]),
    segment(0xe0, Buffer.from('JFIF\0\x01\x01\0\0\x01\0\x01\0\0', 'latin1')),
    ...(exifBytes ? [segment(0xe1, Buffer.concat([Buffer.from('Exif\0\0'), Buffer.alloc(exifBytes, 0xaa)]))] : []),
    segment(0xdb, Buffer.alloc(65, 1)),
    Buffer.from([0xff]), // a fill byte before the next marker is allowed
    segment(
      sof,
      Buffer.concat([
        Buffer.from([8]),
        u16be(height),
        u16be(width),
        Buffer.from([3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]),
      ]),
    ),
    segment(0xda, Buffer.from([1, 1, 0, 0, 63, 0])),
    Buffer.from([0xff, 0xd9]),
  ]);
}

function webp(chunk: 'VP8 ' | 'VP8L' | 'VP8X', width: number, height: number): Buffer {
  const body = Buffer.alloc(20);
  if (chunk === 'VP8 ') {
    body.set([0x9d, 0x01, 0x2a], 3);
    body.writeUInt16LE(width, 6);
    body.writeUInt16LE(height, 8);
  } else if (chunk === 'VP8L') {
    body[0] = 0x2f;
    body.writeUInt32LE(((width - 1) & 0x3fff) | (((height - 1) & 0x3fff) << 14), 1);
  } else {
    body.writeUIntLE(width - 1, 4, 3);
    body.writeUIntLE(height - 1, 7, 3);
  }
  const riff = Buffer.concat([Buffer.from('WEBP'), Buffer.from(chunk), Buffer.from([20, 0, 0, 0]), body]);
  return Buffer.concat([Buffer.from('RIFF'), Buffer.from([riff.length, 0, 0, 0]), riff]);
}

function heic(extents: Array<[number, number]>): Buffer {
  const box = (type: string, ...body: Buffer[]) => {
    const b = Buffer.concat(body);
    return Buffer.concat([u32be(8 + b.length), Buffer.from(type), b]);
  };
  const full = Buffer.alloc(4); // version and flags
  const ispes = extents.map(([w, h]) => box('ispe', full, u32be(w), u32be(h)));
  return Buffer.concat([
    box('ftyp', Buffer.from('heic'), u32be(0), Buffer.from('mif1heic')),
    box('meta', full, box('hdlr', Buffer.alloc(24)), box('iprp', box('ipco', ...ispes))),
    box('mdat', Buffer.alloc(32)),
  ]);
}

describe('imageSize: the size a photo declares, from its header', () => {
  it('PNG: the IHDR width and height, however large they claim to be', () => {
    expect(imageSize('image/png', reader(pngHeader(4032, 3024)))).toEqual({ width: 4032, height: 3024 });
    expect(imageSize('image/png', reader(pngHeader(50_000, 50_000)))).toEqual({ width: 50_000, height: 50_000 });
    expect(imageSize('image/png', reader(pngHeader(0, 10)))).toBeNull();
    expect(imageSize('image/png', reader(pngHeader(10, 10).subarray(0, 20)))).toBeNull();
  });

  it('JPEG: the frame header after any number of segments (a 60 KB EXIF block included), baseline or progressive', () => {
    expect(imageSize('image/jpeg', reader(jpeg(4000, 3000)))).toEqual({ width: 4000, height: 3000 });
    expect(imageSize('image/jpeg', reader(jpeg(640, 480, { exifBytes: 60_000, sof: 0xc0 })))).toEqual({
      width: 640,
      height: 480,
    });
    expect(imageSize('image/jpeg', reader(jpeg(65_535, 65_535)))).toEqual({ width: 65_535, height: 65_535 });
    // Height 0 (left to a DNL segment), a scan before any frame header, a cut-off file: no size.
    expect(imageSize('image/jpeg', reader(jpeg(100, 0)))).toBeNull();
    const noFrame = jpeg(10, 10, { sof: 0xc4 }); // a DHT segment where the frame header should be
    expect(imageSize('image/jpeg', reader(noFrame))).toBeNull();
    expect(
      imageSize('image/jpeg', reader(Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(100, 7)]))),
    ).toBeNull();
  });

  it('WebP: lossy (VP8), lossless (VP8L) and extended (VP8X) headers', () => {
    expect(imageSize('image/webp', reader(webp('VP8 ', 1920, 1080)))).toEqual({ width: 1920, height: 1080 });
    expect(imageSize('image/webp', reader(webp('VP8L', 16_383, 2)))).toEqual({ width: 16_383, height: 2 });
    expect(imageSize('image/webp', reader(webp('VP8X', 16_000_000, 3)))).toEqual({ width: 16_000_000, height: 3 });
    expect(imageSize('image/webp', reader(webp('VP8 ', 10, 10).subarray(0, 26)))).toBeNull();
  });

  it('HEIC: the largest ispe under meta/iprp/ipco (the full image, not a grid tile)', () => {
    expect(
      imageSize(
        'image/heic',
        reader(
          heic([
            [512, 512],
            [4032, 3024],
            [320, 240],
          ]),
        ),
      ),
    ).toEqual({ width: 4032, height: 3024 });
    expect(imageSize('image/heic', reader(heic([])))).toBeNull();
    expect(imageSize('image/heic', reader(heic([[50_000, 50_000]]).subarray(0, 60)))).toBeNull();
  });

  it('FLEETBOOK_EVIDENCE_MAX_PIXELS: default 50 MP, a number of pixels, a bad value named', () => {
    expect(maxPixelsFromEnv({})).toBe(DEFAULT_MAX_PIXELS);
    expect(DEFAULT_MAX_PIXELS).toBe(50_000_000);
    expect(maxPixelsFromEnv({ FLEETBOOK_EVIDENCE_MAX_PIXELS: '144000000' })).toBe(144_000_000);
    expect(() => maxPixelsFromEnv({ FLEETBOOK_EVIDENCE_MAX_PIXELS: '12k' })).toThrow(
      /FLEETBOOK_EVIDENCE_MAX_PIXELS: expected a number of pixels.*"12k"/,
    );
    expect(() => maxPixelsFromEnv({ FLEETBOOK_EVIDENCE_MAX_PIXELS: '100' })).toThrow(/at least 1000000/);
  });
});
