import { sql, type Kysely } from 'kysely';
import type { LightMyRequestResponse } from 'fastify';
import { createToken } from '../../data-api/src/kernel/auth/service.ts';
import type { App } from '../../data-api/src/app.ts';
import type { Database, TokenRole } from '../../data-api/src/kernel/db/index.ts';

/** A bearer token straight in the database (what `fleetbook token create` does). */
export async function bearer(
  db: Kysely<Database>,
  role: TokenRole,
  customerId: string | null = null,
  name = `${role}${customerId ? `@${customerId}` : ''}`,
): Promise<string> {
  const created = await createToken(db, {
    name,
    role,
    customerId,
    stationId: role === 'station' ? 'dev_station-1' : null,
  });
  return created.token;
}

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

/** `app.inject()` with a token and JSON, the way a client calls the API. */
export function client(
  app: App,
  token: string | null,
  extra: { remoteAddress?: string; headers?: Record<string, string> } = {},
) {
  const call = (method: Method, url: string, body?: unknown): Promise<LightMyRequestResponse> =>
    app.inject({
      method,
      url: url.startsWith('/api/') ? url : `/api/v1${url}`,
      ...(extra.remoteAddress ? { remoteAddress: extra.remoteAddress } : {}),
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...extra.headers,
      },
      ...(body !== undefined ? { payload: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
  return {
    get: (url: string) => call('GET', url),
    post: (url: string, body: unknown) => call('POST', url, body),
    patch: (url: string, body: unknown) => call('PATCH', url, body),
    put: (url: string, body: unknown) => call('PUT', url, body),
    del: (url: string) => call('DELETE', url),
    call,
  };
}
export type Client = ReturnType<typeof client>;

/** Creates through the API and fails loudly (with the error body) when it does not answer 201. */
export async function must(res: Promise<LightMyRequestResponse> | LightMyRequestResponse, status = 201): Promise<any> {
  const r = await res;
  if (r.statusCode !== status) throw new Error(`expected ${status}, got ${r.statusCode}: ${r.body}`);
  return r.body ? r.json() : null;
}

/** Every table an API write can touch, so a refused request can be shown to write nothing. */
export const WRITTEN_TABLES = [
  'customers',
  'sites',
  'deployments',
  'devices',
  'device_secrets',
  'inventory_items',
  'audit_log',
  'change_events',
  'api_tokens',
] as const;

/** Row counts plus a digest of each table's content: "writes nothing" means both stay equal. */
export async function snapshot(db: Kysely<Database>): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const table of WRITTEN_TABLES) {
    const { rows } = await sql<{ n: number; digest: string }>`
      select count(*)::int as n, md5(coalesce(string_agg(t::text, '|' order by t::text), '')) as digest from ${sql.table(table)} t`.execute(
      db,
    );
    out[table] = `${rows[0]!.n}:${rows[0]!.digest}`;
  }
  return out;
}

/** Walks a list by cursor and returns every item, failing on a page larger than `limit`. */
export async function walk<T extends { id: string | number }>(
  api: Client,
  path: string,
  limit: number,
  between?: () => Promise<void>,
): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | null = null;
  const sep = path.includes('?') ? '&' : '?';
  for (let page = 0; page < 10_000; page++) {
    const res = await api.get(`${path}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    if (res.statusCode !== 200) throw new Error(`GET ${path} page ${page}: ${res.statusCode} ${res.body}`);
    const body = res.json() as { items: T[]; next_cursor: string | null };
    if (body.items.length > limit) throw new Error(`page of ${body.items.length} > limit ${limit}`);
    items.push(...body.items);
    cursor = body.next_cursor;
    if (!cursor) return items;
    if (between) await between();
  }
  throw new Error('walk did not end');
}
