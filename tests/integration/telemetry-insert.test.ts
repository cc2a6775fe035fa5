import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provisionSimFleet } from '../../data-api/src/demo/simulate/fleet.ts';
import { openDatabase, type DatabaseHandle } from '../../data-api/src/kernel/db/index.ts';
import { migrateToLatest } from '../../data-api/src/kernel/db/migrator.ts';
import {
  copyTelemetryRows,
  insertTelemetryRows,
  telemetryInsert,
  type TelemetryRow,
} from '../../data-api/src/telemetry/ingest/telemetry-insert.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { explainAnalyze, planNodes } from '../helpers/query-plan.ts';

// The ingest's batch write answers with the count of new rows and the keys of the repeats
// (readings already stored), not with every new key: the client parsed a row per reading.
// A large batch goes by COPY; one COPY refuses (a repeat) is written again by telemetryInsert.

/** Rows of a large batch (a few hundred: the writer's batches run to thousands). */
const LARGE = 300;

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

  // A batch holding a repeat is refused by COPY and written again by telemetryInsert: a few rows or many, it answers alike.
  it.each([
    ['a small batch', 0],
    ['a large batch', LARGE],
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

// COPY stores exactly what the jsonb INSERT stores, on PostgreSQL and on the embedded PGlite.
describe.each(['pg', 'pglite'] as const)('telemetry COPY (%s)', (backend) => {
  let handle: DatabaseHandle;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    if (backend === 'pg') {
      const database = await createTestDatabase();
      handle = database.handle;
      drop = () => database.drop();
    } else {
      handle = await openDatabase({ kind: 'pglite' });
      await migrateToLatest(handle.db);
      drop = () => handle.close();
    }
  });
  afterAll(() => drop?.());

  // Microsecond fractions, exact halves of a microsecond as far as a double holds them, both ends of the contract's range.
  const stamps = (n: number) => [
    946_684_800.000_001,
    4_102_444_799.999_999,
    1_765_152_000 + 0.5e-6,
    1_765_152_000 + 1.5e-6,
    1_765_152_000 + 0.1234567,
    ...Array.from({ length: n }, (_, i) => 1_700_000_000 + i * 0.000_137 + Math.random()),
  ];

  it('stores every field as the INSERT would: microseconds as to_timestamp rounds them, escapes, NULL', async () => {
    const db = handle.db;
    const rows: TelemetryRow[] = stamps(300).map((ts, i) => ({
      device_id: `dev-copy-${i % 7}`,
      msg_id: i === 0 ? 'back\\slash' : `m-${i}`,
      ts,
      status: i === 1 ? null : i === 2 ? 'tab\there\nand line' : 'running',
      metrics: (i === 3 ? { 'quote"and\\slash': 1.5, e: 1e-7 } : { flow_lpm: i }) as Record<string, number>,
    }));
    expect(await copyTelemetryRows(db, rows)).toBe(true);
    const stored = await sql<{ msg_id: string; same_ts: boolean; status: string | null; metrics: unknown }>`
      select t.msg_id, t.ts = to_timestamp(x.ts) as same_ts, t.status, t.metrics
      from telemetry t join jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as x(device_id text, msg_id text, ts float8)
        using (device_id, msg_id)`.execute(db);
    expect(stored.rows).toHaveLength(rows.length);
    const byId = new Map(stored.rows.map((r) => [r.msg_id, r]));
    for (const r of rows)
      expect(byId.get(r.msg_id), r.msg_id).toEqual({
        msg_id: r.msg_id,
        same_ts: true,
        status: r.status,
        metrics: r.metrics,
      });
  });

  it('refuses a batch holding a stored reading whole, inside a transaction that goes on', async () => {
    const db = handle.db;
    const row = (msg_id: string): TelemetryRow => ({
      device_id: 'dev-copy-tx',
      msg_id,
      ts: 1_765_152_000,
      status: 'running',
      metrics: { flow_lpm: 1 },
    });
    expect(await copyTelemetryRows(db, [row('a')])).toBe(true);
    const refused = await db.transaction().execute(async (trx) => {
      await insertTelemetryRows(trx, [row('before')]);
      const copied = await copyTelemetryRows(trx, [row('b'), row('a'), row('c')]);
      await insertTelemetryRows(trx, [row('after')]);
      return copied;
    });
    expect(refused).toBe(false);
    const stored = await sql<{ msg_id: string }>`
      select msg_id from telemetry where device_id = 'dev-copy-tx' order by msg_id`.execute(db);
    expect(stored.rows.map((r) => r.msg_id)).toEqual(['a', 'after', 'before']);
  });

  it('stores a large batch with repeats once each, the repeats named', async () => {
    const db = handle.db;
    const batch = (tag: string, n: number): TelemetryRow[] =>
      Array.from({ length: n }, (_, i) => ({
        device_id: `dev-copy-big-${i % 13}`,
        msg_id: `${tag}-${i}`,
        ts: 1_765_152_000 + i,
        status: 'running',
        metrics: { flow_lpm: i },
      }));
    expect(await insertTelemetryRows(db, batch('x', LARGE))).toEqual({
      inserted: LARGE,
      repeats: [],
    });
    const again = await insertTelemetryRows(db, [...batch('x', 2), ...batch('y', LARGE)]);
    expect(again.inserted).toBe(LARGE);
    expect(again.repeats).toHaveLength(2);
    const n = await sql<{
      n: number;
    }>`select count(*)::int as n from telemetry where device_id like 'dev-copy-big-%'`.execute(db);
    expect(n.rows[0]!.n).toBe(2 * LARGE);
  });
});
