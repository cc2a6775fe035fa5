import { sql, type Kysely } from 'kysely';
import { recordAudit } from '../../kernel/audit/service.ts';
import { emitChange } from '../../kernel/changes/service.ts';
import type { Database } from '../../kernel/db/index.ts';
import { issueDeviceTokens } from '../../telemetry/ingest/credentials.ts';
import type { SimDevice } from './simulator.ts';

export const SIM_CUSTOMER = 'cus_sim';
const PER_SITE = 250;
const GATEWAYS_PER_SITE = 2;
const CONTROLLERS_PER_SITE = 25;

/** The simulated fleet's layout: sites of 250 devices (2 gateways, 25 controllers, the rest sensors). */
export function simFleetLayout(total: number): SimDevice[] {
  const devices: SimDevice[] = [];
  const sites = Math.max(1, Math.ceil(total / PER_SITE));
  let left = total;
  for (let s = 1; s <= sites && left > 0; s++) {
    const site = `site_sim-${s}`;
    const here = Math.min(PER_SITE, left);
    left -= here;
    const gateways = Math.min(GATEWAYS_PER_SITE, here);
    const controllers = Math.min(CONTROLLERS_PER_SITE, here - gateways);
    for (let g = 1; g <= gateways; g++) devices.push({ id: `gw_sim-${s}-${g}`, site_id: site, role: 'gateway' });
    for (let c = 1; c <= controllers; c++)
      devices.push({ id: `dev_sim-${s}-c${c}`, site_id: site, role: 'controller' });
    for (let n = 1; n <= here - gateways - controllers; n++) {
      devices.push({
        id: `dev_sim-${s}-${n}`,
        site_id: site,
        role: 'sensor',
        gateway_id: `gw_sim-${s}-${((n - 1) % gateways) + 1}`,
      });
    }
  }
  return devices;
}

/**
 * Creates the simulated fleet in the registry if missing (customer `cus_sim`, sites
 * `site_sim-N`, one live deployment per site) and issues a fresh MQTT token to every
 * device. Idempotent on ids; tokens rotate at every call.
 */
export async function provisionSimFleet(db: Kysely<Database>, actor: string, total: number): Promise<SimDevice[]> {
  const devices = simFleetLayout(total);
  const sites = [...new Set(devices.map((d) => d.site_id))];
  await db.transaction().execute(async (trx) => {
    await sql`insert into customers (id, name) values (${SIM_CUSTOMER}, 'Simulated fleet') on conflict do nothing`.execute(
      trx,
    );
    const siteRows = sites.map((id) => ({ id, customer_id: SIM_CUSTOMER, name: `Simulated ${id.slice(5)}` }));
    await sql`
      insert into sites (id, customer_id, name, timezone)
      select id, customer_id, name, 'UTC' from jsonb_to_recordset(${JSON.stringify(siteRows)}::jsonb) as x(id text, customer_id text, name text)
      on conflict do nothing`.execute(trx);
    const deployments = sites.map((id) => ({ id: `dep_${id.slice(5)}`, site_id: id, customer_id: SIM_CUSTOMER }));
    await sql`
      insert into deployments (id, site_id, customer_id, name, product_code, product_version, state)
      select id, site_id, customer_id, id, 'soil-probe', '1.4.2', 'live'
      from jsonb_to_recordset(${JSON.stringify(deployments)}::jsonb) as x(id text, site_id text, customer_id text)
      on conflict do nothing`.execute(trx);
    const product = { gateway: 'lorawan-gw', controller: 'pump-ctl', sensor: 'soil-probe' } as const;
    const rows = devices.map((d) => ({
      id: d.id,
      site_id: d.site_id,
      customer_id: SIM_CUSTOMER,
      deployment_id: `dep_${d.site_id.slice(5)}`,
      product_code: product[d.role],
      role: d.role,
      name: d.id,
    }));
    for (let i = 0; i < rows.length; i += 1000) {
      await sql`
        insert into devices (id, site_id, customer_id, deployment_id, product_code, role, name, heartbeat_interval_s)
        select id, site_id, customer_id, deployment_id, product_code, role, name, 60
        from jsonb_to_recordset(${JSON.stringify(rows.slice(i, i + 1000))}::jsonb)
          as x(id text, site_id text, customer_id text, deployment_id text, product_code text, role text, name text)
        on conflict do nothing`.execute(trx);
    }
    await recordAudit(trx, actor, {
      action: 'simulator.provision',
      entity: 'customer',
      entityId: SIM_CUSTOMER,
      customerId: SIM_CUSTOMER,
      after: { devices: devices.length, sites: sites.length },
    });
    // Ingest caches learn of the new devices through the change feed.
    for (const site of sites)
      await emitChange(trx, {
        type: 'site.devices_provisioned',
        subject: { type: 'site', id: site },
        customerId: SIM_CUSTOMER,
        siteId: site,
      });
  });
  const tokens = await issueDeviceTokens(
    db,
    actor,
    devices.map((d) => d.id),
  );
  return devices.map((d) => ({ ...d, token: tokens.get(d.id) }));
}
