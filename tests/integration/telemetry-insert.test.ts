import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provisionSimFleet } from '../../data-api/src/demo/simulate/fleet.ts';
import {
  COUNT_FROM_ROWS,
  insertTelemetryRows,
  telemetryInsert,
  type TelemetryRow,
} from '../../data-api/src/telemetry/ingest/telemetry-insert.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { explainAnalyze, planNodes } from '../helpers/query-plan.ts';

// The ingest's batch INSERT answers with the count of new rows and the keys of the repeats
// (readings already stored), not with every new key: the client parsed a row per reading.

describe('telemetry batch INSERT', () => {
  let database: TestDatabase;
  let ids: string[];

  beforeAll(async () => {
    database = await createTestDatabase();
    ids = (await provisionSimFleet(database.handle.db, 'test', 1000)).map((d) => d.id).sort();
  });
  afterAll(() => database?.drop());

  const row = (device_id: string, msg_id: string, flow = 1): TelemetryRow => ({
    device_id,
    msg_id,
    ts: Date.now() / 1000,
    status: 'running',
    metrics: { flow_lpm: flow },
  });

  // Small batches (below COUNT_FROM_ROWS) and large ones take different statements: both answer alike.
  it.each([
    ['a small batch', 0],
    ['a large batch', COUNT_FROM_ROWS],
  ])('counts the new rows and names the repeats of %s, a repeat within the batch counted once', async (_, pad) => {
    const db = database.handle.db;
    const [a, b] = pad ? [ids[2]!, ids[3]!] : [ids[0]!, ids[1]!];
    // Padding rows (new readings of other devices) make the batch large.
    const padding = (tag: string) => ids.slice(10, 10 + pad).map((id) => row(id, `${tag}-${pad}`));
    expect(await insertTelemetryRows(db, [row(a, 'm1'), row(a, 'm2'), row(b, 'm1'), ...padding('p1')])).toEqual({
      inserted: 3 + pad,
      repeats: [],
    });
    const again = await insertTelemetryRows(db, [
      row(a, 'm2', 9),
      row(b, 'm1', 9),
      row(b, 'm2'),
      row(b, 'm2'),
      ...padding('p2'),
    ]);
    expect(again.inserted).toBe(1 + pad);
    expect(again.repeats.sort((x, y) => x.device_id.localeCompare(y.device_id))).toEqual([
      { device_id: a, msg_id: 'm2' },
      { device_id: b, msg_id: 'm1' },
    ]);
    const stored = await sql<{ device_id: string; msg_id: string; flow: number }>`
      select device_id, msg_id, (metrics->>'flow_lpm')::int as flow from telemetry
      where device_id in (${a}, ${b}) order by device_id, msg_id`.execute(db);
    // Repeats are absorbed: the first reading stays as it was.
    expect(stored.rows).toEqual([
      { device_id: a, msg_id: 'm1', flow: 1 },
      { device_id: a, msg_id: 'm2', flow: 1 },
      { device_id: b, msg_id: 'm1', flow: 1 },
      { device_id: b, msg_id: 'm2', flow: 1 },
    ]);
    expect(await insertTelemetryRows(db, [])).toEqual({ inserted: 0, repeats: [] });
  });

  it('finds the repeats of a full batch by one hash anti-join, not a rescan per row', async () => {
    const db = database.handle.db;
    const compiled = telemetryInsert(ids.map((id) => row(id, 'plan-1'))).compile(db);
    const plan = await explainAnalyze(db, compiled);
    const types = [...planNodes(plan)].map((p) => p['Node Type']);
    expect(types).toContain('Hash Join'); // EXPLAIN names an anti-join "Hash Join" (Join Type: Anti)
    expect(types).not.toContain('Nested Loop');
  });
});
