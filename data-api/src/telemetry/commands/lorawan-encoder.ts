// The product's encoder for LoRaWAN downlinks (catalog `commands[].lorawan`): opcode byte, then
// each param big-endian. Declared in the product page rather than as code, so that the API, the
// docs and the firmware read the same layout.
import type { LorawanEncoding } from '../../contracts/catalog.ts';

const RANGES = {
  u8: [0, 0xff],
  u16: [0, 0xffff],
  u32: [0, 0xffffffff],
  i8: [-0x80, 0x7f],
  i16: [-0x8000, 0x7fff],
  i32: [-0x80000000, 0x7fffffff],
} as const;
const SIZES = { u8: 1, u16: 2, u32: 4, i8: 1, i16: 2, i32: 4 } as const;

export class EncodeError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

export function encodeDownlink(encoding: LorawanEncoding, params: Record<string, unknown>): Buffer {
  const parts: Buffer[] = [];
  if (encoding.opcode !== undefined) parts.push(Buffer.from([encoding.opcode]));
  for (const f of encoding.fields ?? []) {
    const raw = params[f.param];
    if (raw === undefined)
      throw new EncodeError(`params.${f.param}`, `required by the product's LoRaWAN encoding (${f.type})`);
    const value = typeof raw === 'boolean' ? (raw ? 1 : 0) : raw;
    if (typeof value !== 'number' || !Number.isFinite(value))
      throw new EncodeError(`params.${f.param}`, `expected a number (encoded as ${f.type})`);
    const n = Math.round(value * (f.scale ?? 1));
    const [min, max] = RANGES[f.type];
    if (n < min || n > max) {
      throw new EncodeError(
        `params.${f.param}`,
        `${value}${f.scale ? ` × ${f.scale} = ${n}` : ''} does not fit ${f.type} (${min}–${max})`,
      );
    }
    const b = Buffer.alloc(SIZES[f.type]);
    if (f.type.startsWith('u')) b.writeUIntBE(n, 0, SIZES[f.type]);
    else b.writeIntBE(n, 0, SIZES[f.type]);
    parts.push(b);
  }
  return Buffer.concat(parts);
}
