import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database, TokenRole } from '../db/index.ts';
import type { Principal } from './roles.ts';
import { cachedPrincipal, forgetTokens } from './token-cache.ts';
import { generateToken, hashToken, looksLikeToken } from './tokens.ts';

export interface NewToken {
  name: string;
  role: TokenRole;
  customerId?: string | null;
  stationId?: string | null;
}

export interface CreatedToken {
  id: string;
  name: string;
  role: TokenRole;
  customer_id: string | null;
  station_id: string | null;
  prefix: string;
  /** The secret, returned once; only its hash is stored. */
  token: string;
}

export async function createToken(db: Kysely<Database>, input: NewToken): Promise<CreatedToken> {
  const { token, prefix, hash } = generateToken();
  const row = await db
    .insertInto('api_tokens')
    .values({
      id: `tok_${randomBytes(6).toString('hex')}`,
      name: input.name,
      role: input.role,
      customer_id: input.customerId ?? null,
      station_id: input.stationId ?? null,
      prefix,
      secret_hash: hash,
    })
    .returning(['id', 'name', 'role', 'customer_id', 'station_id', 'prefix'])
    .executeTakeFirstOrThrow();
  return { ...row, token };
}

/**
 * The principal a bearer token stands for, or null (unknown, malformed or revoked). Found
 * tokens are remembered for a second (token-cache.ts says how that bounds a revocation).
 */
export async function principalForToken(db: Kysely<Database>, token: string): Promise<Principal | null> {
  if (!looksLikeToken(token)) return null;
  const hash = hashToken(token);
  return cachedPrincipal(db, hash, async () => {
    const row = await db
      .selectFrom('api_tokens')
      .select(['id', 'name', 'role', 'customer_id', 'station_id'])
      .where('secret_hash', '=', hash)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    if (!row) return null;
    // Frozen: one cached object is every request's principal until it expires.
    return Object.freeze({
      kind: 'token',
      name: row.name,
      role: row.role,
      customerId: row.customer_id,
      stationId: row.station_id,
    });
  });
}

export async function listTokens(db: Kysely<Database>) {
  return db
    .selectFrom('api_tokens')
    .select(['id', 'name', 'role', 'customer_id', 'station_id', 'prefix', 'created_at', 'revoked_at'])
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

export async function revokeToken(db: Kysely<Database>, id: string): Promise<boolean> {
  const res = await db
    .updateTable('api_tokens')
    .set({ revoked_at: new Date() })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  forgetTokens();
  return Number(res.numUpdatedRows) > 0;
}

/** Embedded mode's first start: one admin token, printed once, so a newcomer can write. */
export async function ensureFirstAdminToken(db: Kysely<Database>): Promise<CreatedToken | null> {
  const existing = await db
    .selectFrom('api_tokens')
    .select('id')
    .where('role', '=', 'admin')
    .limit(1)
    .executeTakeFirst();
  if (existing) return null;
  return createToken(db, { name: 'embedded-admin', role: 'admin' });
}
