import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { healthSchema } from '../../data-api/src/contracts/health.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';

describe('GET /api/v1/health', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => t?.close());

  it('reports database, broker and build, and matches its own schema', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/health' });
    expect(res.statusCode).toBe(200);
    const body = healthSchema.parse(res.json());
    expect(body.status).toBe('ok');
    expect(body.database).toMatchObject({ status: 'up', kind: t.database.backend });
    expect(body.database.latency_ms).toBeGreaterThanOrEqual(0);
    expect(body.broker).toMatchObject({ status: 'up', kind: 'external', url: t.testBroker.url });
    expect(body.build.status).toBe('disabled');
  });

  it('is listed in the OpenAPI document generated from the route schemas', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toBe('3.1.0');
    const op = doc.paths['/api/v1/health'].get;
    expect(op.responses['200']).toBeDefined();
    expect(op.responses['200'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/Health' });
    expect(Object.keys(doc.components.schemas.Health.properties)).toEqual(['status', 'version', 'uptime_s', 'database', 'broker', 'build']);
    expect(doc.components.securitySchemes.bearer).toEqual(expect.objectContaining({ scheme: 'bearer' }));
  });

  it('answers 503 degraded when the broker connection is gone', async () => {
    await t.broker.client.endAsync();
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/health' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ status: 'degraded', broker: { status: 'down' }, database: { status: 'up' } });
  });
});
