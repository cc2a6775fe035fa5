import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { requestJson } from '../helpers/http.ts';
import { bearer } from '../helpers/registry.ts';

// contracts.md: a JSON body's unknown field is refused (strict objects), like an unknown query
// parameter, and gets the same hint: `unknown field "stauts" (did you mean "state"?)`. One rule
// where zod's unrecognized_keys issues become the contract's issues, so every route and every
// nested object whose schema knows its keys gets it; a key near nothing gets no guess.

const SITE = 'site_unk-north';
const DEP = 'dep_unk-north';

describe('unknown fields in JSON bodies get a "did you mean"', () => {
  let t: TestApp;
  let base: string;
  let token: string;

  beforeAll(async () => {
    t = await createTestApp();
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    token = await bearer(t.ctx.db, 'admin', null, 'unk-admin');
    for (const [path, body] of [
      ['/customers', { id: 'cus_unk', name: 'Unknown fields' }],
      ['/sites', { id: SITE, customer_id: 'cus_unk', name: 'North', timezone: 'UTC' }],
      ['/deployments', { id: DEP, site_id: SITE, product_code: 'lorawan-gw', product_version: '2.1.0' }],
    ] as const) {
      const res = await requestJson(`${base}/api/v1${path}`, { method: 'POST', token, body });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
    }
  });
  afterAll(async () => t?.close());

  it.each([
    {
      route: 'PATCH /sites/:id (registry)',
      method: 'PATCH',
      path: `/sites/${SITE}`,
      body: { netwrok_server: '10.20.0.10', location: { lat: 13.7, lon: 100.5, lonn: 100.6 } },
      issues: [
        { path: 'body.location.lonn', message: 'unknown field "lonn" (did you mean "lon"?)' },
        { path: 'body.netwrok_server', message: 'unknown field "netwrok_server" (did you mean "network_server"?)' },
      ],
    },
    {
      route: 'PATCH /deployments/:id (registry)',
      method: 'PATCH',
      path: `/deployments/${DEP}`,
      body: { stat: 'installing', zzz: 1 },
      issues: [
        { path: 'body.stat', message: 'unknown field "stat" (did you mean "state"?)' },
        { path: 'body.zzz', message: 'unknown field "zzz"' },
      ],
    },
    {
      route: 'POST /work-items',
      method: 'POST',
      path: '/work-items',
      body: {
        title: 'Replace the antenna',
        stauts: 'open',
        links: { devcie_id: 'dev_unk-1' },
        external_ref: { sytem: 'jira', key: 'OPS-1' },
      },
      issues: [
        { path: 'body.external_ref.system', message: expect.any(String) }, // required, and not sent
        { path: 'body.external_ref.sytem', message: 'unknown field "sytem" (did you mean "system"?)' },
        { path: 'body.links.devcie_id', message: 'unknown field "devcie_id" (did you mean "device_id"?)' },
        { path: 'body.stauts', message: 'unknown field "stauts" (did you mean "state"?)' },
      ],
    },
    {
      route: 'POST /runbook-executions',
      method: 'POST',
      path: '/runbook-executions',
      body: { runbook_id: 'lorawan-gw-install', deployment_id: DEP, runbok_id: 'x' },
      issues: [{ path: 'body.runbok_id', message: 'unknown field "runbok_id" (did you mean "runbook_id"?)' }],
    },
  ])('$route: 400 naming each unknown field with its likely meaning', async ({ method, path, body, issues }) => {
    const res = await requestJson(`${base}/api/v1${path}`, { method, token, body });
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body.error).toBe('validation');
    const got = [...(res.body.issues as Array<{ path: string; message: string }>)].sort((a, b) =>
      a.path.localeCompare(b.path),
    );
    expect(got).toEqual(issues);
    for (const issue of issues.filter((i) => typeof i.message === 'string'))
      expect(res.body.message).toContain(`${issue.path}: ${issue.message}`);
  });

  it('other issues keep their messages beside the unknown field, and nothing is written', async () => {
    const res = await requestJson(`${base}/api/v1/work-items`, {
      method: 'POST',
      token,
      body: { titles: 'Check the mast', priority: 'soon' },
    });
    expect(res.status).toBe(400);
    const byPath = Object.fromEntries(
      (res.body.issues as Array<{ path: string; message: string }>).map((i) => [i.path, i.message]),
    );
    expect(byPath['body.titles']).toBe('unknown field "titles" (did you mean "title"?)');
    expect(byPath['body.title']).toBeDefined();
    expect(byPath['body.priority']).toBeDefined();
    expect(byPath['body.priority']).not.toContain('unknown field');
    const list = await requestJson(`${base}/api/v1/work-items`, { token });
    expect(list.body.items).toEqual([]);
  });
});
