import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workItemDetailSchema, workItemPageSchema, workItemSchema } from '../../data-api/src/contracts/work-items.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { runCli } from '../helpers/cli.ts';
import { bearer, client, must } from '../helpers/registry.ts';

// `fleetbook work list|show|create|update` as a user runs it, against the real API over HTTP:
// the contract's schema checks what is typed before anything is sent (exit 2, naming the flag),
// the API's refusals come back with the flag they concern, and the token's name is "me".

let t: TestApp;
let env: Record<string, string>;
let lena: string;

beforeAll(async () => {
  t = await createTestApp();
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const admin = client(t.app, await bearer(t.ctx.db, 'admin'));
  await must(admin.post('/customers', { id: 'cus_cli', name: 'CLI customer' }));
  await must(admin.post('/sites', { id: 'site_cli', customer_id: 'cus_cli', name: 'CLI site' }));
  await must(
    admin.post('/deployments', {
      id: 'dep_cli',
      site_id: 'site_cli',
      product_code: 'lorawan-gw',
      product_version: '2.1.0',
    }),
  );
  lena = await bearer(t.ctx.db, 'operator', null, 'lena');
  env = {
    FLEETBOOK_API_URL: `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`,
    FLEETBOOK_TOKEN: lena,
  };
});
afterAll(async () => t?.close());

describe('fleetbook work', () => {
  it(
    'create → list --mine → update (state, comment) → show: the item moves through the API',
    { timeout: 150_000 },
    async () => {
      const created = await runCli(
        [
          'work',
          'create',
          '--title',
          'Swap the LTE modem',
          '--kind',
          'ticket',
          '--owner',
          'lena',
          '--due',
          '2026-04-30',
          '--priority',
          'high',
          '--deployment',
          'dep_cli',
          '--json',
        ],
        env,
      );
      expect(created.stderr).toBe('');
      expect(created.code).toBe(0);
      const item = workItemSchema.parse(JSON.parse(created.stdout));
      expect(item).toMatchObject({
        kind: 'ticket',
        owner: 'lena',
        due: '2026-04-30',
        priority: 'high',
        created_by: 'lena',
        links: { deployment_id: 'dep_cli', site_id: 'site_cli', customer_id: 'cus_cli' },
      });

      const mine = await runCli(['work', 'list', '--mine'], env);
      expect(mine.code).toBe(0);
      const lines = mine.stdout.trim().split('\n');
      expect(lines[0]).toMatch(/^ID\s+STATE\s+PRIORITY\s+KIND\s+OWNER\s+DUE\s+TITLE$/);
      expect(lines[1]).toMatch(
        new RegExp(`^${item.id}\\s+open\\s+high\\s+ticket\\s+lena\\s+2026-04-30\\s+Swap the LTE modem$`),
      );
      expect(lines.at(-1)).toBe('1 work item');

      const updated = await runCli(
        ['work', 'update', item.id, '--state', 'in_progress', '--if-version', '1', '--comment', 'Modem ordered'],
        env,
      );
      expect(updated.code).toBe(0);
      expect(updated.stdout).toContain(`updated ${item.id}`);
      expect(updated.stdout).toContain('commented on');

      const shown = await runCli(['work', 'show', item.id, '--json'], env);
      const detail = workItemDetailSchema.parse(JSON.parse(shown.stdout));
      expect(detail).toMatchObject({
        state: 'in_progress',
        version: 2,
        comments: [expect.objectContaining({ author: 'lena', body: 'Modem ordered' })],
      });

      const done = await runCli(['work', 'update', item.id, '--state', 'done'], env);
      expect(done.code).toBe(0);
      const active = await runCli(['work', 'list', '--mine', '--json'], env);
      expect(workItemPageSchema.parse(JSON.parse(active.stdout)).items).toEqual([]);
      const all = await runCli(['work', 'list', '--mine', '--all', '--json'], env);
      expect(workItemPageSchema.parse(JSON.parse(all.stdout)).items.map((i) => [i.id, i.state])).toEqual([
        [item.id, 'done'],
      ]);
    },
  );

  it(
    "bad input is refused before it is sent (exit 2, naming the flag); the API's refusals name the flag too",
    { timeout: 150_000 },
    async () => {
      const before = (await must(client(t.app, lena).get('/work-items?limit=500'), 200)).items.length;
      const badDate = await runCli(['work', 'create', '--title', 'x', '--due', '30/04/2026'], env);
      expect(badDate.code).toBe(2);
      expect(badDate.stderr).toContain('--due: expected a date YYYY-MM-DD');
      const badLink = await runCli(['work', 'create', '--title', 'x', '--site', 'farm'], env);
      expect(badLink.code).toBe(2);
      expect(badLink.stderr).toMatch(/--site: expected an id like site_…/);
      const nothing = await runCli(['work', 'update', 'wi_nope'], env);
      expect(nothing.code).toBe(2);
      expect(nothing.stderr).toContain('nothing to change');
      const unknown = await runCli(['work', 'update', 'wi_nope', '--state', 'done'], env);
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toContain('HTTP 404: work item wi_nope not found');
      const viewer = await runCli(['work', 'create', '--title', 'x'], {
        ...env,
        FLEETBOOK_TOKEN: await bearer(t.ctx.db, 'viewer', null, 'vic'),
      });
      expect(viewer.code).toBe(1);
      expect(viewer.stderr).toContain('HTTP 403');
      expect((await must(client(t.app, lena).get('/work-items?limit=500'), 200)).items).toHaveLength(before);
    },
  );
});
