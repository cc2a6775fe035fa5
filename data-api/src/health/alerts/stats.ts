import { sql, type Kysely } from 'kysely';
import type { Principal } from '../../kernel/auth/roles.ts';
import type { Database } from '../../kernel/db/index.ts';
import {
  alertSeverity,
  alertStatsWindow,
  type AlertStats,
  type AlertStatsFigures,
  type AlertStatsQuery,
} from '../../contracts/alerts.ts';

/** What a system transition writes as resolved_by (system:ingest, system:monitor, system:notifications…). */
const SYSTEM_ACTOR = 'system:%';

type Row = AlertStatsFigures & { severity: AlertStats['by_severity'][number]['severity'] | null };

const none = (): AlertStatsFigures => ({
  opened: 0,
  acknowledged: 0,
  resolved: 0,
  auto_resolved: 0,
  escalated: 0,
  ack_median_s: null,
  ack_p90_s: null,
  resolve_median_s: null,
});

/**
 * How fast alerts opened in [from, to) were answered, per severity and in total: one pass over
 * alerts (alerts_opened_at_idx), grouping sets for the severities and the total, percentile_cont
 * for the medians and the 90th percentile. Acknowledged means a person acknowledged it (acked_at);
 * auto-resolved means the system resolved it (resolved_by system:…) before anyone did.
 * A customer-scoped token counts only its customer's alerts.
 */
export async function alertStats(db: Kysely<Database>, who: Principal, q: AlertStatsQuery): Promise<AlertStats> {
  const w = alertStatsWindow(q);
  const from = new Date(w.from);
  const to = new Date(w.to);
  const where = [
    sql`opened_at >= ${from}`,
    sql`opened_at < ${to}`,
    ...(who.customerId ? [sql`customer_id = ${who.customerId}`] : []),
    ...(q.customer_id ? [sql`customer_id = ${q.customer_id}`] : []),
    ...(q.site_id ? [sql`site_id = ${q.site_id}`] : []),
    ...(q.severity ? [sql`severity = ${q.severity}`] : []),
  ];
  const ack = sql`extract(epoch from (acked_at - opened_at))`;
  const res = await sql<Row>`
    select severity,
      count(*)::int as opened,
      count(*) filter (where acked_at is not null)::int as acknowledged,
      count(*) filter (where resolved_at is not null)::int as resolved,
      count(*) filter (where resolved_at is not null and acked_at is null and resolved_by like ${SYSTEM_ACTOR})::int as auto_resolved,
      count(*) filter (where escalation_level > 0)::int as escalated,
      (percentile_cont(0.5) within group (order by ${ack}) filter (where acked_at is not null))::float8 as ack_median_s,
      (percentile_cont(0.9) within group (order by ${ack}) filter (where acked_at is not null))::float8 as ack_p90_s,
      (percentile_cont(0.5) within group (order by extract(epoch from (resolved_at - opened_at)))
        filter (where resolved_at is not null))::float8 as resolve_median_s
    from alerts
    where ${sql.join(where, sql` and `)}
    group by grouping sets ((severity), ())`.execute(db);
  const figures = (r: Row | undefined): AlertStatsFigures => {
    if (!r) return none();
    const { severity: _, ...f } = r;
    return f;
  };
  const severities = q.severity ? [q.severity] : alertSeverity.options;
  return {
    from: from.toISOString(),
    to: to.toISOString(),
    total: figures(res.rows.find((r) => r.severity === null)),
    by_severity: severities.map((severity) => ({
      severity,
      ...figures(res.rows.find((r) => r.severity === severity)),
    })),
  };
}
