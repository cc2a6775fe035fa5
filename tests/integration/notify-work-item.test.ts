import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { channelFor } from '../../data-api/src/notifications/channels/index.ts';
import { workItemIdOf } from '../../data-api/src/notifications/channels/work-item.ts';
import type { OutgoingNotification } from '../../data-api/src/notifications/channels/types.ts';
import type { NotificationEngine } from '../../data-api/src/notifications/engine.ts';
import { decodeMessage } from '../../data-api/src/telemetry/ingest/decode.ts';
import { RegistryCache } from '../../data-api/src/telemetry/ingest/registry-cache.ts';
import { writeBatch } from '../../data-api/src/telemetry/ingest/writer.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { notificationConfig, seedDevices, startTestEngine, type SeededDevice } from '../helpers/notify-engine.ts';
import { backendName, tag } from './ingest-fixtures.ts';
import { sendContext } from '../helpers/notifications.ts';

// Issue 16 asks that "an alert can open one (a notification policy step)": a work_item contact
// point opens a ticket on the work board per alert, linked to the alert and its device (and so
// its deployment, site, customer), once however often the step is sent (retries, replicas, a
// repeat); a resolved alert comments on its ticket once and leaves it open for a person.
describe(`notifications: a work_item contact point opens a ticket per alert (${backendName()})`, () => {
  const id = tag();
  let t: TestApp;
  let engine: NotificationEngine;
  let pumps: SeededDevice[];
  let cache: RegistryCache;
  let seq = 0;

  beforeAll(async () => {
    t = await createTestApp();
    pumps = await seedDevices(t.ctx.db, { tag: id, product: 'pump-ctl', role: 'controller', count: 2, prefix: 'pump' });
    cache = new RegistryCache(t.ctx.db, null);
    engine = await startTestEngine(
      t.ctx,
      await notificationConfig({
        rules: `
rules:
  - id: pump_motor_overheat
    kind: threshold
    metric: motor_temp_c
    op: '>'
    value: 95
    clear: 85
    severity: critical
    summary: 'Motor of {{device.name}} is at {{value}} °C'
    runbook: rb-pump-ctl-bring-up
`,
        policies: `
route:
  receiver: tickets
  group_by: [alertname, site]
  group_wait: 0s
  group_interval: 500ms
  repeat_interval: 1h
`,
        contactPoints: `
contact_points:
  - name: tickets
    type: work_item
    config: { kind: ticket, owner: lena }
`,
      }),
    );
  });
  afterAll(async () => {
    await engine?.stop();
    await t?.close();
  });

  /** Readings stored in one ingest batch (one transaction), as the ingest's writer stores them. */
  const readings = (...pairs: Array<[SeededDevice, number]>) =>
    writeBatch(
      t.ctx.db,
      cache,
      pairs.map(([d, temp]) => ({
        decoded: decodeMessage(
          `fleetbook/v1/${d.site}/${d.id}/telemetry`,
          Buffer.from(
            JSON.stringify({
              schema_version: 1,
              msg_id: `wi${++seq}`,
              ts: Date.now() / 1000,
              metrics: { motor_temp_c: temp },
            }),
          ),
          Date.now(),
        ),
        receivedAt: Date.now(),
      })),
      undefined,
      engine.onReadings,
    );
  const items = () =>
    t.ctx.db.selectFrom('work_items').selectAll().where('origin', '=', 'alert').orderBy('id').execute();

  it('opens one ticket per alert of a firing message, linked to the alert and its device', async () => {
    await readings([pumps[0]!, 99], [pumps[1]!, 101]);
    await engine.settle();
    await expect.poll(async () => (await items()).length, { timeout: 10_000 }).toBe(2);
    const alerts = await t.ctx.db
      .selectFrom('alerts')
      .selectAll()
      .where('rule_id', '=', 'pump_motor_overheat')
      .orderBy('subject_id')
      .execute();
    expect(alerts).toHaveLength(2);
    const got = await items();
    for (const a of alerts) {
      const item = got.find((i) => i.id === workItemIdOf(a.id))!;
      expect(item).toMatchObject({
        kind: 'ticket',
        state: 'open',
        priority: 'urgent',
        owner: 'lena',
        title: a.title,
        alert_id: a.id,
        device_id: a.subject_id,
        site_id: a.site_id,
        customer_id: a.customer_id,
        created_by: 'notifications:tickets',
      });
      expect(item.description).toContain(`/docs/dashboards/alerts?alert=${a.id}`);
      expect(item.description).toContain('rb-pump-ctl-bring-up');
    }
    // The delivery log says what it did.
    const sent = await t.ctx.db
      .selectFrom('notifications')
      .selectAll()
      .where('contact_point', '=', 'tickets')
      .execute();
    expect(sent.map((n) => n.state)).toEqual(['sent']);
    expect(sent[0]!.last_detail).toMatch(/^opened wi_alert-/);
  });

  it('a message sent again (a retry after a crash, two replicas at once) opens nothing more', async () => {
    const [n] = await t.ctx.db.selectFrom('notifications').selectAll().where('contact_point', '=', 'tickets').execute();
    const again = () =>
      channelFor('work_item').send(
        { kind: 'ticket', on_resolve: 'comment' },
        n!.payload as unknown as OutgoingNotification,
        {
          ...sendContext({}, { idempotencyKey: n!.id }),
          db: t.ctx.db,
        },
      );
    const results = await Promise.all([again(), again()]);
    for (const r of results)
      expect(r).toMatchObject({ ok: true, detail: expect.stringMatching(/^already open wi_alert-/) });
    expect(await items()).toHaveLength(2);
  });

  it('resolved: one comment on the ticket, which stays open', async () => {
    await readings([pumps[0]!, 80]);
    await engine.settle();
    const [a] = await t.ctx.db
      .selectFrom('alerts')
      .select(['id', 'state'])
      .where('subject_id', '=', pumps[0]!.id)
      .execute();
    expect(a!.state).toBe('resolved');
    const comments = () =>
      t.ctx.db.selectFrom('work_item_comments').selectAll().where('work_item_id', '=', workItemIdOf(a!.id)).execute();
    await expect.poll(async () => (await comments()).length, { timeout: 10_000 }).toBe(1);
    expect((await comments())[0]).toMatchObject({
      author: 'notifications:tickets',
      body: expect.stringMatching(/^Alert resolved .*Close this item once the cause is dealt with\.$/),
    });
    const resolved = await t.ctx.db
      .selectFrom('notifications')
      .selectAll()
      .where('contact_point', '=', 'tickets')
      .where('status', '=', 'resolved')
      .executeTakeFirstOrThrow();
    const again = await channelFor('work_item').send(
      { kind: 'ticket', on_resolve: 'comment' },
      resolved.payload as unknown as OutgoingNotification,
      {
        ...sendContext({}, { idempotencyKey: resolved.id }),
        db: t.ctx.db,
      },
    );
    expect(again).toMatchObject({ ok: true, detail: 'nothing to do' });
    expect(await comments()).toHaveLength(1);
    expect((await items()).map((i) => i.state)).toEqual(['open', 'open']);
  });

  it('without the database (a plain send, `fleetbook notify test`) it says why and is not retried', async () => {
    const r = await channelFor('work_item').send(
      { kind: 'ticket', on_resolve: 'comment' },
      { fleetbook: { notificationId: 'ntf_x' } } as OutgoingNotification,
      sendContext({}, { idempotencyKey: 'ntf_x' }),
    );
    expect(r).toMatchObject({
      ok: false,
      retryable: false,
      detail: expect.stringContaining('only the running engine'),
    });
  });
});
