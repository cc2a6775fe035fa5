import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * Claim codes are short and typed by people, so a plain SHA-256 of one could be reversed
 * offline by brute force. They are stored as scrypt (salted, memory-hard) and compared in
 * constant time; an unknown MAC still costs one scrypt, so timing does not tell a known
 * MAC from an unknown one.
 */
const PARAMS = { N: 16_384, r: 8, p: 1 } as const;
const KEY_LEN = 32;

function derive(code: string, salt: Buffer, params: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(code, salt, KEY_LEN, { ...params, maxmem: 64 * 1024 * 1024 }, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

/** `scrypt$N$r$p$<salt>$<key>` (base64url): self-describing, so the cost can be raised later. */
export async function hashClaimCode(code: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(code, salt, PARAMS);
  return ['scrypt', PARAMS.N, PARAMS.r, PARAMS.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

let dummy: Promise<string> | null = null;

/** True when `code` matches `stored`; with no stored hash, burns the same time and says no. */
export async function verifyClaimCode(code: string, stored: string | null): Promise<boolean> {
  const against = stored ?? (await (dummy ??= hashClaimCode(randomBytes(16).toString('hex'))));
  const [scheme, n, r, p, salt, key] = against.split('$');
  if (scheme !== 'scrypt' || !salt || !key) return false;
  const expected = Buffer.from(key, 'base64url');
  const actual = await derive(code, Buffer.from(salt, 'base64url'), { N: Number(n), r: Number(r), p: Number(p) });
  return actual.length === expected.length && timingSafeEqual(actual, expected) && stored !== null;
}

/** Crockford base32 without I, L, O, U: nothing to confuse when reading a label. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** `K7QF-2M9X-P4TD`: 12 symbols, 60 random bits, grouped for reading aloud. */
export function generateClaimCode(): string {
  const bytes = randomBytes(12);
  let out = '';
  for (let i = 0; i < 12; i++) out += (i > 0 && i % 4 === 0 ? '-' : '') + ALPHABET[bytes[i]! % 32];
  return out;
}

/**
 * Failed claims per MAC and per client address in a sliding window. Over the limit, the
 * claim answers the same generic 401 without checking the code, so guessing a code is
 * slow even from many connections. In memory, per replica: a best-effort brake, not the
 * security boundary (that is the code's entropy and the scrypt cost). Writes nothing, so
 * a bad claim leaves the database untouched.
 */
export class ClaimLimiter {
  private readonly failures = new Map<string, number[]>();
  constructor(
    readonly perMac = 10,
    readonly perAddress = 50,
    readonly windowMs = 15 * 60_000,
    private readonly maxKeys = 10_000,
  ) {}

  limited(mac: string, address: string, now = Date.now()): boolean {
    return this.count(`mac:${mac}`, now) >= this.perMac || this.count(`ip:${address}`, now) >= this.perAddress;
  }

  fail(mac: string, address: string, now = Date.now()): void {
    for (const key of [`mac:${mac}`, `ip:${address}`]) {
      const list = this.recent(key, now);
      list.push(now);
      this.failures.delete(key);
      this.failures.set(key, list);
    }
    // Oldest keys first (Map keeps insertion order): a flood of MACs cannot grow it forever.
    while (this.failures.size > this.maxKeys) this.failures.delete(this.failures.keys().next().value!);
  }

  succeed(mac: string): void {
    this.failures.delete(`mac:${mac}`);
  }

  private count(key: string, now: number): number {
    return this.recent(key, now).length;
  }

  private recent(key: string, now: number): number[] {
    return (this.failures.get(key) ?? []).filter((t) => now - t < this.windowMs);
  }
}
