import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDemoData } from '../../data-api/src/demo/index.ts';
import { seedDemoHistory } from '../../data-api/src/demo/history.ts';
import { demoReporters } from '../../data-api/src/demo/reporters.ts';
import { computeUptime } from '../../data-api/src/health/monitor/uptime.ts';
import type { Principal } from '../../data-api/src/kernel/auth/roles.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';

const admin: Principal = { kind: 'token', name: 'test', role: 'admin', customerId: null, stationId: null };

// `--demo --no-simulate` loads the fleet without the seeded week: uptime must still agree with the
// devices' registry states from the first minute (it said 0.0 % for customers whose devices were up).
describe('demo fleet health history', () => {
  let t: TestDatabase;
  const now = new Date();

  beforeAll(async () => {
    t = await createTestDatabase();
    await loadDemoData(t.handle.db, 42, now);
  });
  afterAll(async () => {
    await t?.drop();
  });

  const eventCount = async () =>
    (await sql<{ n: number }>`select count(*)::int as n from device_health_events`.execute(t.handle.db)).rows[0]!.n;

  it('every customer with a device up has an uptime figure above 0 %, and down time exactly where devices are down', async () => {
    const states = await sql<{ customer_id: string; up: number; down: number }>`
      select customer_id, count(*) filter (where status = 'up')::int as up, count(*) filter (where status = 'down')::int as down
      from devices where customer_id is not null group by customer_id order by customer_id`.execute(t.handle.db);
    const withUp = states.rows.filter((r) => r.up > 0);
    expect(withUp.length).toBeGreaterThan(0);
    const uptime = await computeUptime(t.handle.db, admin, { group_by: 'customer', to: now.toISOString() });
    const byId = new Map(uptime.items.map((i) => [i.id, i]));
    for (const c of withUp) {
      const item = byId.get(c.customer_id);
      expect(item?.uptime_pct, c.customer_id).not.toBeNull();
      expect(item!.uptime_pct!, c.customer_id).toBeGreaterThan(0);
      expect(item!.devices, c.customer_id).toBe(c.up + c.down);
      expect(item!.down_s > 0, c.customer_id).toBe(c.down > 0);
    }
  });

  it('loading again (a restart with --demo) and seeding the week add no transition twice', async () => {
    const before = await eventCount();
    expect(before).toBeGreaterThan(0);
    await loadDemoData(t.handle.db, 42, now);
    expect(await eventCount()).toBe(before);
    const seeded = await seedDemoHistory(t.handle.db, await demoReporters(t.handle.db), { now });
    expect(seeded?.health_events).toBeGreaterThan(0);
    const twice = await sql<{ n: number }>`
      select count(*)::int as n from (
        select 1 from device_health_events group by device_id, status, at having count(*) > 1) d`.execute(t.handle.db);
    expect(twice.rows[0]!.n).toBe(0);
  });
});
