import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';

// One LISTEN connection per process (kernel/db): the change feed, the live stream, the
// registry cache and the notifications engine each listen, and share it. Each channel gets
// its own payloads; unlisten drops only its own handler; when the connection is cut, it comes
// back by itself, LISTENs every channel again and tells every handler ('') to re-read.
describe('database LISTEN: one shared connection', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase({ migrate: false });
  });
  afterAll(async () => t?.drop());

  const listeners = async () =>
    (
      await sql<{ pid: number; n: number }>`
        select pid, count(*)::int as n from pg_stat_activity
        where datname = current_database() and query ilike 'LISTEN %' group by pid`.execute(t.handle.db)
    ).rows;
  const say = (channel: string, payload: string) => sql`select pg_notify(${channel}, ${payload})`.execute(t.handle.db);

  it('fans out per channel on one connection, and comes back after the connection is cut', async () => {
    const got: Record<string, string[]> = { a1: [], a2: [], b: [] };
    const stopA1 = await t.handle.listen('fb_test_a', (p) => got.a1!.push(p));
    await t.handle.listen('fb_test_a', (p) => got.a2!.push(p));
    await t.handle.listen('fb_test_b', (p) => got.b!.push(p));
    await say('fb_test_a', 'x');
    await say('fb_test_b', 'y');
    await expect.poll(() => [got.a1, got.a2, got.b]).toEqual([['x'], ['x'], ['y']]);
    // Embedded PGlite is one connection anyway: what follows is about PostgreSQL's pool (CI).
    if (t.backend === 'pglite') return;
    expect((await listeners()).length).toBe(1);

    await stopA1();
    await say('fb_test_a', 'z');
    await expect.poll(() => got.a2).toEqual(['x', 'z']);
    expect(got.a1).toEqual(['x']);

    const pid = (await listeners())[0]!.pid;
    await sql`select pg_terminate_backend(${pid})`.execute(t.handle.db);
    // Back by itself (after about a second): every remaining handler is told to re-read …
    await expect.poll(() => [got.a2!.at(-1), got.b!.at(-1)], { timeout: 10_000 }).toEqual(['', '']);
    // … and both channels are listened to again, on one new connection.
    await say('fb_test_a', 'after');
    await say('fb_test_b', 'after');
    await expect.poll(() => [got.a2!.at(-1), got.b!.at(-1)], { timeout: 5_000 }).toEqual(['after', 'after']);
    const again = await listeners();
    expect(again).toHaveLength(1);
    expect(again[0]!.pid).not.toBe(pid);
  });
});
