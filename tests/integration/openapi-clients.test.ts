import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import openapiTS, { astToString } from 'openapi-typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STREAM_EVENTS } from '../../data-api/src/contracts/stream.ts';
import { PROJECT_ROOT } from '../../data-api/src/kernel/paths.ts';
import { SERVED_CONTENT_TYPES } from '../../data-api/src/runbooks/sniff.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { bearer } from '../helpers/registry.ts';

// Issue 17: an OpenAPI document others can build on. Redocly's recommended ruleset reads the
// document the running API serves (0 errors), and openapi-typescript + openapi-fetch make a typed
// client of it that tsc accepts and that then calls the live API over HTTP.
describe('the OpenAPI document, as client generators read it', () => {
  let t: TestApp;
  let baseUrl: string;
  let document: any;
  // Under the project, so the generated client resolves openapi-fetch from its node_modules.
  const work = path.join(PROJECT_ROOT, 'test-results', `openapi-client-${process.pid}`);

  beforeAll(async () => {
    t = await createTestApp();
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    baseUrl = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    const res = await fetch(`${baseUrl}/api/v1/openapi.json`);
    expect(res.status).toBe(200);
    document = await res.json();
    fs.mkdirSync(work, { recursive: true });
    fs.writeFileSync(path.join(work, 'openapi.json'), JSON.stringify(document, null, 2));
  });
  afterAll(async () => {
    await t?.close();
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('passes Redocly’s recommended ruleset with 0 errors', () => {
    const cli = path.join(PROJECT_ROOT, 'node_modules', '@redocly', 'cli', 'bin', 'cli.js');
    // cwd = the work folder: no redocly.yaml there, so exactly the built-in `recommended` applies.
    const lint = spawnSync(process.execPath, [cli, 'lint', 'openapi.json', '--extends=recommended', '--format=json'], {
      cwd: work,
      encoding: 'utf8',
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
    });
    const report = JSON.parse(lint.stdout) as {
      totals: { errors: number; warnings: number };
      problems: Array<{ ruleId: string; severity: string; message: string; location: Array<{ pointer: string }> }>;
    };
    const errors = report.problems
      .filter((p) => p.severity === 'error')
      .map((p) => `${p.ruleId} ${p.location[0]?.pointer}: ${p.message}`);
    console.log(`redocly lint (recommended): ${report.totals.errors} errors, ${report.totals.warnings} warnings`);
    for (const p of report.problems) console.log(`  ${p.severity} ${p.ruleId} ${p.location[0]?.pointer}`);
    expect(errors).toEqual([]);
    expect(report.totals.errors).toBe(0);
    expect(lint.status).toBe(0);
  });

  it('names every operation, sets servers, documents the surfaces query as one form-style object and /metrics as text', () => {
    const operations = Object.entries(document.paths as Record<string, Record<string, any>>).flatMap(([p, ops]) =>
      Object.entries(ops).map(([method, op]) => ({ where: `${method.toUpperCase()} ${p}`, op })),
    );
    expect(operations.length).toBeGreaterThan(90);
    expect(operations.filter(({ op }) => !op.operationId).map(({ where }) => where)).toEqual([]);
    const ids = operations.map(({ op }) => op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(document.servers.length).toBeGreaterThan(0);
    expect(Object.keys(document.components.schemas).filter((name) => !/^[A-Za-z0-9._-]+$/.test(name))).toEqual([]);

    const surface = document.paths['/api/v1/surfaces/{name}'].get;
    expect(surface.parameters.filter((p: any) => p.in === 'query')).toEqual([
      expect.objectContaining({
        name: 'params',
        style: 'form',
        explode: true,
        schema: expect.objectContaining({ type: 'object' }),
      }),
    ]);
    for (const list of [
      '/api/v1/devices',
      '/api/v1/alerts',
      '/api/v1/automation-runs',
      '/api/v1/dead-letters',
      '/api/v1/uptime',
    ]) {
      expect(Object.keys(document.paths[list].get.responses['200'].content), list).toEqual([
        'application/json',
        'text/csv',
      ]);
    }
    const metrics = document.paths['/metrics'].get;
    expect(Object.keys(metrics.responses['200'].content)).toEqual(['text/plain; version=0.0.4']);
    expect(metrics.responses['200'].content['text/plain; version=0.0.4'].schema).toEqual({ type: 'string' });
  });

  // contracts.md: a bad body or query gets HTTP 400 naming the field; unknown ids give 404. A
  // client generated from the document handles only the answers it lists.
  it('lists the 400 of every JSON operation that reads a body, query or path, and the 404 of every one with a path id', () => {
    interface Answer {
      content?: Record<string, { schema?: { $ref?: string } }>;
    }
    interface Operation {
      requestBody?: unknown;
      parameters?: unknown[];
      responses: Record<string, Answer>;
    }
    const missing: string[] = [];
    for (const [p, ops] of Object.entries(document.paths as Record<string, Record<string, Operation>>)) {
      for (const [method, op] of Object.entries(ops)) {
        const answers = op.responses;
        if (!Object.values(answers).some((r) => r.content?.['application/json'])) continue;
        const reads = !!op.requestBody || (op.parameters ?? []).length > 0;
        for (const [status, needed] of [
          ['400', reads],
          ['404', p.includes('{')],
        ] as const) {
          if (!needed) continue;
          const schema = answers[status]?.content?.['application/json']?.schema;
          if (schema?.$ref !== '#/components/schemas/Error') missing.push(`${method.toUpperCase()} ${p} ${status}`);
        }
      }
    }
    expect(missing).toEqual([]);
    // A resolved alert cannot be acknowledged or resolved again.
    for (const action of ['acknowledge', 'resolve'])
      expect(document.paths[`/api/v1/alerts/{id}/${action}`].post.responses['409'], action).toBeDefined();
  });

  // contracts.md: the document describes the whole API. An answer that is not JSON says what it
  // is: the stream its events, a download the types it is served as, the acknowledge link its pages.
  it('gives every 2xx answer (but 204) its content: the stream, downloads and the acknowledge page included', async () => {
    type Answers = Record<string, { content?: Record<string, { schema?: unknown }> }>;
    const ops = Object.entries(document.paths as Record<string, Record<string, { responses: Answers }>>).flatMap(
      ([p, o]) => Object.entries(o).map(([method, op]) => ({ where: `${method.toUpperCase()} ${p}`, op })),
    );
    const bare = ops.flatMap(({ where, op }) =>
      Object.entries(op.responses)
        .filter(([status, answer]) => /^2/.test(status) && status !== '204' && !answer.content)
        .map(([status]) => `${where} ${status}`),
    );
    expect(bare).toEqual([]);

    const stream = document.paths['/api/v1/stream'].get.responses;
    expect(Object.keys(stream['200'].content)).toEqual(['text/event-stream']);
    const sse = stream['200'].content['text/event-stream'].schema;
    expect(sse.type).toBe('string');
    expect(stream['200'].description).toMatch(/event: change.*ChangeEvent.*event: telemetry.*LiveSample/s);
    // Each event's data, by its contract (contracts/stream.ts).
    expect(Object.keys(sse['x-fleetbook-events'])).toEqual(Object.keys(STREAM_EVENTS));
    const events = sse['x-fleetbook-events'];
    expect(events.change.required).toEqual(expect.arrayContaining(['id', 'type', 'subject', 'payload']));
    expect(events.surface).toEqual(events.change);
    expect(events.telemetry.required).toEqual(expect.arrayContaining(['device_id', 'ts', 'metrics']));
    expect(events.ready.required).toEqual(['last_event_id']);
    expect(events.reset.required).toEqual(['reason']);
    expect(stream['400'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/Error' });

    for (const download of [
      '/api/v1/runbook-executions/{id}/evidence/{evidence_id}',
      '/api/v1/work-items/{id}/attachments/{attachment_id}',
    ]) {
      const answers = document.paths[download].get.responses;
      expect(Object.keys(answers['200'].content), download).toEqual([...SERVED_CONTENT_TYPES]);
      expect(Object.keys(answers['200'].content)).toEqual(
        expect.arrayContaining(['image/jpeg', 'image/png', 'application/pdf', 'application/zip']),
      );
      for (const media of Object.values(answers['200'].content as Record<string, { schema: unknown }>))
        expect(media.schema).toMatchObject({ type: 'string', format: 'binary' });
      expect(answers['200'].description).toMatch(/ETag/);
      expect(answers['404'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/Error' });
    }

    for (const method of ['get', 'post']) {
      const answers = document.paths['/api/v1/notifications/{id}/ack'][method].responses;
      for (const status of ['200', '403', '410']) {
        expect(Object.keys(answers[status].content), `${method} ${status}`).toEqual(['text/html']);
        expect(answers[status].description).toMatch(/^An HTML page/);
      }
      expect(answers['400'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/Error' });
    }
    // What the document says is what is served.
    const page = await fetch(`${baseUrl}/api/v1/notifications/ntf_nope/ack?exp=4102444800&sig=${'0'.repeat(64)}`);
    expect([page.status, page.headers.get('content-type')]).toEqual([403, 'text/html; charset=utf-8']);
  });

  it('answers those errors with the whole Error body (issues included) where they are now listed', async () => {
    const token = { authorization: `Bearer ${await bearer(t.ctx.db, 'admin')}` };
    const bad = await t.app.inject({
      method: 'GET',
      url: '/api/v1/devices/dev_nowhere-1/telemetry?metric=Temp',
      headers: token,
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toEqual({
      error: 'validation',
      message: 'querystring.metric: expected a metric name like temp_c',
      issues: [{ path: 'querystring.metric', message: 'expected a metric name like temp_c' }],
    });
    const unknown = await t.app.inject({
      method: 'GET',
      url: '/api/v1/devices/dev_nowhere-1/telemetry?metric=temp_c',
      headers: token,
    });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toEqual({ error: 'not_found', message: 'device dev_nowhere-1 not found' });
  });

  it('generates a typed client (openapi-typescript + openapi-fetch) that compiles and calls three operations live', async () => {
    fs.writeFileSync(path.join(work, 'fleetbook-api.d.ts'), astToString(await openapiTS(document)));
    fs.writeFileSync(
      path.join(work, 'client.mts'),
      `import createClient from 'openapi-fetch';
import type { paths } from './fleetbook-api';

const [baseUrl, token, customerName] = process.argv.slice(2) as [string, string, string];
// The lists also speak CSV: this client reads their JSON.
const api = createClient<paths, 'application/json'>({ baseUrl, headers: { authorization: \`Bearer \${token}\` } });

const health = await api.GET('/api/v1/health');
const created = await api.POST('/api/v1/customers', { body: { name: customerName } });
if (!created.data) throw new Error(\`createCustomer: \${JSON.stringify(created.error)}\`);
const id: string = created.data.id;
const read = await api.GET('/api/v1/customers/{id}', { params: { path: { id } } });
const listed = await api.GET('/api/v1/customers', { params: { query: { limit: 50 } } });
const status: 'ok' | 'degraded' | undefined = health.data?.status;

// Never called: tsc must reject what the API does not accept (an unused @ts-expect-error fails the build).
export const rejected = () => [
  // @ts-expect-error a customer's name is a string
  api.POST('/api/v1/customers', { body: { name: 42 } }),
  // @ts-expect-error a page holds at most 500
  api.GET('/api/v1/customers', { params: { query: { limit: '50' } } }),
  // @ts-expect-error no such path
  api.GET('/api/v1/customer'),
];

console.log(JSON.stringify({
  health: { http: health.response.status, status },
  created: { http: created.response.status, id, name: created.data.name },
  read: { http: read.response.status, name: read.data?.name },
  listed: { http: listed.response.status, names: listed.data?.items.map((c) => c.name) },
}));
`,
    );
    fs.writeFileSync(
      path.join(work, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'ESNext',
          moduleResolution: 'Bundler',
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          lib: ['ES2022', 'DOM'],
          types: ['node'],
          typeRoots: [path.join(PROJECT_ROOT, 'node_modules', '@types')],
        },
        files: ['client.mts', 'fleetbook-api.d.ts'],
      }),
    );
    const tsc = spawnSync(
      process.execPath,
      [path.join(PROJECT_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', work],
      { encoding: 'utf8' },
    );
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);

    const token = await bearer(t.ctx.db, 'admin');
    // Not spawnSync: the API answering the client lives in this process.
    const run = await promisify(execFile)(
      process.execPath,
      [
        path.join(PROJECT_ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'),
        path.join(work, 'client.mts'),
        baseUrl,
        token,
        'Generated Client Farms',
      ],
      { encoding: 'utf8', cwd: work },
    );
    expect(run.stderr).toBe('');
    const result = JSON.parse(run.stdout.trim());
    const stored = await t.ctx.db
      .selectFrom('customers')
      .select(['id', 'name'])
      .where('name', '=', 'Generated Client Farms')
      .executeTakeFirstOrThrow();
    expect(result.health).toEqual({ http: 200, status: expect.stringMatching(/^(ok|degraded)$/) });
    expect(result.created).toEqual({ http: 201, id: stored.id, name: 'Generated Client Farms' });
    expect(result.read).toEqual({ http: 200, name: 'Generated Client Farms' });
    expect(result.listed.http).toBe(200);
    expect(result.listed.names).toContain('Generated Client Farms');
  });
});
