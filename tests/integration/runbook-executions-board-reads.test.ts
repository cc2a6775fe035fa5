import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExecutionSummary } from '../../data-api/src/contracts/executions.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { bearer, client, must, type Client } from '../helpers/registry.ts';

// widgets.md: DeploymentBoard shows "deployments by state with their runbook executions", filtered
// by site, product or customer. It asks `GET /api/v1/runbook-executions` for the executions of the
// deployments it shows, not the newest 500 of the fleet: the list filters by the deployment's
// product (`product_code`) and customer (`customer_id`), and `per_deployment=N` keeps each
// deployment's newest N, ranked before the page is cut (keyset pages see the same rows).
// Runs against PGlite, and against PostgreSQL with TEST_DATABASE_URL.

const RB = 'rb-practice-first-execution';
type Page = { items: ExecutionSummary[]; next_cursor: string | null };

describe('runbook executions list: what a deployment board needs', () => {
  let t: TestApp;
  let admin: Client, viewer: Client, scoped: Client;
  /** Execution ids by deployment, oldest first. */
  const made: Record<string, string[]> = {};

  const start = async (deployment: string) => {
    const e = await must(admin.post('/runbook-executions', { runbook_id: RB, deployment_id: deployment }));
    (made[deployment] ??= []).push(e.id);
  };
  const list = async (as: Client, query: string): Promise<Page> => must(as.get(`/runbook-executions?${query}`), 200);
  /** Every page of a query, `limit` rows at a time. */
  const all = async (as: Client, query: string, limit: number): Promise<string[]> => {
    const ids: string[] = [];
    for (let cursor: string | null = null, first = true; first || cursor; first = false) {
      const page: Page = await list(
        as,
        `${query}&limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      ids.push(...page.items.map((x) => x.id));
      cursor = page.next_cursor;
    }
    return ids;
  };
  const newestFirst = (ids: string[]) => [...ids].sort().reverse();

  beforeAll(async () => {
    t = await createTestApp();
    const db = t.ctx.db;
    admin = client(t.app, await bearer(db, 'admin', null, 'root'));
    viewer = client(t.app, await bearer(db, 'viewer', null, 'vic'));
    await must(admin.post('/customers', { id: 'cus_board', name: 'Board farms' }));
    await must(admin.post('/customers', { id: 'cus_board-b', name: 'Other farms' }));
    await must(admin.post('/sites', { id: 'site_board', customer_id: 'cus_board', name: 'Board site' }));
    await must(admin.post('/sites', { id: 'site_board-b', customer_id: 'cus_board-b', name: 'Other site' }));
    const deployments: [string, string, string, string][] = [
      ['dep_board-gw', 'site_board', 'lorawan-gw', '2.1.0'],
      ['dep_board-pump', 'site_board', 'pump-ctl', '1.4.2'],
      ['dep_board-b-gw', 'site_board-b', 'lorawan-gw', '2.1.0'],
    ];
    for (const [id, site, product, version] of deployments)
      await must(
        admin.post('/deployments', {
          id,
          site_id: site,
          product_code: product,
          product_version: version,
          state: 'installing',
        }),
      );
    scoped = client(t.app, await bearer(db, 'viewer', 'cus_board-b', 'bea'));
    // The gateway's executions first, then more on the pump: the gateway's are the oldest.
    for (let i = 0; i < 5; i++) await start('dep_board-gw');
    for (let i = 0; i < 2; i++) await start('dep_board-b-gw');
    for (let i = 0; i < 8; i++) await start('dep_board-pump');
  });
  afterAll(async () => {
    await t?.close();
  });

  it("product_code: the executions of the product's deployments only, newest first", async () => {
    const ids = await all(viewer, 'product_code=lorawan-gw', 500);
    expect(ids).toEqual(newestFirst([...made['dep_board-gw']!, ...made['dep_board-b-gw']!]));
    expect((await list(viewer, 'product_code=pump-ctl')).items.map((x) => x.deployment_id)).toEqual(
      Array(8).fill('dep_board-pump'),
    );
    expect((await list(viewer, 'product_code=no-such-product')).items).toEqual([]);
  });

  it('customer_id: that customer’s executions; a customer token sees its own only, whatever it asks', async () => {
    expect(await all(viewer, 'customer_id=cus_board-b', 500)).toEqual(newestFirst(made['dep_board-b-gw']!));
    expect((await list(scoped, 'customer_id=cus_board')).items).toEqual([]);
    expect(await all(scoped, 'product_code=lorawan-gw', 500)).toEqual(newestFirst(made['dep_board-b-gw']!));
  });

  it("per_deployment: each deployment's newest N, with the other filters, the same rows in pages of any size", async () => {
    const want = newestFirst([
      ...made['dep_board-gw']!.slice(-3),
      ...made['dep_board-b-gw']!,
      ...made['dep_board-pump']!.slice(-3),
    ]);
    expect(await all(viewer, 'per_deployment=3', 500)).toEqual(want);
    expect(await all(viewer, 'per_deployment=3', 2)).toEqual(want);
    // The board of one site and one product: that deployment's newest 3, though the pump's 8 are newer.
    expect(await all(viewer, 'site_id=site_board&product_code=lorawan-gw&per_deployment=3', 500)).toEqual(
      newestFirst(made['dep_board-gw']!.slice(-3)),
    );
    expect(await all(viewer, 'per_deployment=1&state=in_progress', 1)).toEqual(
      newestFirst([made['dep_board-gw']!.at(-1)!, made['dep_board-b-gw']!.at(-1)!, made['dep_board-pump']!.at(-1)!]),
    );
  });

  it('refuses a per_deployment that is not a whole number from 1 to 50, naming the field', async () => {
    for (const bad of ['0', '51', 'x', '1.5']) {
      const res = await viewer.get(`/runbook-executions?per_deployment=${bad}`);
      expect(res.statusCode, bad).toBe(400);
      expect(res.json().issues.map((i: { path: string }) => i.path)).toEqual(['querystring.per_deployment']);
    }
  });
});
