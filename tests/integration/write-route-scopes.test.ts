import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WRITE_METHODS } from '../../data-api/src/kernel/auth/roles.ts';
import { PROJECT_ROOT } from '../../data-api/src/kernel/paths.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { makeSpec } from '../helpers/automation.ts';
import { bearer, client, must, type Client } from '../helpers/registry.ts';

// Issue 11, defect 3: a customer-scoped token never changes what other customers see. Every
// write route declares the role it needs and whether a scoped token may call it; the HTTP
// contract page lists them all, and this test walks that table against the live route list.

interface Row {
  method: string;
  url: string;
  auth: string;
  scope: string;
}

/** The write-route table of docs/contracts/http-api.mdx: | `METHOD /api/v1/…` | `role` | `scope` | … | */
function documentedWriteRoutes(): Row[] {
  const page = fs.readFileSync(path.join(PROJECT_ROOT, 'docs/contracts/http-api.mdx'), 'utf8');
  const rows: Row[] = [];
  for (const line of page.split('\n')) {
    const m = /^\| `(POST|PUT|PATCH|DELETE) (\/api\/v1\/\S+)` \| `([a-z_]+)` \| `(tenant|unscoped)` \|/.exec(line);
    if (m) rows.push({ method: m[1]!, url: m[2]!, auth: m[3]!, scope: m[4]! });
  }
  return rows;
}

