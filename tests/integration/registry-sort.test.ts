import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEVICE_SORT_KEYS } from '../../data-api/src/contracts/registry.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { bearer, client, must, walk, type Client } from '../helpers/registry.ts';

// widgets.md: DeviceTable "sort, filter, paging over 100k devices": the sort is the API's
// (`GET /devices?sort=`), so a sorted walk pages the whole fleet, not one page reordered.
// Keyset under a sort: (key, id) with empty keys last; the cursor carries its sort.

interface Row {
  id: string;
  name: string | null;
  status: string;
  site_id: string;
  serial: string;
  /** Microseconds after BASE, or null (never seen): values differ inside one millisecond. */
  seenUs: number | null;
}
const BASE = '2026-03-01T10:00:00.100';
const lastSeen = (us: number | null) => (us === null ? null : `${BASE}${String(us).padStart(3, '0')}+00`);
const pad = (n: number, w = 3) => String(n).padStart(w, '0');

/** The order the contract promises, computed here independently of the database. */
function expected(rows: Row[], sort: string): string[] {
  const desc = sort.startsWith('-');
  const key = desc ? sort.slice(1) : sort;
  const value = (r: Row): string | number | null =>
    key === 'last_seen' ? r.seenUs : key === 'id' ? r.id : (r as unknown as Record<string, string | null>)[key]!;
  return [...rows]
    .sort((a, b) => {
      const [x, y] = [value(a), value(b)];
      if (x === null || y === null) {
        if (x !== y) return x === null ? 1 : -1; // empty last, in both directions
      } else if (x !== y) return (x < y ? -1 : 1) * (desc ? -1 : 1);
      return (a.id < b.id ? -1 : 1) * (desc ? -1 : 1);
    })
    .map((r) => r.id);
}

