import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken } from '../../data-api/src/kernel/auth/service.ts';
import { fleetOverview } from '../../data-api/surfaces/fleet-overview.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { requestJson } from '../helpers/http.ts';
import { openSse, type SseEvent } from '../helpers/sse.ts';

// contracts.md: a customer-scoped token "sees and changes only that customer's sites,
// deployments, devices, telemetry and alerts, everywhere, the stream included";
// widgets.md: the stream carries surfaces' updateDataModel messages (event `surface`).
// Two customers: each scoped viewer gets its own surface data, live, and never the other's
// (nor the unscoped view); the unscoped viewer never gets a customer's subset.
describe('surfaces under tenancy: REST and live updateDataModel over SSE', () => {
  let t: TestApp;
  let base: string;
  const tok: Record<'admin' | 'all' | 'a' | 'b', string> = { admin: '', all: '', a: '', b: '' };

  /** A call whose answer may be an error: its status and body. */
  const raw = async (method: string, path: string, token: string, body?: unknown) => {
    const res = await requestJson(`${base}/api/v1${path}`, { method, token, body });
    return { status: res.status, body: res.body as unknown };
  };
  const call = async (method: string, path: string, token: string, body?: unknown) => {
    const res = await requestJson(`${base}/api/v1${path}`, { method, token, body });
    if (res.status >= 400) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  /** The data model a surface GET or a `surface` event carries. */
  const modelOf = (messages: Array<{ updateDataModel?: { value: Record<string, unknown> } }>) =>
    messages.find((m) => m.updateDataModel)!.updateDataModel!.value;
  const surfaceData = (events: SseEvent[]) =>
    events
      .map((e) => JSON.parse(e.data))
      .filter((e) => e.payload.kind === 'data')
      .map((e) => ({ id: e.subject.id as string, model: modelOf(e.payload.messages) }));
  /** Anything that names customer B (its ids, sites, devices, names). */
  const B = /cus_tn-b|site_tn-b|dev_tn-b|Beta|beta-/;
  const A = /cus_tn-a|site_tn-a|dev_tn-a|Alpha|alpha-/;

  beforeAll(async () => {
    t = await createTestApp();
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    tok.admin = (await createToken(t.ctx.db, { name: 'admin', role: 'admin' })).token;
    tok.all = (await createToken(t.ctx.db, { name: 'viewer', role: 'viewer' })).token;
    for (const [c, name] of [
      ['a', 'Alpha Farms'],
      ['b', 'Beta Pumps'],
    ] as const) {
      await call('POST', '/customers', tok.admin, { id: `cus_tn-${c}`, name });
      await call('POST', '/sites', tok.admin, {
        id: `site_tn-${c}1`,
        customer_id: `cus_tn-${c}`,
        name: `${name} site`,
      });
      for (let i = 1; i <= 3; i++) {
        await call('POST', '/devices', tok.admin, {
          id: `dev_tn-${c}${i}`,
          site_id: `site_tn-${c}1`,
          product_code: 'soil-probe',
          role: 'sensor',
          name: `${c === 'a' ? 'alpha' : 'beta'}-probe-${i}`,
        });
      }
      tok[c] = (await createToken(t.ctx.db, { name: `viewer-${c}`, role: 'viewer', customerId: `cus_tn-${c}` })).token;
    }
    await sql`update devices set status = 'down' where id in ('dev_tn-a1', 'dev_tn-b1')`.execute(t.ctx.db);
  });
  afterAll(async () => t?.close());

  it('REST: a scoped token draws the surface from its own customer’s data only', async () => {
    const a = modelOf((await call('GET', '/surfaces/fleet-overview', tok.a)).messages);
    expect(a.devices).toEqual({ up: 0, down: 1, unknown: 2, total: 3 });
    expect(JSON.stringify(a)).toMatch(A);
    expect(JSON.stringify(a)).not.toMatch(B);
    const all = modelOf((await call('GET', '/surfaces/fleet-overview', tok.all)).messages);
    expect(all.devices).toEqual({ up: 0, down: 2, unknown: 4, total: 6 });
    // Another customer's site as a parameter draws nothing of it: it is not found, as in the registry.
    const other = await raw('GET', '/surfaces/site-status?site=site_tn-b1', tok.a);
    expect(other).toEqual({ status: 404, body: { error: 'not_found', message: 'site site_tn-b1 not found' } });
  });

  it('a parameter naming a site or deployment the caller cannot see is 404, not a surface drawn empty', async () => {
    // widgets.md: GET /surfaces/:name "returns the messages that draw it now". A misspelt site drew
    // a site-status of zeros with no name: a quiet site to whoever reads it, and the page never said.
    expect(await raw('GET', '/surfaces/site-status?site=site_tn-nope', tok.all)).toEqual({
      status: 404,
      body: { error: 'not_found', message: 'site site_tn-nope not found' },
    });
    const action = (site: string, token: string) =>
      raw('POST', `/surfaces/site-status/actions?site=${site}`, token, {
        version: 'v0.9',
        action: {
          name: 'refresh',
          surfaceId: `site-status~${site}`,
          sourceComponentId: 'root',
          timestamp: new Date().toISOString(),
          context: {},
        },
      });
    expect((await action('site_tn-nope', tok.all)).status).toBe(404);
    expect((await action('site_tn-b1', tok.a)).status).toBe(404);
    expect((await action('site_tn-a1', tok.a)).status).toBe(200);
    // Its own site draws, named.
    const own = await call('GET', '/surfaces/site-status?site=site_tn-a1', tok.a);
    expect(own.title).toBe('Site status: Alpha Farms site');
    expect(modelOf(own.messages).devices).toEqual({ up: 0, down: 1, unknown: 2, total: 3 });

    // A surface published at run time declares it too (here a deployment).
    await call('POST', '/deployments', tok.admin, {
      id: 'dep_tn-a1',
      site_id: 'site_tn-a1',
      product_code: 'soil-probe',
      product_version: '1.4.2',
      state: 'live',
    });
    await call('PUT', '/surfaces/tn-deployment', tok.admin, {
      title: 'One deployment',
      params: { deployment: { description: 'a deployment id', entity: 'deployment' } },
      components: [{ id: 'root', component: 'Stat', label: 'devices down', value: { path: '/devices/down' } }],
      queries: { '/devices': { query: 'device_counts', args: { deployment_id: { param: 'deployment' } } } },
    });
    try {
      expect((await raw('GET', '/surfaces/tn-deployment?deployment=dep_tn-a1', tok.a)).status).toBe(200);
      expect(await raw('GET', '/surfaces/tn-deployment?deployment=dep_tn-a1', tok.b)).toEqual({
        status: 404,
        body: { error: 'not_found', message: 'deployment dep_tn-a1 not found' },
      });
    } finally {
      await call('DELETE', '/surfaces/tn-deployment', tok.admin);
    }
  });

  it('SSE: each audience gets live updateDataModel for its own data, never another’s', async () => {
    const streams = {
      all: await openSse(`${base}/api/v1/stream?topics=surface:fleet-overview`, { authorization: `Bearer ${tok.all}` }),
      a: await openSse(`${base}/api/v1/stream?topics=surface:fleet-overview`, { authorization: `Bearer ${tok.a}` }),
      b: await openSse(`${base}/api/v1/stream?topics=surface:fleet-overview`, { authorization: `Bearer ${tok.b}` }),
    };
    for (const s of Object.values(streams)) await expect.poll(() => s.of('ready').length).toBe(1);
    const before = Number(JSON.parse(streams.a.of('ready')[0]!.data).last_event_id);
    // Each viewer draws the surface (its GET is what makes the API keep it live for that audience).
    for (const who of ['all', 'a', 'b'] as const) await call('GET', '/surfaces/fleet-overview', tok[who]);

    // A change at each customer: renaming a device that is down shows in the surface's "down now" list.
    await call('PATCH', '/devices/dev_tn-a1', tok.admin, { name: 'alpha-renamed' });
    await call('PATCH', '/devices/dev_tn-b1', tok.admin, { name: 'beta-renamed' });

    const shows = (stream: { of(type: string): SseEvent[] }, name: string) => () =>
      surfaceData(stream.of('surface')).some((d) => JSON.stringify(d.model).includes(name));
    await expect.poll(shows(streams.a, 'alpha-renamed'), { timeout: 10_000 }).toBe(true);
    await expect.poll(shows(streams.b, 'beta-renamed'), { timeout: 10_000 }).toBe(true);
    await expect
      .poll(() => shows(streams.all, 'alpha-renamed')() && shows(streams.all, 'beta-renamed')(), { timeout: 10_000 })
      .toBe(true);
    await new Promise((r) => setTimeout(r, 1000)); // room for any stray update to arrive

    for (const d of surfaceData(streams.a.of('surface'))) {
      expect(JSON.stringify(d.model)).not.toMatch(B);
      expect(d.model.devices).toMatchObject({ total: 3 }); // A's own, never the unscoped total
    }
    for (const d of surfaceData(streams.b.of('surface'))) {
      expect(JSON.stringify(d.model)).not.toMatch(A);
      expect(d.model.devices).toMatchObject({ total: 3 });
    }
    // The unscoped viewer's surface is never overwritten by one customer's subset.
    for (const d of surfaceData(streams.all.of('surface'))) expect(d.model.devices).toMatchObject({ total: 6 });

    // Resuming with Last-Event-ID replays the same way: A's own updates only.
    const replay = await openSse(`${base}/api/v1/stream?topics=surface:fleet-overview&last_event_id=${before}`, {
      authorization: `Bearer ${tok.a}`,
    });
    await expect.poll(() => replay.of('ready').length).toBe(1);
    const replayed = surfaceData(replay.of('surface'));
    expect(replayed.length).toBeGreaterThan(0);
    for (const d of replayed) {
      expect(JSON.stringify(d.model)).not.toMatch(B);
      expect(d.model.devices).toMatchObject({ total: 3 });
    }
    for (const s of [...Object.values(streams), replay]) await s.close();
  });

  it('SSE: a surface republished at run time reaches scoped viewers too (a definition carries no data)', async () => {
    const a = await openSse(`${base}/api/v1/stream?topics=surface:tenancy-probe`, { authorization: `Bearer ${tok.a}` });
    await expect.poll(() => a.of('ready').length).toBe(1);
    await call('PUT', '/surfaces/tenancy-probe', tok.admin, { ...fleetOverview, title: 'Tenancy probe' });
    await expect
      .poll(() => a.of('surface').map((e) => JSON.parse(e.data).payload), { timeout: 10_000 })
      .toEqual([{ kind: 'definition', surface: 'tenancy-probe', messages: [] }]);
    await a.close();
  });
});
