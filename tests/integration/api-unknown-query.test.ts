import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { requestJson } from '../helpers/http.ts';
import { bearer } from '../helpers/registry.ts';

// contracts.md: every request query is validated; a bad one gets HTTP 400 naming the field and
// why. A query parameter a route does not take is bad input, not noise: `?stauts=down` answered
// every device with 200, and the script that sent it believed it had filtered.

interface Operation {
  parameters?: Array<{ name: string; in: string; required?: boolean; schema?: { type?: string; pattern?: string } }>;
  requestBody?: unknown;
}

/** A path parameter's value its schema accepts (the id need not exist: an unknown id is a 404 after validation). */
function sample(schema: { type?: string; pattern?: string } | undefined): string {
  if (schema?.type === 'integer') return '1';
  const prefix = schema?.pattern ? /^\^\(?([a-z]+)[_|]/.exec(schema.pattern)?.[1] : undefined;
  const value = prefix ? `${prefix}_x1` : 'x1';
  if (schema?.pattern) expect(new RegExp(schema.pattern).test(value), `${value} ~ ${schema.pattern}`).toBe(true);
  return value;
}

/** Query parameters a route requires, so that the unknown one is the only thing wrong. */
const REQUIRED: Record<string, string> = { metric: 'temp_c', exp: '4102444800', sig: 'a'.repeat(64) };
/** Path parameters that must name something real for the route to read its query. */
const REAL: Record<string, Record<string, string>> = { '/api/v1/surfaces/{name}': { name: 'fleet-overview' } };

describe('unknown query parameters are refused on every route', () => {
  let t: TestApp;
  let base: string;
  let token: string;
  let operations: Array<{ method: string; path: string; url: string; op: Operation }>;

  beforeAll(async () => {
    t = await createTestApp();
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    token = await bearer(t.ctx.db, 'admin');
    const doc = await requestJson(`${base}/api/v1/openapi.json`);
    expect(doc.status).toBe(200);
    operations = Object.entries(doc.body.paths as Record<string, Record<string, Operation>>).flatMap(([p, ops]) =>
      Object.entries(ops).map(([method, op]) => {
        const params = op.parameters ?? [];
        const url = p.replace(/\{([^}]+)\}/g, (_, name: string) =>
          encodeURIComponent(REAL[p]?.[name] ?? sample(params.find((x) => x.in === 'path' && x.name === name)?.schema)),
        );
        const required = params
          .filter((x) => x.in === 'query' && x.required)
          .map((x) => `${x.name}=${REQUIRED[x.name]}`);
        return { method: method.toUpperCase(), path: p, url: `${base}${url}?${required.join('&')}`, op };
      }),
    );
  });
  afterAll(async () => {
    await t?.close();
  });

  /** Status and body of a call; a stream's body is not waited for. */
  const call = async (method: string, url: string) => {
    const res = await fetch(url, { method, headers: { authorization: `Bearer ${token}` } });
    const type = res.headers.get('content-type') ?? '';
    if (type.startsWith('text/event-stream')) {
      await res.body?.cancel();
      return { status: res.status, body: null };
    }
    const text = await res.text();
    return { status: res.status, body: type.includes('json') && text ? JSON.parse(text) : text };
  };

  it('every GET in the served OpenAPI document (and the document itself): 400 at querystring.zzz_unknown', async () => {
    const gets = operations.filter((o) => o.method === 'GET');
    expect(gets.length).toBeGreaterThan(50);
    const wrong: string[] = [];
    for (const { path, url } of [...gets, { path: '/api/v1/openapi.json', url: `${base}/api/v1/openapi.json?` }]) {
      // The same call without the unknown parameter is not a 400: the 400 is the parameter's.
      const control = await call('GET', url);
      if (control.status === 400) wrong.push(`GET ${path} without it: 400 ${JSON.stringify(control.body)}`);
      const res = await call('GET', `${url}&zzz_unknown=1`);
      const issues = res.body?.issues as Array<{ path: string; message: string }> | undefined;
      if (
        res.status !== 400 ||
        res.body?.error !== 'validation' ||
        issues?.length !== 1 ||
        issues[0]!.path !== 'querystring.zzz_unknown' ||
        !/^unknown parameter "zzz_unknown"; this (route|surface) takes /.test(issues[0]!.message)
      )
        wrong.push(`GET ${path}: ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
    }
    expect(wrong).toEqual([]);
  });

  it('every other operation without a body too, before it changes anything', async () => {
    const others = operations.filter((o) => o.method !== 'GET' && !o.op.requestBody);
    expect(others.length).toBeGreaterThan(5);
    const wrong: string[] = [];
    for (const { method, path, url } of others) {
      const res = await call(method, `${url}&zzz_unknown=1`);
      if (res.status !== 400 || res.body?.issues?.[0]?.path !== 'querystring.zzz_unknown')
        wrong.push(`${method} ${path}: ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
    }
    expect(wrong).toEqual([]);
  });

  it('a typo gets a hint and the parameters the route takes; nothing is written', async () => {
    const typo = await requestJson(`${base}/api/v1/devices?stauts=down`, { token });
    expect(typo.status).toBe(400);
    expect(typo.body.issues).toEqual([
      {
        path: 'querystring.stauts',
        message: expect.stringMatching(
          /^unknown parameter "stauts" \(did you mean "status"\?\); this route takes limit, cursor, .*status/,
        ),
      },
    ]);
    const created = await requestJson(`${base}/api/v1/customers?dry_rn=1`, {
      method: 'POST',
      token,
      body: { name: 'Typo Ltd' },
    });
    expect(created.status).toBe(400);
    expect(created.body.issues).toEqual([
      { path: 'querystring.dry_rn', message: 'unknown parameter "dry_rn"; this route takes no parameters' },
    ]);
    expect((await requestJson(`${base}/api/v1/customers?q=Typo`, { token })).body.items).toEqual([]);
    // A route with a plain-object query (the acknowledge link) refuses one as well.
    const ack = await call(
      'GET',
      `${base}/api/v1/notifications/ntf_x1/ack?exp=4102444800&sig=${'a'.repeat(64)}&sigg=1`,
    );
    expect(ack.status).toBe(400);
    expect(ack.body.issues).toEqual([
      {
        path: 'querystring.sigg',
        message: 'unknown parameter "sigg" (did you mean "sig"?); this route takes exp, sig',
      },
    ]);
  });

  it('an open-ended query (a surface’s own parameters) keeps working, and says what it takes', async () => {
    const surfaces = (await requestJson(`${base}/api/v1/surfaces`, { token })).body.items as Array<{
      name: string;
      params: Record<string, unknown>;
    }>;
    const siteStatus = surfaces.find((s) => s.name === 'site-status')!;
    expect(Object.keys(siteStatus.params)).toEqual(['site']);
    const typo = await requestJson(`${base}/api/v1/surfaces/site-status?sitee=site_x1`, { token });
    expect(typo.status).toBe(400);
    expect(typo.body.issues).toContainEqual({
      path: 'querystring.sitee',
      message: 'unknown parameter "sitee" (did you mean "site"?); this surface takes site',
    });
    expect((await requestJson(`${base}/api/v1/surfaces/fleet-overview`, { token })).status).toBe(200);
  });
});
