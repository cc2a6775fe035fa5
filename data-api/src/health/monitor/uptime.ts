import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Principal } from '../../kernel/auth/roles.ts';
import type { Database } from '../../kernel/db/index.ts';
import type { Uptime, UptimeQuery } from '../../contracts/uptime.ts';
import type { FleetGroupBy } from '../../contracts/fleet.ts';

/** Per grouping: the interval's column it groups on, and where a group's name is read. */
const GROUPS: Record<FleetGroupBy, { column: string; name: RawBuilder<unknown> }> = {
  customer: { column: 'customer_id', name: sql`(select name from customers c where c.id = g.id)` },
  site: { column: 'site_id', name: sql`(select name from sites s where s.id = g.id)` },
  product: { column: 'product_code', name: sql`(select name from products p where p.code = g.id)` },
};

/**
 * Uptime per customer, site or product from the health history (SLA reports). Each device's
 * state over [from, to) is its last transition before `from`, then each transition in the
 * window; time in `up` and `down` is summed per group. Time in no known state (a device
 * never heard from) counts for neither.
 *
 * Site, customer and product (group and filter) are the ones each transition recorded, so time a
 * device spent at a site stays that site's after it moves, and a device deleted from the registry
 * still counts for its product as it does for its site and customer; they are applied to the
 * intervals, after each device's state at `from` is found. Nothing is read from the registry.
 */
export async function computeUptime(db: Kysely<Database>, who: Principal, q: UptimeQuery): Promise<Uptime> {
  const to = q.to ? new Date(q.to) : new Date();
  const from = q.from ? new Date(q.from) : new Date(to.getTime() - 30 * 86_400_000);
  const group = GROUPS[q.group_by];
  const key = sql.ref(group.column);
  const where = [
    sql`${key} is not null`,
    ...(who.customerId ? [sql`customer_id = ${who.customerId}`] : []),
    ...(q.customer_id ? [sql`customer_id = ${q.customer_id}`] : []),
    ...(q.site_id ? [sql`site_id = ${q.site_id}`] : []),
    ...(q.product_code ? [sql`product_code = ${q.product_code}`] : []),
  ];
  const rows = await sql<{ id: string; name: string | null; up_s: number; down_s: number; devices: number }>`
    with ev as (
      -- e.at, not at: a bare name in ORDER BY is the output column (here the constant from).
      (select distinct on (e.device_id) e.device_id, e.site_id, e.customer_id, e.product_code, e.status,
              ${from}::timestamptz as at
         from device_health_events e where e.at < ${from} order by e.device_id, e.at desc)
      union all
      select device_id, site_id, customer_id, product_code, status, at from device_health_events
       where at >= ${from} and at < ${to}
    ),
    iv as (
      select ev.*,
        coalesce(lead(ev.at) over (partition by ev.device_id order by ev.at), least(${to}::timestamptz, now())) as until
      from ev
    ),
    g as (
      select ${key} as id,
        coalesce(sum(extract(epoch from (until - at))) filter (where status = 'up' and until > at), 0)::float8 as up_s,
        coalesce(sum(extract(epoch from (until - at))) filter (where status = 'down' and until > at), 0)::float8 as down_s,
        count(distinct device_id)::int as devices
      from iv
      where ${sql.join(where, sql` and `)}
      group by 1
    )
    select g.*, ${group.name} as name
    from g order by g.id`.execute(db);
  return {
    group_by: q.group_by,
    from: from.toISOString(),
    to: to.toISOString(),
    items: rows.rows.map((r) => {
      const total = Number(r.up_s) + Number(r.down_s);
      return {
        id: r.id,
        name: r.name,
        uptime_pct: total > 0 ? Math.round((Number(r.up_s) / total) * 100_000) / 1000 : null,
        up_s: Math.round(Number(r.up_s)),
        down_s: Math.round(Number(r.down_s)),
        devices: Number(r.devices),
      };
    }),
  };
}