describe('GET /devices?sort=: server-side sort with keyset pages', () => {
  let t: TestApp;
  let admin: Client;
  let viewer: Client;
  const rows: Row[] = [];

  /** A device through the API, then the fields the fleet reports (status, last_seen) set in the database. */
  async function addDevice(r: Row) {
    const site = r.site_id === 'site_srt-a' ? 'dep_srt-a' : 'dep_srt-b';
    await must(
      admin.post('/devices', {
        id: r.id,
        deployment_id: site,
        product_code: 'soil-probe',
        role: 'sensor',
        name: r.name,
        serial: r.serial,
      }),
    );
    await sql`update devices set status = ${r.status}, last_seen = ${lastSeen(r.seenUs)}::timestamptz where id = ${r.id}`.execute(
      t.ctx.db,
    );
    rows.push(r);
  }

  beforeAll(async () => {
    t = await createTestApp();
    admin = client(t.app, await bearer(t.ctx.db, 'admin'));
    viewer = client(t.app, await bearer(t.ctx.db, 'viewer'));
    await must(admin.post('/customers', { id: 'cus_srt-1', name: 'Sort One' }));
    await must(admin.post('/customers', { id: 'cus_srt-2', name: 'Sort Two' }));
    await must(admin.post('/sites', { id: 'site_srt-a', customer_id: 'cus_srt-1', name: 'A' }));
    await must(admin.post('/sites', { id: 'site_srt-b', customer_id: 'cus_srt-2', name: 'B' }));
    await must(
      admin.post('/deployments', {
        id: 'dep_srt-a',
        site_id: 'site_srt-a',
        product_code: 'soil-probe',
        product_version: '1.4.2',
      }),
    );
    await must(
      admin.post('/deployments', {
        id: 'dep_srt-b',
        site_id: 'site_srt-b',
        product_code: 'soil-probe',
        product_version: '1.4.2',
      }),
    );
    // 40 devices with ties (13 names, 17 last_seen values a microsecond apart) and empties.
    for (let i = 0; i < 40; i++) {
      await addDevice({
        id: `dev_srt-${pad(i)}`,
        name: i % 5 === 0 ? null : `n${pad((i * 7) % 13, 2)}`,
        status: ['up', 'down', 'unknown'][i % 3]!,
        site_id: i % 2 ? 'site_srt-b' : 'site_srt-a',
        serial: `S${pad((i * 13) % 40)}`,
        seenUs: i % 4 === 0 ? null : (i * 37) % 17,
      });
    }
  });
  afterAll(async () => t?.close());

  it.each([
    'name',
    '-name',
    'status',
    '-status',
    'last_seen',
    '-last_seen',
    'serial',
    '-serial',
    'site_id',
    '-id',
    'id',
  ])('sort=%s: every device once, in the promised order, across pages of 3', async (sort) => {
    const got = (await walk<{ id: string }>(viewer, `/devices?sort=${encodeURIComponent(sort)}`, 3)).map((d) => d.id);
    expect(got).toEqual(expected(rows, sort));
  });

  it('timestamps a microsecond apart page without repeats or gaps (the cursor keeps full precision)', async () => {
    // 17 distinct last_seen values inside one millisecond: a cursor rounded to ms would repeat or skip.
    const got = (await walk<{ id: string; last_seen: string | null }>(viewer, '/devices?sort=-last_seen', 1)).map(
      (d) => d.id,
    );
    expect(new Set(got).size).toBe(rows.length);
    expect(got).toEqual(expected(rows, '-last_seen'));
  });

  it('filters, tenancy and sort combine', async () => {
    const down = (await walk<{ id: string }>(viewer, '/devices?status=down&sort=-name', 2)).map((d) => d.id);
    expect(down).toEqual(
      expected(
        rows.filter((r) => r.status === 'down'),
        '-name',
      ),
    );
    const scoped = client(t.app, await bearer(t.ctx.db, 'viewer', 'cus_srt-2'));
    const mine = (await walk<{ id: string }>(scoped, '/devices?sort=serial', 4)).map((d) => d.id);
    expect(mine).toEqual(
      expected(
        rows.filter((r) => r.site_id === 'site_srt-b'),
        'serial',
      ),
    );
  });

  it.each([
    ['name', (i: number) => ({ name: i % 3 === 0 ? null : `n${pad((i * 5) % 14, 2)}`, seenUs: null })],
    ['-last_seen', (i: number) => ({ name: null, seenUs: i % 4 === 0 ? null : (i * 3) % 18 })],
  ])(
    'sort=%s under concurrent inserts: every pre-existing device exactly once, no duplicates, in order',
    async (sort, fields) => {
      const before = new Set(rows.map((r) => r.id));
      let inserted = 0;
      // Between every two pages another writer inserts devices whose keys fall before, at and
      // after the cursor (deterministic interleaving, not a race against the scheduler).
      const seen = (
        await walk<{ id: string }>(viewer, `/devices?sort=${sort}`, 4, async () => {
          for (let k = 0; k < 2; k++, inserted++) {
            await addDevice({
              id: `dev_srt-${sort.replace('-', 'd')}-${pad(inserted)}`,
              status: 'up',
              site_id: 'site_srt-a',
              serial: `T${pad(inserted)}`,
              ...fields(inserted),
            });
          }
        })
      ).map((d) => d.id);
      expect(inserted).toBeGreaterThan(10);
      expect(new Set(seen).size).toBe(seen.length);
      for (const id of before) expect(seen.filter((s) => s === id)).toHaveLength(1);
      // What was seen, new rows included, came in the sort's order.
      expect(seen).toEqual(
        expected(
          rows.filter((r) => seen.includes(r.id)),
          sort,
        ),
      );
    },
  );

  it('a bad sort is refused with 400 naming querystring.sort', async () => {
    for (const bad of ['secrets_set', 'external_refs', 'name,id', '-', '--name', 'NAME', 'name desc']) {
      const res = await viewer.get(`/devices?sort=${encodeURIComponent(bad)}`);
      expect(res.statusCode, bad).toBe(400);
      expect(res.json()).toMatchObject({
        error: 'validation',
        issues: [{ path: 'querystring.sort', message: expect.stringContaining('expected one of id, name') }],
      });
    }
  });

  it('a cursor pages only the sort it was made for', async () => {
    const byName = (await viewer.get('/devices?sort=name&limit=2')).json();
    const byId = (await viewer.get('/devices?limit=2')).json();
    for (const [cursor, sort, madeFor] of [
      [byName.next_cursor, '-name', 'name'],
      [byName.next_cursor, undefined, 'name'],
      [byId.next_cursor, 'name', 'id'],
    ] as const) {
      const res = await viewer.get(
        `/devices?limit=2&cursor=${encodeURIComponent(cursor)}${sort ? `&sort=${sort}` : ''}`,
      );
      expect(res.statusCode).toBe(400);
      expect(res.json().issues).toEqual([
        { path: 'querystring.cursor', message: expect.stringContaining(`this cursor pages sort=${madeFor}`) },
      ]);
    }
    // Opaque: neither the id nor the name shows, and a tampered one is refused.
    expect(byName.next_cursor).not.toContain(byName.items[1].id);
    const tampered = Buffer.from(JSON.stringify({ v: 2, sort: 'name', k: 5, after: 'dev_x' })).toString('base64url');
    expect((await viewer.get(`/devices?sort=name&cursor=${tampered}`)).json().issues[0].path).toBe(
      'querystring.cursor',
    );
  });

  it('the OpenAPI document lists the sort values from the same schema', async () => {
    const doc = (await viewer.get('/openapi.json')).json();
    const param = doc.paths['/api/v1/devices'].get.parameters.find((p: { name: string }) => p.name === 'sort');
    expect(param.schema.enum).toEqual([...DEVICE_SORT_KEYS, ...DEVICE_SORT_KEYS.map((k) => `-${k}`)]);
  });
});
