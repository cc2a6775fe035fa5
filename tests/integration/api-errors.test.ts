import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { createTestApp, type TestApp } from '../helpers/app.ts';

// contracts.md: a bad request gets 400 `{"error":"validation","issues":[{"path","message"}]}`.
// A probe route with body, query and params schemas goes through the app's real error
// handling, so every area that declares zod schemas inherits what this pins.
const probe: FastifyPluginAsyncZod = async (app) => {
  app.post(
    '/probe/:id',
    {
      config: { auth: 'public', scope: 'unscoped' },
      schema: {
        params: z.object({ id: z.string().regex(/^dev_[a-z0-9-]+$/, 'expected a device id (dev_…)') }),
        querystring: z.object({ limit: z.coerce.number().int().max(500).optional() }),
        body: z.strictObject({ name: z.string().min(1), tags: z.array(z.string()).optional() }),
      },
    },
    async (request) => ({ ok: true, id: request.params.id }),
  );
};

describe('API error shape', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({}, (app) => app.register(probe, { prefix: '/api/v1' }));
  });
  afterAll(async () => t?.close());

  const post = (url: string, payload: unknown, headers: Record<string, string> = {}) =>
    t.app.inject({
      method: 'POST',
      url,
      payload: payload as string,
      headers: { 'content-type': 'application/json', ...headers },
    });

  it('accepts a valid request', async () => {
    const res = await post('/api/v1/probe/dev_a1', { name: 'x' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ ok: true, id: 'dev_a1' });
  });

  it('names a missing body field', async () => {
    const res = await post('/api/v1/probe/dev_a1', {});
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: 'validation', issues: [{ path: 'body.name' }] });
  });

  it('names a wrongly typed nested field with its index', async () => {
    const res = await post('/api/v1/probe/dev_a1', { name: 'x', tags: ['a', 7] });
    expect(res.json().issues).toEqual([expect.objectContaining({ path: 'body.tags[1]' })]);
  });

  it('refuses unknown fields', async () => {
    const res = await post('/api/v1/probe/dev_a1', { name: 'x', colour: 'red' });
    expect(res.statusCode).toBe(400);
    expect(res.json().issues).toEqual([{ path: 'body.colour', message: 'unknown field "colour"' }]);
  });

  it('names a bad path parameter and a bad query parameter', async () => {
    const a = await post('/api/v1/probe/site_x', { name: 'x' });
    expect(a.statusCode).toBe(400);
    expect(a.json().issues).toEqual([{ path: 'params.id', message: 'expected a device id (dev_…)' }]);
    const b = await post('/api/v1/probe/dev_a1?limit=9000', { name: 'x' });
    expect(b.json().issues).toEqual([expect.objectContaining({ path: 'querystring.limit' })]);
  });

  it('answers malformed JSON with the same shape', async () => {
    const res = await post('/api/v1/probe/dev_a1', '{"name": ');
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: 'validation', issues: [{ path: 'body' }] });
  });

  it('answers an unsupported content type with 415 in the error shape', async () => {
    const res = await post('/api/v1/probe/dev_a1', 'name=x', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(res.statusCode).toBe(415);
    expect(res.json()).toMatchObject({ error: 'unsupported_media_type' });
  });

  it('answers an unknown API route with 404 JSON', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/nope' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ error: 'not_found', message: 'no route GET /api/v1/nope' });
  });
});
