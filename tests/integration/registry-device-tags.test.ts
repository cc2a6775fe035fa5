import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeMessage } from '../../data-api/src/telemetry/ingest/decode.ts';
import { RegistryCache } from '../../data-api/src/telemetry/ingest/registry-cache.ts';
import { writeBatch } from '../../data-api/src/telemetry/ingest/writer.ts';
import type { NotificationEngine } from '../../data-api/src/notifications/engine.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { notificationConfig, startTestEngine, webhookPoints } from '../helpers/notify-engine.ts';
import { bearer, client, must, type Client } from '../helpers/registry.ts';
import { backendName } from './ingest-fixtures.ts';

// Issue 14: alert rules select devices by tags (`select: { tags: [...] }`), so tags are set
// through the API: on create and patch, validated (a bad or repeated tag is a 400 naming the
// field), tenant-scoped like the device; and the evaluator selects by what was set.
describe(`device tags through the API (${backendName()})`, () => {
  let t: TestApp;
  let admin: Client;
  let mine: Client;
  let engine: NotificationEngine;

  beforeAll(async () => {
    t = await createTestApp();
    admin = client(t.app, await bearer(t.ctx.db, 'admin', null, 'root'));
    for (const x of ['mine', 'theirs']) {
      await must(admin.post('/customers', { id: `cus_tag-${x}`, name: x }));
      await must(admin.post('/sites', { id: `site_tag-${x}`, customer_id: `cus_tag-${x}`, name: x }));
    }
    mine = client(t.app, await bearer(t.ctx.db, 'admin', 'cus_tag-mine', 'mine-admin'));
    engine = await startTestEngine(
      t.ctx,
      await notificationConfig({
        rules: `
rules:
  - id: irrigation_pump_hot
    kind: threshold
    metric: motor_temp_c
    op: '>'
    value: 95
    select: { tags: [irrigation] }
    summary: 'hot {{device.id}}'
`,
        policies: 'route:\n  receiver: hook\n',
        contactPoints: webhookPoints({ hook: 'http://127.0.0.1:9/hook' }),
      }),
    );
  });
  afterAll(async () => {
    await engine?.stop();
    await t?.close();
  });

  it('takes tags on create and patch, and lists them on the device', async () => {
    const created = await must(
      admin.post('/devices', {
        id: 'dev_tag-pump-1',
        site_id: 'site_tag-mine',
        product_code: 'pump-ctl',
        role: 'controller',
        tags: ['irrigation', 'zone:a'],
      }),
    );
    expect(created.tags).toEqual(['irrigation', 'zone:a']);
    await must(
      admin.post('/devices', {
        id: 'dev_tag-pump-2',
        site_id: 'site_tag-mine',
        product_code: 'pump-ctl',
        role: 'controller',
      }),
    );
    expect((await must(admin.get('/devices/dev_tag-pump-2'), 200)).tags).toEqual([]);
    const patched = await must(mine.patch('/devices/dev_tag-pump-2', { tags: ['irrigation'] }), 200);
    expect(patched.tags).toEqual(['irrigation']);
    const cleared = await must(mine.patch('/devices/dev_tag-pump-2', { tags: [] }), 200);
    expect(cleared.tags).toEqual([]);
  });

  it.each([
    [['Irrigation'], 'body.tags[0]', /expected a tag like irrigation/],
    [['zone a'], 'body.tags[0]', /expected a tag like irrigation/],
    [['x'.repeat(65)], 'body.tags[0]', /expected a tag like irrigation/],
    [['a', 'a'], 'body.tags', /each tag once/],
    [Array.from({ length: 33 }, (_, i) => `t${i}`), 'body.tags', /at most 32 tags/],
    ['irrigation', 'body.tags', /array/],
  ])('refuses tags %j with a 400 naming %s', async (tags, field, reason) => {
    const res = await admin.patch('/devices/dev_tag-pump-1', { tags });
    expect(res.statusCode).toBe(400);
    const body = res.json();
    expect(body.error).toBe('validation');
    const issue = body.issues.find((i: { path: string }) => i.path === field);
    expect(issue, JSON.stringify(body)).toBeDefined();
    expect(issue.message).toMatch(reason);
    expect((await must(admin.get('/devices/dev_tag-pump-1'), 200)).tags).toEqual(['irrigation', 'zone:a']);
  });

  it("a customer-scoped token cannot tag another customer's device", async () => {
    await must(
      admin.post('/devices', {
        id: 'dev_tag-theirs',
        site_id: 'site_tag-theirs',
        product_code: 'pump-ctl',
        role: 'controller',
      }),
    );
    const res = await mine.patch('/devices/dev_tag-theirs', { tags: ['irrigation'] });
    expect(res.statusCode).toBe(404);
    expect((await must(admin.get('/devices/dev_tag-theirs'), 200)).tags).toEqual([]);
  });

  it('a rule selecting a tag fires for the devices tagged through the API only', async () => {
    await must(mine.patch('/devices/dev_tag-pump-2', { tags: ['zone:b'] }), 200);
    const cache = new RegistryCache(t.ctx.db, null);
    let seq = 0;
    const hot = (id: string) => ({
      decoded: decodeMessage(
        `fleetbook/v1/site_tag-mine/${id}/telemetry`,
        Buffer.from(
          JSON.stringify({
            schema_version: 1,
            msg_id: `tag${++seq}`,
            ts: Date.now() / 1000,
            metrics: { motor_temp_c: 99 },
          }),
        ),
        Date.now(),
      ),
      receivedAt: Date.now(),
    });
    await writeBatch(t.ctx.db, cache, [hot('dev_tag-pump-1'), hot('dev_tag-pump-2')], undefined, engine.onReadings);
    const alerts = await t.ctx.db
      .selectFrom('alerts')
      .select(['subject_id', 'rule_id'])
      .where('rule_id', '=', 'irrigation_pump_hot')
      .execute();
    expect(alerts).toEqual([{ subject_id: 'dev_tag-pump-1', rule_id: 'irrigation_pump_hot' }]);
  });
});
