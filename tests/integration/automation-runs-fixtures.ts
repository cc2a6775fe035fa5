import net from 'node:net';
import path from 'node:path';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../data-api/src/kernel/db/index.ts';
import { createStandIns, type StandIns } from '../helpers/stand-ins.ts';
import { startFakeProxmox, type FakeProxmox } from '../helpers/fake-proxmox.ts';
import type { Client } from '../helpers/registry.ts';
import { must } from '../helpers/registry.ts';

// Shared by tests/integration/automation-runs-*.test.ts: a deployment in the registry, a spec
// that runs fast against the local fakes (Proxmox, stand-in ssh, a TCP port, the API itself
// for device_up), and a TCP proxy in front of the API that can be taken down and back up.

export const PVE_TOKEN = 'automation@pve!fleetbook=4c0e5a3e-1f2b-4c3d-9e8f-0a1b2c3d4e5f';

export const backend = () => (process.env.TEST_DATABASE_URL ? 'PostgreSQL' : 'PGlite');

export interface Fakes {
  pve: FakeProxmox;
  bin: StandIns;
  tcpPort: number;
  env: NodeJS.ProcessEnv;
  close(): Promise<void>;
}

export async function startFakes(dir: string): Promise<Fakes> {
  const pve = await startFakeProxmox({ token: PVE_TOKEN, taskPolls: 1 });
  const bin = createStandIns(path.join(dir, 'bin'), { ssh: { stdout: [' Container chirpstack-1  Started'] } });
  const tcp = net.createServer((s) => s.end());
  const tcpPort = await new Promise<number>((resolve) =>
    tcp.listen(0, '127.0.0.1', () => resolve((tcp.address() as net.AddressInfo).port)),
  );
  return {
    pve,
    bin,
    tcpPort,
    env: { ...process.env, PROXMOX_TOKEN: PVE_TOKEN, PATH: bin.path },
    async close() {
      await pve.close();
      tcp.close();
    },
  };
}

export interface Seeded {
  customer: string;
  site: string;
  deployment: string;
  gateway: string;
}

/** A customer, a site, a live lorawan-gw deployment and its gateway (reported up), through the API. */
export async function seedDeployment(
  db: Kysely<Database>,
  admin: Client,
  tag: string,
  opts: { state?: string; gatewayUp?: boolean } = {},
): Promise<Seeded> {
  const customer = `cus_${tag}`;
  const site = `site_${tag}`;
  const deployment = `dep_${tag}`;
  const gateway = `gw_${tag}-1`;
  await must(admin.post('/customers', { id: customer, name: `Customer ${tag}` }));
  await must(admin.post('/sites', { id: site, customer_id: customer, name: `Site ${tag}` }));
  await must(
    admin.post('/deployments', {
      id: deployment,
      site_id: site,
      product_code: 'lorawan-gw',
      product_version: '2.1.0',
      state: opts.state ?? 'live',
    }),
  );
  await must(
    admin.post('/devices', {
      id: gateway,
      deployment_id: deployment,
      site_id: site,
      product_code: 'lorawan-gw',
      role: 'gateway',
      name: `gateway ${tag}`,
    }),
  );
  if (opts.gatewayUp !== false) {
    // observed_state is the ingest's to write; the tests stand in for a heartbeat.
    await sql`update devices set status = 'up', observed_state = '{"status":"up"}'::jsonb where id = ${gateway}`.execute(
      db,
    );
  }
  return { customer, site, deployment, gateway };
}

/** A spec for the deployment that runs in well under a second against the fakes. */
export function fastSpec(
  fakes: Fakes,
  s: Pick<Seeded, 'deployment' | 'gateway'>,
  opts: { project?: string; failChecks?: boolean; vm?: boolean } = {},
): Record<string, any> {
  return {
    spec_version: 1,
    project: opts.project ?? 'farm-north-lorawan',
    deployment_id: s.deployment,
    product_code: 'lorawan-gw',
    product_version: '2.1.0',
    targets: { gateways: [s.gateway], devices: [], stations: [] },
    actions: [
      ...(opts.vm === false
        ? []
        : [
            {
              id: 'vm',
              type: 'provision_vm',
              with: {
                api_url: fakes.pve.url,
                node: 'pve1',
                template_vmid: 9000,
                name: 'cs-farm-north',
                ip: '10.0.0.21/24',
                poll_interval_s: 0.01,
                token: { secret: 'env:PROXMOX_TOKEN' },
              },
            },
          ]),
      { id: 'stack', type: 'deploy_compose_stack', with: { stack: 'chirpstack', host: 'cs-farm-north', user: 'ops' } },
      { id: 'gw', type: 'configure_gateway', with: { region: 'AS923_1', server: 'cs-farm-north', port: 1700 } },
      {
        id: 'checks',
        type: 'run_health_checks',
        with: {
          checks: [
            { tcp: `127.0.0.1:${fakes.tcpPort}` },
            { device_up: s.gateway, timeout_s: 5 },
            ...(opts.failChecks ? [{ name: 'closed port', tcp: '127.0.0.1:1', timeout_s: 1 }] : []),
          ],
        },
      },
      { id: 'ticket', type: 'open_ticket_on_failure' },
    ],
  };
}

/** A TCP proxy in front of the API: `down()` closes the port and every connection, `up()` opens the same port again. */
export async function startProxy(targetPort: number) {
  let server: net.Server | null = null;
  const sockets = new Set<net.Socket>();
  let port = 0;
  const up = () =>
    new Promise<void>((resolve, reject) => {
      const s = net.createServer((client) => {
        const upstream = net.connect(targetPort, '127.0.0.1');
        sockets.add(client);
        sockets.add(upstream);
        const end = () => {
          client.destroy();
          upstream.destroy();
          sockets.delete(client);
          sockets.delete(upstream);
        };
        client.on('error', end).on('close', end);
        upstream.on('error', end).on('close', end);
        client.pipe(upstream).pipe(client);
      });
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => {
        port = (s.address() as net.AddressInfo).port;
        server = s;
        resolve();
      });
    });
  const down = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      sockets.clear();
      if (!server) return resolve();
      const s = server;
      server = null;
      s.close(() => resolve());
    });
  await up();
  return { url: () => `http://127.0.0.1:${port}`, up, down, isUp: () => server !== null };
}
