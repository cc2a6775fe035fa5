import type { Kysely } from 'kysely';
import { json, type Database } from '../kernel/db/index.ts';
import { generateDemoFleet } from './fleet.ts';
import { currentStateEvent, insertHealthEvents, type DemoHealthEvent } from './health-events.ts';
import { demoWorkItems } from './work-items.ts';

export { generateDemoFleet } from './fleet.ts';

/** What the registry wants each product to run with (the simulation reports it back, a few drifting). */
export function desiredStateFor(product: string): Record<string, unknown> {
  return product === 'pump-ctl' ? { mode: 'auto', setpoint_bar: 3.2, report_interval_s: 60 } : {};
}

const CHUNK = 500;

/**
 * Loads the demo fleet, its timestamps relative to `now` (the time of loading). Idempotent:
 * rows that already exist (same id) are left as they are, so `--demo` can be passed at
 * every start.
 */
export async function loadDemoData(
  db: Kysely<Database>,
  seed = 42,
  now = new Date(),
  options: { speed?: number } = {},
) {
  const fleet = generateDemoFleet(seed, now);
  // A faster demo clock (tests) shortens every heartbeat, so "silent for 3 heartbeats" comes sooner too.
  const speed = options.speed ?? 1;
  if (speed !== 1) {
    for (const d of fleet.devices) {
      d.heartbeat_interval_s = Math.max(1, Math.round(d.heartbeat_interval_s / speed));
      // …and every age with it: "seen a minute ago" stays younger than three heartbeats.
      if (d.last_seen)
        d.last_seen = new Date(now.getTime() - (now.getTime() - Date.parse(d.last_seen)) / speed).toISOString();
    }
  }
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('customers')
      .values(fleet.customers)
      .onConflict((c) => c.doNothing())
      .execute();
    await trx
      .insertInto('sites')
      .values(fleet.sites)
      .onConflict((c) => c.doNothing())
      .execute();
    await trx
      .insertInto('deployments')
      .values(fleet.deployments.map((d) => ({ ...d, state: d.state as any })))
      .onConflict((c) => c.doNothing())
      .execute();
    const health: DemoHealthEvent[] = [];
    for (let i = 0; i < fleet.devices.length; i += CHUNK) {
      const chunk = fleet.devices.slice(i, i + CHUNK);
      const inserted = await trx
        .insertInto('devices')
        .values(
          chunk.map((d) => ({
            ...d,
            role: d.role as any,
            desired_state: json(desiredStateFor(d.product_code)),
            observed_state: json(d.observed_state),
            external_refs: json(d.external_refs),
          })),
        )
        .onConflict((c) => c.doNothing())
        .returning('id')
        .execute();
      // Only devices loaded now: a restart with --demo leaves the history the fleet has made since.
      const fresh = new Set(inserted.map((r) => r.id));
      for (const d of chunk) {
        const event = fresh.has(d.id) ? currentStateEvent(d, now) : null;
        if (event) health.push(event);
      }
    }
    await insertHealthEvents(trx, health);
    await trx
      .insertInto('inventory_items')
      .values(fleet.inventory.map((i) => ({ ...i, state: i.state as any })))
      .onConflict((c) => c.doNothing())
      .execute();
    const work = demoWorkItems(fleet, now);
    if (work.length)
      await trx
        .insertInto('work_items')
        .values(work)
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
