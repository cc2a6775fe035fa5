import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provisionSimFleet } from '../../data-api/src/demo/simulate/fleet.ts';
import { deviceStateUpdate, emptyAgg, type DeviceAgg } from '../../data-api/src/telemetry/ingest/writer.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { explainAnalyze, planNodes } from '../helpers/query-plan.ts';

// The ingest writes device states in one UPDATE per batch; when a whole fleet comes up at
// once (a start, a broker back) that is one row per device. Its plan must grow with the
// batch, not with its square: a plan that rescans a CTE for every row (a nested loop with a
// join filter) spent 950 ms of PostgreSQL CPU on 2,000 devices where a hash join spends 70.

const FLEET = 2000;

describe('device state UPDATE', () => {
  let database: TestDatabase;
  let ids: string[];

  beforeAll(async () => {
    database = await createTestDatabase();
    ids = (await provisionSimFleet(database.handle.db, 'test', FLEET)).map((d) => d.id).sort();
  });
  afterAll(() => database?.drop());

  const agg = (id: string, seen: number, flow: number): DeviceAgg => ({
    ...emptyAgg(id),
    seen,
    metrics_ts: seen,
    metrics: { flow_lpm: flow },
    run_status: 'running',
  });

  it('brings devices up once, and liveness only moves forward', async () => {
    const db = database.handle.db;
    const now = Date.now();
    const some = ids.slice(0, 300);
    const first = await deviceStateUpdate(some.map((id) => agg(id, now, 10))).execute(db);
    expect(first.rows).toHaveLength(some.length);
    expect(new Set(first.rows.map((r) => `${r.old_status}→${r.status}`))).toEqual(new Set(['unknown→up']));
    expect(first.rows.map((r) => r.last_seen?.getTime())).toEqual(some.map(() => now));

    // An older message from an offline buffer: facts older than what is held change nothing.
    const late = await deviceStateUpdate(some.map((id) => agg(id, now - 60_000, 20))).execute(db);
    expect(new Set(late.rows.map((r) => `${r.old_status}→${r.status}`))).toEqual(new Set(['up→up']));
    for (const r of late.rows) expect(r.last_seen?.getTime()).toBe(now);

    const stored = await db.selectFrom('devices').select(['id', 'observed_state']).where('id', 'in', some).execute();
    for (const d of stored) {
      const state = d.observed_state as { metrics?: { flow_lpm?: number }; status?: string };
      expect(state.status).toBe('up');
      expect(state.metrics?.flow_lpm).toBe(10);
    }
  });

  it('plans a whole fleet without rescanning a CTE per row', async () => {
    // The fleet is up and analysed, as in steady state (a fresh table gets another plan).
    await deviceStateUpdate(ids.map((id) => agg(id, Date.now(), 1))).execute(database.handle.db);
    await sql`analyze devices`.execute(database.handle.db);
    const compiled = deviceStateUpdate(ids.map((id) => agg(id, Date.now(), 2))).compile(database.handle.db);
    const explained = await explainAnalyze(database.handle.db, compiled);
    const all = [...planNodes(explained)];
    expect(explained['Actual Rows']).toBe(FLEET);
    const removed = all.reduce((n, p) => n + (p['Rows Removed by Join Filter'] ?? 0), 0);
    expect(removed).toBe(0);
    // The inner side of a nested loop runs once per outer row.
    const rescans = all.filter((p) => p['Node Type'] === 'Nested Loop' && p.Plans?.[1]?.['Node Type'] === 'CTE Scan');
    expect(rescans.map((p) => p['Node Type'])).toEqual([]);
  });
});
