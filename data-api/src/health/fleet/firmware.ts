// Firmware drift: devices by product, version and reported firmware against the catalog's
// baseline, in two queries whatever the fleet's size (a group-by, and the first drifting rows).
import { sql, type Kysely } from 'kysely';
import type { DriftingDevice, FleetFirmware, FleetFirmwareQuery } from '../../contracts/firmware.ts';
import type { Database } from '../../kernel/db/index.ts';

const FW = sql<string | null>`d.observed_state->>'fw'`;
const DRIFT = sql<boolean>`(d.observed_state->>'fw' is not null and pv.firmware_baseline is not null and d.observed_state->>'fw' <> pv.firmware_baseline)`;

/** `customerId` is the caller's tenant (null: unscoped), applied whatever the filters say. */
export async function fleetFirmware(
  db: Kysely<Database>,
  customerId: string | null,
  q: FleetFirmwareQuery,
): Promise<FleetFirmware> {
  const from = () => {
    let qb = db
      .selectFrom('devices as d')
      .leftJoin('product_versions as pv', (j) =>
        j.onRef('pv.product_code', '=', 'd.product_code').onRef('pv.version', '=', 'd.product_version'),
      );
    if (customerId) qb = qb.where('d.customer_id', '=', customerId);
    if (q.customer_id) qb = qb.where('d.customer_id', '=', q.customer_id);
    if (q.site_id) qb = qb.where('d.site_id', '=', q.site_id);
    if (q.product_code) qb = qb.where('d.product_code', '=', q.product_code);
    return qb;
  };

  const groups = await from()
    .select([
      'd.product_code',
      'd.product_version',
      'pv.firmware_baseline as baseline',
      FW.as('firmware'),
      DRIFT.as('drift'),
      (eb) => eb.fn.countAll<string>().as('devices'),
    ])
    .groupBy(['d.product_code', 'd.product_version', 'pv.firmware_baseline', FW, DRIFT])
    .execute();

  const drifting = q.limit
    ? await from()
        .select([
          'd.id',
          'd.name',
          'd.product_code',
          'd.product_version',
          'pv.firmware_baseline as baseline',
          FW.as('firmware'),
          'd.site_id',
          'd.role',
          'd.status',
          'd.last_seen',
        ])
        .where(DRIFT)
        .orderBy('d.product_code')
        .orderBy('d.id')
        .limit(q.limit)
        .execute()
    : [];

  // Nulls (no version, nothing reported) last.
  const cmp = (a: string | null, b: string | null) =>
    a === b ? 0 : a === null ? 1 : b === null ? -1 : a.localeCompare(b, undefined, { numeric: true });
  const rows = groups
    .map((g) => ({
      product_code: g.product_code,
      product_version: g.product_version,
      baseline: g.baseline,
      firmware: g.firmware,
      devices: Number(g.devices),
      drift: !!g.drift,
    }))
    .sort(
      (a, b) =>
        a.product_code.localeCompare(b.product_code) ||
        cmp(a.product_version, b.product_version) ||
        Number(b.drift) - Number(a.drift) ||
        b.devices - a.devices ||
        cmp(a.firmware, b.firmware),
    );
  return {
    total: {
      devices: rows.reduce((n, g) => n + g.devices, 0),
      reported: rows.reduce((n, g) => n + (g.firmware !== null ? g.devices : 0), 0),
      drift: rows.reduce((n, g) => n + (g.drift ? g.devices : 0), 0),
    },
    groups: rows,
    drifting: drifting.map((d): DriftingDevice => ({
      id: d.id,
      name: d.name,
      product_code: d.product_code,
      product_version: d.product_version!,
      baseline: d.baseline!,
      firmware: d.firmware!,
      site_id: d.site_id,
      role: d.role as DriftingDevice['role'],
      status: d.status,
      last_seen: d.last_seen ? new Date(d.last_seen).toISOString() : null,
    })),
  };
}
