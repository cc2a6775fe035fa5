import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silenceList, silenceSchema } from '../../data-api/src/contracts/notifications.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { runCli } from '../helpers/cli.ts';
import { bearer, client, must } from '../helpers/registry.ts';

// `fleetbook silence add|list|expire` (issue 14: silences from the API, the CLI and the page),
// as `amtool silence` works, against the real API over HTTP: matchers as arguments, a duration
// or an end; the contract checks what is typed before anything is sent (exit 2, naming the
// argument); a viewer is refused by the API; a customer-scoped token's silence is its customer's.
let t: TestApp;
let env: Record<string, string>;

beforeAll(async () => {
  t = await createTestApp();
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  await must(client(t.app, await bearer(t.ctx.db, 'admin')).post('/customers', { id: 'cus_cli-mine', name: 'Mine' }));
  env = {
    FLEETBOOK_API_URL: `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`,
    FLEETBOOK_TOKEN: await bearer(t.ctx.db, 'operator', null, 'lena'),
  };
});
afterAll(async () => t?.close());

describe('fleetbook silence', () => {
  it('add (matchers + duration) → list → expire → list --expired', async () => {
    const added = await runCli(
      [
        'silence',
        'add',
        'site="site_farm-north"',
        'alertname=~"soil_.*"',
        '--duration',
        '2h',
        '--comment',
        're-cabling the north field',
        '--json',
      ],
      env,
    );
    expect(added.stderr).toBe('');
    expect(added.code).toBe(0);
    const silence = silenceSchema.parse(JSON.parse(added.stdout));
    expect(silence).toMatchObject({
      matchers: ['site="site_farm-north"', 'alertname=~"soil_.*"'],
      state: 'active',
      created_by: 'lena',
      comment: 're-cabling the north field',
    });
    const hours = (Date.parse(silence.ends_at) - Date.parse(silence.starts_at)) / 3600_000;
    expect(hours).toBeCloseTo(2, 2);

    const later = await runCli(
      [
        'silence',
        'add',
        'severity="info"',
        '--start',
        '2099-01-01T00:00:00Z',
        '--end',
        '2099-01-02T00:00:00Z',
        '-c',
        'new year',
      ],
      env,
    );
    expect(later.code).toBe(0);
    const laterId = later.stdout.trim();
    expect(laterId).toMatch(/^sil_/);

    const listed = await runCli(['silence', 'list'], env);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain(silence.id);
    expect(listed.stdout).toMatch(new RegExp(`${laterId}\\s+pending`));
    expect(listed.stdout).toContain('re-cabling the north field');

    const expired = await runCli(['silence', 'expire', silence.id], env);
    expect(expired.code).toBe(0);
    expect(expired.stdout.trim()).toBe(`expired ${silence.id}`);
    const now = silenceList.parse(JSON.parse((await runCli(['silence', 'query', '--json'], env)).stdout));
    expect(now.items.map((s) => s.id)).toEqual([laterId]);
    const all = silenceList.parse(JSON.parse((await runCli(['silence', 'list', '--expired', '--json'], env)).stdout));
    expect(all.items.find((s) => s.id === silence.id)?.state).toBe('expired');
  });

  it.each([
    [['silence', 'add', 'site', '-c', 'x'], /matcher 1: /],
    [['silence', 'add', 'site="a"', '-c', 'x', '--duration', 'soon'], /--duration: /],
    [['silence', 'add', 'site="a"', '-c', 'x', '--end', 'tomorrow'], /--end: /],
    [['silence', 'add', 'site="a"', '-c', ' '], /--comment: say why/],
    [['silence', 'expire', 'nope'], /nope: expected a silence id/],
  ])('%j: exit 2, naming what was typed, nothing sent', async (args, message) => {
    const before = await t.ctx.db.selectFrom('silences').select('id').execute();
    const res = await runCli(args, env);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(message);
    expect(await t.ctx.db.selectFrom('silences').select('id').execute()).toEqual(before);
  });

  it("the API's refusals: a viewer cannot add; an unknown silence is 404", async () => {
    const viewer = await runCli(['silence', 'add', 'site="a"', '-c', 'x'], {
      ...env,
      FLEETBOOK_TOKEN: await bearer(t.ctx.db, 'viewer'),
    });
    expect(viewer.code).toBe(1);
    expect(viewer.stderr).toMatch(/HTTP 403/);
    const missing = await runCli(['silence', 'expire', 'sil_nothing-here'], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/HTTP 404/);
  });

  it("a customer-scoped operator's silence mutes its customer only", async () => {
    const scoped = await runCli(['silence', 'add', 'alertname="device_down"', '-c', 'our site', '--json'], {
      ...env,
      FLEETBOOK_TOKEN: await bearer(t.ctx.db, 'operator', 'cus_cli-mine', 'mine'),
    });
    expect(scoped.code, scoped.stderr).toBe(0);
    expect(silenceSchema.parse(JSON.parse(scoped.stdout)).customer_id).toBe('cus_cli-mine');
  });
});
