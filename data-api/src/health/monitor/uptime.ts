import { sql, type Kysely } from 'kysely';
import type { Principal } from '../../kernel/auth/roles.ts';
import type { Database } from '../../kernel/db/index.ts';
import type { Uptime } from '../../contracts/uptime.ts';

/**
 * Uptime per customer or site from the health history (SLA reports). Each device's state
 * over [from, to) is its last transition before `from`, then each transition in the
 * window; time in `up` and `down` is summed per group. Time in no known state (a device
 * never heard from) counts for neither.
 */
export async function computeUptime(
  db: Kysely<Database>,
  who: Principal,
  q: { group_by: 'customer' | 'site'; from?: string; to?: string },
): Promise<Uptime> {
  const to = q.to ? new Date(q.to) : new Date();
  const from = q.from ? new Date(q.from) : new Date(to.getTime() - 30 * 86_400_000);
  const key = q.group_by === 'customer' ? sql.ref('customer_id') : sql.ref('site_id');
  const scope = who.customerId;
  const rows = await sql<{ id: string; name: string | null; up_s: number; down_s: number; devices: number }>`
    with ev as (
      -- e.at, not at: a bare name in ORDER BY is the output column (here the constant from).
      (select distinct on (e.device_id) e.device_id, e.site_id, e.customer_id, e.status, ${from}::timestamptz as at
         from device_health_events e where e.at < ${from} order by e.device_id, e.at desc)
      union all
      select device_id, site_id, customer_id, status, at from device_health_events where at >= ${from} and at < ${to}
    ),
    iv as (
      select *, coalesce(lead(at) over (partition by device_id order by at), least(${to}::timestamptz, now())) as until from ev
    ),
    g as (
      select ${key} as id,
        coalesce(sum(extract(epoch from (until - at))) filter (where status = 'up' and until > at), 0)::float8 as up_s,
        coalesce(sum(extract(epoch from (until - at))) filter (where status = 'down' and until > at), 0)::float8 as down_s,
        count(distinct device_id)::int as devices
      from iv
      where ${key} is not null ${scope ? sql`and customer_id = ${scope}` : sql``}
      group by 1
    )
    select g.*, ${q.group_by === 'customer' ? sql`(select name from customers c where c.id = g.id)` : sql`(select name from sites s where s.id = g.id)`} as name
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
