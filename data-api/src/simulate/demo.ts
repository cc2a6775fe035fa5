import type { Logger } from 'pino';
import type { AppContext } from '../context.ts';
import { issueDeviceTokens } from '../ingest/credentials.ts';
import { Simulation, type SimDevice } from './simulator.ts';

export interface DemoSimulation {
  simulation: Simulation;
  stop(): Promise<void>;
}

/**
 * A light simulation over the registry's own devices (the demo fleet), so dashboards move
 * on `FLEETBOOK_SIMULATE=1 fleetbook start --demo`: each site's gateways carry the
 * readings of every other device of the site, each device reporting about once every
 * 30 s. Gateways connect with freshly issued tokens, as real ones would.
 */
export async function startDemoSimulation(ctx: AppContext, options: { logger?: Logger; readingsEveryS?: number } = {}): Promise<DemoSimulation> {
  const broker = ctx.broker;
  if (!broker) throw new Error('no broker');
  const rows = await ctx.db.selectFrom('devices').select(['id', 'site_id', 'role']).where('site_id', 'is not', null).orderBy('id').execute();
  const bySite = new Map<string, { gateways: string[]; others: string[] }>();
  for (const r of rows) {
    const site = bySite.get(r.site_id!) ?? { gateways: [], others: [] };
    (r.role === 'gateway' ? site.gateways : site.others).push(r.id);
    bySite.set(r.site_id!, site);
  }
  const devices: SimDevice[] = [];
  for (const [siteId, site] of bySite) {
    if (!site.gateways.length) continue;
    for (const g of site.gateways) devices.push({ id: g, site_id: siteId, role: 'gateway' });
    site.others.forEach((id, i) => devices.push({ id, site_id: siteId, role: 'sensor', gateway_id: site.gateways[i % site.gateways.length] }));
  }
  if (!devices.length) throw new Error('no devices with a gateway at their site: load the demo fleet (--demo) first');
  const tokens = await issueDeviceTokens(ctx.db, 'system:simulator', devices.filter((d) => d.role === 'gateway').map((d) => d.id));
  for (const d of devices) d.token = tokens.get(d.id);
  const readers = devices.filter((d) => d.role === 'sensor').length;
  const simulation = new Simulation({
    url: broker.url,
    devices,
    rate: readers / (options.readingsEveryS ?? 30),
    durationS: 0,
    gatewayFlushMs: 5000,
    heartbeatEveryMs: 30_000,
  });
  await simulation.start();
  options.logger?.info({ gateways: tokens.size, devices: readers }, 'demo simulation running');
  return {
    simulation,
    async stop() {
      await simulation.stop();
    },
  };
}