describe('write routes: the documented scope table is the live one, and it holds', () => {
  let t: TestApp;
  const tok: Record<string, string> = {};
  let fleetAdmin: Client;

  beforeAll(async () => {
    t = await createTestApp();
    const db = t.ctx.db;
    tok.admin = await bearer(db, 'admin', null, 'root');
    fleetAdmin = client(t.app, tok.admin);
    for (const c of ['a', 'b']) {
      await must(fleetAdmin.post('/customers', { id: `cus_sc-${c}`, name: `Scope ${c}` }));
      await must(fleetAdmin.post('/sites', { id: `site_sc-${c}`, customer_id: `cus_sc-${c}`, name: `Site ${c}` }));
      await must(
        fleetAdmin.post('/deployments', {
          id: `dep_sc-${c}`,
          site_id: `site_sc-${c}`,
          product_code: 'soil-probe',
          product_version: '1.4.2',
          state: 'live',
        }),
      );
      await must(
        fleetAdmin.post('/devices', {
          id: `dev_sc-${c}1`,
          site_id: `site_sc-${c}`,
          deployment_id: `dep_sc-${c}`,
          product_code: 'soil-probe',
          role: 'sensor',
          name: `probe ${c}`,
        }),
      );
    }
    for (const role of ['admin', 'operator', 'automation', 'viewer'] as const) {
      tok[`${role}:fleet`] = await bearer(db, role, null, `${role}-fleet`);
      tok[`${role}:scoped`] = await bearer(db, role, 'cus_sc-a', `${role}-a`);
    }
    // The station the station tokens stand for (bearer() gives them dev_station-1).
    await must(
      fleetAdmin.post('/devices', {
        id: 'dev_station-1',
        site_id: 'site_sc-a',
        product_code: 'rfid-station',
        role: 'station',
        name: 'gate station',
      }),
    );
    tok['station:fleet'] = await bearer(db, 'station', null, 'station-fleet');
    tok['station:scoped'] = await bearer(db, 'station', 'cus_sc-a', 'station-a');
    tok['automation:scoped-b'] = await bearer(db, 'automation', 'cus_sc-b', 'automation-b');
  });
  afterAll(async () => t?.close());

  it('the table in the HTTP contract page lists every live write route, with its role and scope', () => {
    const live = t.app.routeAccess
      .filter((r) => WRITE_METHODS.has(r.method))
      .map((r) => ({ method: r.method, url: r.url, auth: r.auth, scope: r.scope }));
    const documented = documentedWriteRoutes();
    const key = (r: { method: string; url: string }) => `${r.method} ${r.url}`;
    expect(live.length).toBeGreaterThan(40);
    // Missing from the table, or documented with another role or scope: named in the diff.
    expect(
      live
        .filter((r) => !documented.some((d) => key(d) === key(r) && d.auth === r.auth && d.scope === r.scope))
        .map(key),
    ).toEqual([]);
    // In the table but not served (a stale row).
    expect(documented.filter((d) => !live.some((r) => key(r) === key(d))).map(key)).toEqual([]);
    expect(new Set(documented.map(key)).size).toBe(documented.length);
  });

  it('walks every documented write route with a scoped and an unscoped token of the role it needs', async () => {
    const tokenFor = (auth: string, scoped: boolean) => {
      const role =
        auth === 'viewer'
          ? 'viewer'
          : auth === 'operator_or_automation'
            ? 'operator'
            : auth === 'public'
              ? 'admin'
              : auth;
      return tok[`${role}:${scoped ? 'scoped' : 'fleet'}`]!;
    };
    const seen: string[] = [];
    for (const row of documentedWriteRoutes()) {
      // Ids no route knows: nothing is changed, and the answer shows whether the scope gate let the call through.
      const url = row.url.replace(/:([a-z_]+)/g, (_, name: string) => (name === 'step' ? '1' : `zz-${name}`));
      for (const scoped of [true, false]) {
        const res = await t.app.inject({
          method: row.method as 'POST',
          url,
          headers: { authorization: `Bearer ${tokenFor(row.auth, scoped)}`, 'content-type': 'application/json' },
          payload: '{}',
        });
        const what = `${row.method} ${url} as a ${scoped ? 'scoped' : 'unscoped'} ${row.auth} token: ${res.statusCode} ${res.body}`;
        expect(res.statusCode, what).toBeLessThan(500);
        if (scoped && row.scope === 'unscoped') {
          expect(res.statusCode, what).toBe(403);
          expect(res.json().message, what).toMatch(/shares: a token scoped to customer cus_sc-a may not/);
        } else {
          expect(res.statusCode, what).not.toBe(403);
        }
      }
      seen.push(`${row.method} ${row.url}`);
    }
    expect(seen.length).toBe(documentedWriteRoutes().length);
  });

  it('a scoped admin cannot publish or delete a surface every viewer draws', async () => {
    const scoped = client(t.app, tok['admin:scoped']!);
    const viewerB = client(t.app, tok['viewer:fleet']!);
    const title = async () => JSON.stringify((await must(viewerB.get('/surfaces/fleet-overview'), 200)).messages);
    const before = await title();
    const def = {
      title: 'Owned by customer A',
      root: 'r',
      components: [{ id: 'r', component: 'Text', text: 'pwned' }],
      data: {},
    };
    expect((await scoped.put('/surfaces/fleet-overview', def)).statusCode).toBe(403);
    expect((await scoped.del('/surfaces/fleet-overview')).statusCode).toBe(403);
    expect(await title()).toBe(before);
    expect(await t.ctx.db.selectFrom('surfaces').select('name').execute()).toEqual([]);
  });

  it('a scoped admin cannot provision the simulated fleet, create or delete customers, or grant lead sign-off', async () => {
    const scoped = client(t.app, tok['admin:scoped']!);
    const sim = await scoped.post('/simulator/fleet', { devices: 1 });
    expect(sim.statusCode).toBe(403);
    expect(await t.ctx.db.selectFrom('customers').select('id').where('id', '=', 'cus_sim').execute()).toEqual([]);
    expect((await scoped.post('/customers', { id: 'cus_sc-c', name: 'New tenant' })).statusCode).toBe(403);
    expect((await scoped.del('/customers/cus_sc-b')).statusCode).toBe(403);
    expect((await scoped.del('/customers/cus_sc-a')).statusCode).toBe(403);

    await must(fleetAdmin.put('/runbook-leads/lena', undefined), 200);
    expect((await scoped.put('/runbook-leads/mallory', undefined)).statusCode).toBe(403);
    expect((await scoped.del('/runbook-leads/lena')).statusCode).toBe(403);
    const leads = (await must(fleetAdmin.get('/runbook-leads'), 200)).items.map((l: { name: string }) => l.name);
    expect(leads).toEqual(['lena']);
    // Its own customer is still its to rename (a tenant write).
    expect((await scoped.patch('/customers/cus_sc-a', { name: 'Scope A renamed' })).statusCode).toBe(200);
  });

  it('schedule slots are per tenant: a scoped runner fires its share only, the fleet runner still fires the rest once', async () => {
    const fire = (token: string, runner: string) =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/automation-runs/schedule-fires',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        payload: JSON.stringify({
          schedule_id: 'nightly-health',
          fire_time: '2030-01-01T02:00:00Z',
          runner,
          health_checks: { project: 'fleet-health' },
        }),
      });
    const depOf = async (ids: string[]) =>
      (
        await t.ctx.db
          .selectFrom('automation_runs')
          .select('deployment_id')
          .where('id', 'in', ids.length ? ids : ['-'])
          .execute()
      )
        .map((r) => r.deployment_id)
        .sort();

    const scopedA = await fire(tok['automation:scoped']!, 'runner-a');
    expect(scopedA.statusCode, scopedA.body).toBe(201);
    expect(scopedA.json()).toMatchObject({ fired: true, fired_by: 'runner-a' });
    expect(await depOf(scopedA.json().run_ids)).toEqual(['dep_sc-a']);

    // The real runner is not locked out: it fires the slot for everyone else, and only them.
    const fleet = await fire(tok['automation:fleet']!, 'runner-fleet');
    expect(fleet.statusCode, fleet.body).toBe(201);
    expect(fleet.json()).toMatchObject({ fired: true, fired_by: 'runner-fleet' });
    expect(await depOf(fleet.json().run_ids)).toEqual(['dep_sc-b']);

    // Everyone after that: fired:false, and a scoped caller sees only its own customer's share.
    const again = await fire(tok['automation:fleet']!, 'runner-fleet-2');
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ fired: false, fired_by: 'runner-fleet', run_ids: fleet.json().run_ids });
    const lateB = await fire(tok['automation:scoped-b']!, 'runner-b');
    expect(lateB.statusCode).toBe(200);
    expect(lateB.json()).toMatchObject({ fired: false, fired_by: 'runner-fleet', run_ids: fleet.json().run_ids });
    const againA = await fire(tok['automation:scoped']!, 'runner-a2');
    expect(againA.json()).toMatchObject({ fired: false, fired_by: 'runner-a', run_ids: scopedA.json().run_ids });

    const queued = await t.ctx.db
      .selectFrom('automation_runs')
      .select('deployment_id')
      .where('schedule_id', '=', 'nightly-health')
      .execute();
    expect(queued.map((r) => r.deployment_id).sort()).toEqual(['dep_sc-a', 'dep_sc-b']);
  });

  it('an Idempotency-Key belongs to its tenant: another customer neither replays nor uses it up', async () => {
    const queue = (token: string, c: 'a' | 'b') =>
      t.app.inject({
        method: 'POST',
        url: `/api/v1/deployments/dep_sc-${c}/automation-runs`,
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'idempotency-key': 'key-shared-0001',
        },
        payload: JSON.stringify({
          spec: makeSpec([{ id: 'checks', type: 'run_health_checks', with: { checks: [{ tcp: '127.0.0.1:9' }] } }], {
            project: 'scope-test',
            deployment_id: `dep_sc-${c}`,
            product_code: 'soil-probe',
            product_version: '1.4.2',
            targets: { gateways: [], devices: [`dev_sc-${c}1`], stations: [] },
          }),
        }),
      });
    const b = await queue(tok['automation:scoped-b']!, 'b');
    expect(b.statusCode, b.body).toBe(201);
    // The same key from customer A: its own request, applied (not B's answer replayed, not a 409).
    const a = await queue(tok['automation:scoped']!, 'a');
    expect(a.statusCode, a.body).toBe(201);
    expect(a.headers['idempotent-replayed']).toBeUndefined();
    expect(a.json()).toMatchObject({ deployment_id: 'dep_sc-a', customer_id: 'cus_sc-a' });
    expect(a.body).not.toContain('dep_sc-b');
    // Within a tenant the key still makes a retry apply once.
    const retry = await queue(tok['automation:scoped']!, 'a');
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.json().id).toBe(a.json().id);
    const rows = await t.ctx.db
      .selectFrom('automation_run_requests')
      .select(['tenant', 'key'])
      .where('key', '=', 'key-shared-0001')
      .execute();
    expect(rows.map((r) => r.tenant).sort()).toEqual(['cus_sc-a', 'cus_sc-b']);
  });
});
