// The named data queries a surface may use (contracts/surfaces.ts SURFACE_QUERIES), each
// tenant-scoped: `customerId` null reads everything, otherwise one customer's rows.
import { sql, type Kysely } from 'kysely';
import type { SurfaceQueryKind } from '../../contracts/surfaces.ts';
import type { Database } from '../../kernel/db/index.ts';
import { fleetHealth } from '../../health/fleet/service.ts';
import { iso } from '../../kernel/db/values.ts';

type Db = Kysely<Database>;
type Args = Record<string, string | number | boolean | null>;

const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);
const limitOf = (v: unknown, dflt: number) => Math.max(1, Math.min(200, typeof v === 'number' ? Math.floor(v) : dflt));

export async function runQuery(
  db: Db,
  kind: SurfaceQueryKind,
  args: Args,
  customerId: string | null,
): Promise<unknown> {
  switch (kind) {
    case 'device_counts':
      return (
        await fleetHealth(db, customerId, {
          group_by: 'site',
          site_id: str(args.site_id),
          product_code: str(args.product_code),
        })
      ).total;
    case 'device_counts_by': {
      const by = args.group_by === 'customer' ? 'customer' : args.group_by === 'product' ? 'product' : 'site';
      return (await fleetHealth(db, customerId, { group_by: by, site_id: str(args.site_id) })).groups;
    }
    case 'devices':
      return listDevices(db, args, customerId);
    case 'deployment_counts':
      return deploymentCounts(db, args, customerId);
    case 'deployments':
      return listDeployments(db, args, customerId);
    case 'alerts':
      return listAlerts(db, args, customerId);
    case 'alert_counts':
      return alertCounts(db, args, customerId);
    case 'site':
      return siteWithCustomer(db, args, customerId);
  }
}

/** Devices, down first, then unknown, then up. */
async function listDevices(db: Db, args: Args, customerId: string | null): Promise<unknown> {
  let q = db
    .selectFrom('devices')
    .select([
      'id',
      'name',
      'status',
      'last_seen',
      'product_code',
      'product_version',
      'site_id',
      sql<string | null>`observed_state->>'fw'`.as('fw'),
    ])
    .orderBy(sql`case status when 'down' then 0 when 'unknown' then 1 else 2 end`)
    .orderBy('id')
    .limit(limitOf(args.limit, 25));
  if (customerId) q = q.where('customer_id', '=', customerId);
  if (str(args.site_id)) q = q.where('site_id', '=', str(args.site_id)!);
  if (str(args.status)) q = q.where('status', '=', str(args.status) as 'up' | 'down' | 'unknown');
  return (await q.execute()).map((d) => ({
    id: d.id,
    name: d.name,
    status: d.status,
    last_seen: iso(d.last_seen as Date | null),
    firmware: d.fw ?? d.product_version,
    product_code: d.product_code,
    site_id: d.site_id,
  }));
}

/** Deployments per state, every state present. */
async function deploymentCounts(db: Db, args: Args, customerId: string | null): Promise<unknown> {
  let q = db
    .selectFrom('deployments')
    .select(['state', (eb) => eb.fn.countAll<string>().as('n')])
    .groupBy('state');
  if (customerId) q = q.where('customer_id', '=', customerId);
  if (str(args.site_id)) q = q.where('site_id', '=', str(args.site_id)!);
  if (str(args.product_code)) q = q.where('product_code', '=', str(args.product_code)!);
  const out: Record<string, number> = { planned: 0, installing: 0, live: 0, paused: 0, retired: 0 };
  for (const r of await q.execute()) out[r.state] = Number(r.n);
  return out;
}

async function listDeployments(db: Db, args: Args, customerId: string | null): Promise<unknown> {
  let q = db
    .selectFrom('deployments')
    .select(['id', 'name', 'product_code', 'product_version', 'state', 'site_id'])
    .orderBy('id')
    .limit(limitOf(args.limit, 50));
  if (customerId) q = q.where('customer_id', '=', customerId);
  if (str(args.site_id)) q = q.where('site_id', '=', str(args.site_id)!);
  if (str(args.state)) q = q.where('state', '=', str(args.state) as 'live');
  return q.execute();
}

/** Open and acknowledged alerts by default; no alerts table yet reads as none. */
async function listAlerts(db: Db, args: Args, customerId: string | null): Promise<unknown> {
  const states = (str(args.state) ?? 'open,acknowledged')
    .split(',')
    .filter((s) => ['open', 'acknowledged', 'resolved'].includes(s)) as Array<'open' | 'acknowledged' | 'resolved'>;
  try {
    let q = db
      .selectFrom('alerts')
      .select(['id', 'title', 'severity', 'state', 'opened_at', 'subject_type', 'subject_id', 'site_id'])
      .where('state', 'in', states.length ? states : ['open'])
      .orderBy('opened_at', 'desc')
      .limit(limitOf(args.limit, 10));
    if (customerId) q = q.where('customer_id', '=', customerId);
    if (str(args.site_id)) q = q.where('site_id', '=', str(args.site_id)!);
    return (await q.execute()).map((a) => ({
      ...a,
      opened_at: iso(a.opened_at as Date),
      subject: { type: a.subject_type, id: a.subject_id },
    }));
  } catch (err) {
    if (missingTable(err)) return [];
    throw err;
  }
}

/** Unresolved alerts by state and how many are critical; no alerts table yet reads as none. */
async function alertCounts(db: Db, args: Args, customerId: string | null): Promise<unknown> {
  try {
    let q = db
      .selectFrom('alerts')
      .select(['state', 'severity', (eb) => eb.fn.countAll<string>().as('n')])
      .where('state', '!=', 'resolved')
      .groupBy(['state', 'severity']);
    if (customerId) q = q.where('customer_id', '=', customerId);
    if (str(args.site_id)) q = q.where('site_id', '=', str(args.site_id)!);
    const out = { open: 0, acknowledged: 0, critical: 0 };
    for (const r of await q.execute()) {
      const n = Number(r.n);
      if (r.state === 'open') out.open += n;
      if (r.state === 'acknowledged') out.acknowledged += n;
      if (r.severity === 'critical') out.critical += n;
    }
    return out;
  } catch (err) {
    if (missingTable(err)) return { open: 0, acknowledged: 0, critical: 0 };
    throw err;
  }
}

/** One site with its customer's name, or null. */
async function siteWithCustomer(db: Db, args: Args, customerId: string | null): Promise<unknown> {
  const id = str(args.site_id);
  if (!id) return null;
  let q = db
    .selectFrom('sites')
    .leftJoin('customers', 'customers.id', 'sites.customer_id')
    .select(['sites.id', 'sites.name', 'sites.timezone', 'sites.customer_id', 'customers.name as customer_name'])
    .where('sites.id', '=', id);
  if (customerId) q = q.where('sites.customer_id', '=', customerId);
  return (await q.executeTakeFirst()) ?? null;
}

function missingTable(err: unknown): boolean {
  return (err as { code?: string }).code === '42P01';
}
