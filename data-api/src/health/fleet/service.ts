// Up / down / unknown device counts per site, product or customer: one grouped query, so a
// FleetHealth widget over 100k devices reads a few rows instead of paging every device.
// Surfaces' device_counts / device_counts_by queries answer from here too.
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../kernel/db/index.ts';
import type { FleetGroupBy, FleetHealth, FleetHealthGroup, FleetHealthQuery } from '../../contracts/fleet.ts';

const COLUMN = { site: 'site_id', product: 'product_code', customer: 'customer_id' } as const;
/** Devices in stock have no site and no customer. */
const NO_GROUP = '(none)';

/**
 * `customerId` is the caller's tenant (null: unscoped); it is applied in SQL, whatever the
 * filters say, so a scoped caller never counts (or names) another customer's devices.
 */
export async function fleetHealth(
  db: Kysely<Database>,
  customerId: string | null,
  f: FleetHealthQuery,
): Promise<FleetHealth> {
  const by = COLUMN[f.group_by];
  let q = db
    .selectFrom('devices')
    .select([sql<string | null>`${sql.ref(by)}`.as('key'), 'status', (eb) => eb.fn.countAll<string>().as('n')])
    .groupBy([by, 'status']);
  if (customerId) q = q.where('customer_id', '=', customerId);
  if (f.customer_id) q = q.where('customer_id', '=', f.customer_id);
  if (f.site_id) q = q.where('site_id', '=', f.site_id);
  if (f.product_code) q = q.where('product_code', '=', f.product_code);
  const rows = await q.execute();

  const names = await groupNames(db, f.group_by, [
    ...new Set(rows.map((r) => r.key).filter((k): k is string => k !== null)),
  ]);
  const total = { up: 0, down: 0, unknown: 0, total: 0 };
  const groups = new Map<string, FleetHealthGroup>();
  for (const r of rows) {
    const key = r.key ?? NO_GROUP;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { key, name: names.get(key) ?? key, up: 0, down: 0, unknown: 0, total: 0 }));
    const n = Number(r.n);
    const status = r.status === 'up' || r.status === 'down' ? r.status : 'unknown';
    g[status] += n;
    g.total += n;
    total[status] += n;
    total.total += n;
  }
  return {
    group_by: f.group_by,
    total,
    groups: [...groups.values()].sort(
      (a, b) => b.down - a.down || a.name.localeCompare(b.name) || a.key.localeCompare(b.key),
    ),
  };
}

/** Names of the groups counted (only those: never a list of every customer). */
async function groupNames(db: Kysely<Database>, by: FleetGroupBy, keys: string[]): Promise<Map<string, string>> {
  if (!keys.length) return new Map();
  const rows =
    by === 'product'
      ? await db.selectFrom('products').select(['code as id', 'name']).where('code', 'in', keys).execute()
      : await db
          .selectFrom(by === 'site' ? 'sites' : 'customers')
          .select(['id', 'name'])
          .where('id', 'in', keys)
          .execute();
  return new Map(rows.map((r) => [r.id, r.name]));
}
