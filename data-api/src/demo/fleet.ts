/**
 * A deterministic demo fleet: the same seed always yields the same customers, sites,
 * deployments, devices and inventory, so screenshots, tutorials and tests can name them.
 */
export interface DemoFleet {
  customers: Array<{ id: string; name: string }>;
  sites: Array<{
    id: string;
    customer_id: string;
    name: string;
    timezone: string;
    lat: number;
    lon: number;
    lan_notes: string;
    region: string;
    network_server: string;
  }>;
  deployments: Array<{
    id: string;
    site_id: string;
    customer_id: string;
    name: string;
    product_code: string;
    product_version: string;
    state: string;
    planned_date: string;
    started_date: string | null;
  }>;
  devices: Array<{
    id: string;
    deployment_id: string | null;
    site_id: string | null;
    customer_id: string | null;
    product_code: string;
    product_version: string;
    role: string;
    serial: string;
    name: string;
    status: 'up' | 'down' | 'unknown';
    last_seen: string | null;
    observed_state: Record<string, unknown>;
    external_refs: Record<string, unknown>;
    heartbeat_interval_s: number;
  }>;
  inventory: Array<{ id: string; sku: string; serial: string; state: string; deployment_id: string | null }>;
}

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CUSTOMERS = [
  { id: 'cus_greenacre', name: 'Greenacre Farms' },
  { id: 'cus_northport', name: 'Northport Logistics' },
  { id: 'cus_sunvale', name: 'Sunvale Water Authority' },
];

const SITES = [
  {
    id: 'site_farm-north',
    customer_id: 'cus_greenacre',
    name: 'Farm North',
    timezone: 'Asia/Bangkok',
    lat: 18.79,
    lon: 98.98,
  },
  {
    id: 'site_farm-south',
    customer_id: 'cus_greenacre',
    name: 'Farm South',
    timezone: 'Asia/Bangkok',
    lat: 13.36,
    lon: 100.98,
  },
  {
    id: 'site_orchard-east',
    customer_id: 'cus_greenacre',
    name: 'Orchard East',
    timezone: 'Asia/Bangkok',
    lat: 12.61,
    lon: 102.1,
  },
  {
    id: 'site_dc-laem-chabang',
    customer_id: 'cus_northport',
    name: 'DC Laem Chabang',
    timezone: 'Asia/Bangkok',
    lat: 13.08,
    lon: 100.88,
  },
  {
    id: 'site_dc-bangna',
    customer_id: 'cus_northport',
    name: 'DC Bang Na',
    timezone: 'Asia/Bangkok',
    lat: 13.67,
    lon: 100.6,
  },
  {
    id: 'site_dc-lat-krabang',
    customer_id: 'cus_northport',
    name: 'DC Lat Krabang',
    timezone: 'Asia/Bangkok',
    lat: 13.72,
    lon: 100.75,
  },
  {
    id: 'site_pump-station-1',
    customer_id: 'cus_sunvale',
    name: 'Pump Station 1',
    timezone: 'Asia/Bangkok',
    lat: 14.02,
    lon: 100.53,
  },
  {
    id: 'site_reservoir-west',
    customer_id: 'cus_sunvale',
    name: 'Reservoir West',
    timezone: 'Asia/Bangkok',
    lat: 14.2,
    lon: 99.9,
  },
];

/** Which deployments each kind of site gets: product, version, devices per deployment. */
const PLANS: Record<string, Array<{ product: string; version: string; count: number }>> = {
  farm: [
    { product: 'lorawan-gw', version: '2.1.0', count: 3 },
    { product: 'soil-probe', version: '1.4.2', count: 110 },
    { product: 'soil-probe', version: '1.4.2', count: 90 },
    { product: 'pump-ctl', version: '1.5.0', count: 18 },
    { product: 'soil-probe', version: '1.3.0', count: 80 },
  ],
  dc: [
    { product: 'rfid-station', version: '3.2.0', count: 36 },
    { product: 'rfid-station', version: '3.2.0', count: 28 },
    { product: 'lorawan-gw', version: '2.1.0', count: 2 },
    { product: 'soil-probe', version: '1.4.2', count: 60 },
    { product: 'rfid-station', version: '3.1.0', count: 24 },
  ],
  water: [
    { product: 'pump-ctl', version: '1.5.0', count: 45 },
    { product: 'lorawan-gw', version: '2.0.0', count: 3 },
    { product: 'soil-probe', version: '1.4.2', count: 130 },
    { product: 'pump-ctl', version: '1.4.2', count: 40 },
    { product: 'soil-probe', version: '1.4.2', count: 120 },
  ],
};

const ROLE: Record<string, string> = {
  'lorawan-gw': 'gateway',
  'soil-probe': 'sensor',
  'rfid-station': 'station',
  'pump-ctl': 'controller',
};
const STATES = ['live', 'live', 'live', 'installing', 'planned', 'paused', 'live', 'retired'];

/**
 * Every timestamp (last_seen, deployment dates) is `now` minus an offset drawn from the
 * seed: loaded at any date, the fleet looks current (most devices up, seen within the last
 * minute) instead of frozen on one day. loadDemoData passes the time of loading; the
 * default keeps a bare call reproducible.
 */
