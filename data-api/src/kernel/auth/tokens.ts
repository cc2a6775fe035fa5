import { createHash, randomBytes } from 'node:crypto';

/**
 * Tokens look like `fbk_1a2b3c4d_<43 chars>`: a visible prefix to tell them apart in
 * lists and logs, and a 32-byte random secret. Only the SHA-256 of the whole token is
 * stored; the token itself is shown once, at creation.
 */
export function generateToken(): { token: string; prefix: string; hash: string } {
  const prefix = randomBytes(4).toString('hex');
  const token = `fbk_${prefix}_${randomBytes(32).toString('base64url')}`;
  return { token, prefix, hash: hashToken(token) };
}

export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

export const looksLikeToken = (value: string): boolean => /^fbk_[0-9a-f]{8}_[A-Za-z0-9_-]{43}$/.test(value);
