import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Principal } from '../kernel/auth/roles.ts';
import type { Database, Deployment as DeploymentRow, Site as SiteRow } from '../kernel/db/index.ts';
import { notFound, validationError } from '../kernel/errors/index.ts';
import { assertInScope } from '../kernel/auth/tenancy.ts';

// The lookups the registry's resources make of each other: kept below them all, so sites,
// deployments, devices and inventory import this and never each other in a circle.

export async function findSite(db: Kysely<Database>, who: Principal, id: string): Promise<SiteRow> {
  const row = await db.selectFrom('sites').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('site', id);
  assertInScope(who, row.customer_id, 'site', id);
  return row;
}

export async function findDeployment(db: Kysely<Database>, who: Principal, id: string): Promise<DeploymentRow> {
  const row = await db.selectFrom('deployments').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('deployment', id);
  assertInScope(who, row.customer_id, 'deployment', id);
  return row;
}

/** The product catalog (docs/products) names what can be deployed. */
export async function assertProductVersion(
  db: Kysely<Database>,
  code: string,
  version: string | null | undefined,
  path: string,
): Promise<void> {
  const product = await db.selectFrom('products').select('code').where('code', '=', code).executeTakeFirst();
  if (!product)
    throw validationError([
      {
        path: `${path}.product_code`,
        message: `unknown product ${code}: products are declared in docs/products/<code>/index.mdx`,
      },
    ]);
  if (version) {
    const v = await db
      .selectFrom('product_versions')
      .select('version')
      .where('product_code', '=', code)
      .where('version', '=', version)
      .executeTakeFirst();
    if (!v)
      throw validationError([
        { path: `${path}.product_version`, message: `product ${code} has no version ${version}` },
      ]);
  }
}

/** The contract's heartbeat interval for a device whose product declares none (docs/contracts/mqtt.mdx). */
export const DEFAULT_HEARTBEAT_S = 60;

/**
 * A new device's heartbeat interval when its creator gives none: its product's
 * (`heartbeat_interval_s` in docs/products/<code>/index.mdx), else `fallback`. Without it a
 * soil probe that reports every 15 minutes would be marked down after 3.
 */
export function productHeartbeat(code: string, fallback = DEFAULT_HEARTBEAT_S): RawBuilder<number> {
  return sql<number>`coalesce((select (spec->>'heartbeat_interval_s')::int from products where code = ${code}), ${fallback})`;
}