export function generateDemoFleet(seed = 42, now = new Date('2026-11-01T00:00:00Z')): DemoFleet {
  const rand = mulberry32(seed);
  const pick = <T>(items: readonly T[]) => items[Math.floor(rand() * items.length)]!;
  const hex = (n: number) => Array.from({ length: n }, () => Math.floor(rand() * 16).toString(16)).join('');
  const day = (offsetDays: number) => new Date(now.getTime() + offsetDays * 86_400_000).toISOString().slice(0, 10);

  const fleet: DemoFleet = { customers: CUSTOMERS, sites: [], deployments: [], devices: [], inventory: [] };
  for (const site of SITES) {
    // Thailand: the AS923_1 LoRaWAN region plan.
    fleet.sites.push({
      ...site,
      region: 'AS923_1',
      lan_notes: `Site LAN 10.${20 + fleet.sites.length}.0.0/24; gateway uplink over fibre, LTE backup.`,
      // The ChirpStack stack deployed next to the site's gateways (docs/operating/chirpstack-stack.mdx).
      network_server: `10.${20 + fleet.sites.length}.0.10`,
    });
    const kind =
      site.id.includes('farm') || site.id.includes('orchard') ? 'farm' : site.id.includes('dc-') ? 'dc' : 'water';
    const slug = site.id.slice('site_'.length);
    PLANS[kind]!.forEach((plan, index) => {
      const depId = `dep_${slug}-${index + 1}`;
      // A site's gateways are its backbone: live wherever the site has anything, so the demo's
      // LoRaWAN sensors have a way to report.
      const state = plan.product === 'lorawan-gw' ? 'live' : STATES[(fleet.deployments.length * 3) % STATES.length]!;
      const started = state === 'planned' ? null : day(-200 + Math.floor(rand() * 150));
      fleet.deployments.push({
        id: depId,
        site_id: site.id,
        customer_id: site.customer_id,
        name: `${site.name} ${plan.product} #${index + 1}`,
        product_code: plan.product,
        product_version: plan.version,
        state,
        planned_date: day(-230 + index * 7),
        started_date: started,
      });
      const role = ROLE[plan.product]!;
      for (let n = 1; n <= plan.count; n++) {
        const id = `${role === 'gateway' ? 'gw' : 'dev'}_${slug}-${index + 1}-${String(n).padStart(3, '0')}`;
        const live = state === 'live' || state === 'paused';
        const roll = rand();
        // About 7% went silent an hour to a day ago: half are already down; the other half were
        // still up when loaded, so the health monitor's first pass marks them down and opens
        // their alerts, as for any device that stops reporting.
        const silent = live && roll >= 0.9 && roll < 0.97;
        const status: 'up' | 'down' | 'unknown' =
          !live || roll >= 0.97 ? 'unknown' : roll >= 0.9 && roll < 0.935 ? 'down' : 'up';
        const heartbeatS = role === 'sensor' ? 300 : 60;
        const lastSeen =
          status === 'unknown'
            ? null
            : new Date(
                now.getTime() - (silent ? 3 * heartbeatS * 1000 + 3_600_000 + rand() * 86_400_000 : rand() * 60_000),
              ).toISOString();
        const devEui = hex(16);
        fleet.devices.push({
          id,
          deployment_id: depId,
          site_id: site.id,
          customer_id: site.customer_id,
          product_code: plan.product,
          product_version: plan.version,
          role,
          serial: `${plan.product.toUpperCase().replace(/-/g, '')}-${hex(8).toUpperCase()}`,
          name: `${site.name} ${role} ${index + 1}.${n}`,
          status,
          last_seen: lastSeen,
          observed_state:
            status === 'unknown'
              ? {}
              : {
                  status,
                  last_seen: lastSeen,
                  fw: plan.version,
                  metrics: metricsFor(plan.product, rand),
                  ...(role === 'sensor'
                    ? { rssi_dbm: Math.round(-120 + rand() * 50), snr_db: Math.round((-5 + rand() * 15) * 10) / 10 }
                    : {}),
                },
          external_refs:
            role === 'sensor' || role === 'gateway'
              ? { chirpstack: { dev_eui: devEui, device_id: devEui } }
              : role === 'station'
                ? { rfid: { station_id: id, mac: macFrom(hex(12)) } }
                : {},
          heartbeat_interval_s: heartbeatS,
        });
      }
      // Spares on the shelf, allocated to this deployment or still in stock.
      for (let n = 1; n <= 3; n++) {
        fleet.inventory.push({
          id: `inv_${slug}-${index + 1}-${n}`,
          sku: `${plan.product}-${plan.version}`,
          serial: `SN-${hex(10).toUpperCase()}`,
          state: pick(['in_stock', 'allocated', 'installed', 'rma']),
          deployment_id: n === 1 ? null : depId,
        });
      }
    });
  }
  return fleet;
}

function metricsFor(product: string, rand: () => number): Record<string, number> {
  const r = (min: number, max: number, digits = 1) =>
    Math.round((min + rand() * (max - min)) * 10 ** digits) / 10 ** digits;
  switch (product) {
    case 'soil-probe':
      return { soil_moisture_pct: r(18, 42), temp_c: r(22, 34), battery_v: r(3.3, 3.7, 2) };
    case 'lorawan-gw':
      return { cpu_pct: r(5, 40), uplinks_per_min: r(20, 200, 0), temp_c: r(30, 55) };
    case 'rfid-station':
      return { reads_per_min: r(0, 120, 0), temp_c: r(25, 45) };
    default:
      return { flow_lpm: r(0, 400, 0), pressure_bar: r(1.5, 4.5), motor_temp_c: r(35, 70) };
  }
}

const macFrom = (hex: string) => hex.match(/../g)!.join(':');
