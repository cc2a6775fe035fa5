import type { Kysely } from 'kysely';
import { json, type Database } from '../db/index.ts';
import { generateDemoFleet } from './fleet.ts';

export { generateDemoFleet } from './fleet.ts';

const CHUNK = 500;

/**
 * Loads the demo fleet, its timestamps relative to `now` (the time of loading). Idempotent:
 * rows that already exist (same id) are left as they are, so `--demo` can be passed at
 * every start.
 */
export async function loadDemoData(db: Kysely<Database>, seed = 42, now = new Date()) {
  const fleet = generateDemoFleet(seed, now);
  await db.transaction().execute(async (trx) => {
    await trx.insertInto('customers').values(fleet.customers).onConflict((c) => c.doNothing()).execute();
    await trx.insertInto('sites').values(fleet.sites).onConflict((c) => c.doNothing()).execute();
    await trx
      .insertInto('deployments')
      .values(fleet.deployments.map((d) => ({ ...d, state: d.state as any })))
      .onConflict((c) => c.doNothing())
      .execute();
    for (let i = 0; i < fleet.devices.length; i += CHUNK) {
      await trx
        .insertInto('devices')
        .values(
          fleet.devices.slice(i, i + CHUNK).map((d) => ({
            ...d,
            role: d.role as any,
            desired_state: json({}),
            observed_state: json(d.observed_state),
            external_refs: json(d.external_refs),
          })),
        )
        .onConflict((c) => c.doNothing())
        .execute();
    }
    await trx
      .insertInto('inventory_items')
      .values(fleet.inventory.map((i) => ({ ...i, state: i.state as any })))
      .onConflict((c) => c.doNothing())
      .execute();
  });
  return {
    customers: fleet.customers.length,
    sites: fleet.sites.length,
    deployments: fleet.deployments.length,
    devices: fleet.devices.length,
    inventory: fleet.inventory.length,
  };
}
