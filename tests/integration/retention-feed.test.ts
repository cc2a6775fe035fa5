import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pruneRunRequests } from '../../data-api/src/automation/runs/retention.ts';
import { pruneChangeEvents } from '../../data-api/src/kernel/changes/retention.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';

// The change feed and the runner's idempotency keys are working data, not the record (the
// audit log is): the retention job trims them, keeping what resuming clients and replaying
// runners still need.
describe('retention of the change feed and of idempotency keys', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => t?.close());

  const addEvents = async (n: number, ageDays: number) => {
    await sql`
      insert into change_events (at, type, subject_type, subject_id, payload)
      select now() - make_interval(days => ${ageDays}), 'test.event', 'test', 'evt-' || g, '{}'::jsonb
      from generate_series(1, ${n}) g`.execute(t.ctx.db);
  };
  const ids = async () =>
    (await t.ctx.db.selectFrom('change_events').select('id').orderBy('id').execute()).map((r) => Number(r.id));

  it('drops events older than the window, but never the newest keepLast, and keeps young ones', async () => {
    await t.ctx.db.deleteFrom('change_events').execute();
    await addEvents(50, 30); // old
    await addEvents(20, 10); // old too, but among the newest 30 after the next batch
    await addEvents(10, 0); // young
    const before = await ids();
    expect(await pruneChangeEvents(t.ctx.db, { days: 7, keepLast: 30 }, 7)).toBe(50);
    expect(await ids()).toEqual(before.slice(50));
    // Nothing more to do: the rest is young or within the newest 30.
    expect(await pruneChangeEvents(t.ctx.db, { days: 7, keepLast: 30 })).toBe(0);
    // With a shorter keepLast the old ones go; the young ones stay whatever keepLast says.
    expect(await pruneChangeEvents(t.ctx.db, { days: 7, keepLast: 0 })).toBe(20);
    expect(await ids()).toEqual(before.slice(70));
  });

  it('drops idempotency keys older than the window only', async () => {
    const run = `run_ret-${Date.now()}`;
    await sql`
      insert into automation_run_requests (key, run_id, op, request_sha256, actor, at)
      values ('old-key', ${run}, 'finish', 'x', 'runner', now() - interval '40 days'),
             ('new-key', ${run}, 'finish', 'y', 'runner', now() - interval '2 days')`.execute(t.ctx.db);
    expect(await pruneRunRequests(t.ctx.db, 30)).toBe(1);
    const left = await t.ctx.db.selectFrom('automation_run_requests').select('key').where('run_id', '=', run).execute();
    expect(left.map((r) => r.key)).toEqual(['new-key']);
  });
});
