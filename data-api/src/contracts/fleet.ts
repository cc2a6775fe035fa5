// Route schemas of the fleet area. No server-only imports: the browser may import them.
import { z } from 'zod';
import { idSchema } from './ids.ts';

export const FLEET_GROUPS = ['site', 'product', 'customer'] as const;
export type FleetGroupBy = (typeof FLEET_GROUPS)[number];

export const fleetGroupBy = z.enum(FLEET_GROUPS, { error: `expected one of ${FLEET_GROUPS.join(', ')}` });

/** The fleet filters, named and checked as on the device list: /fleet/health and /uptime take them. */
export const fleetFilters = {
  site_id: idSchema('site').optional(),
  customer_id: idSchema('customer').optional(),
  product_code: z.string().max(64).optional(),
};

export const fleetHealthQuery = z.strictObject({
  group_by: fleetGroupBy.default('site'),
  ...fleetFilters,
});
export type FleetHealthQuery = z.infer<typeof fleetHealthQuery>;

const counts = {
  up: z.number().int(),
  down: z.number().int(),
  unknown: z.number().int(),
  total: z.number().int(),
};

export const fleetHealthGroupSchema = z.object({
  key: z
    .string()
    .describe('site id, product code or customer id; "(none)" for devices in stock (no site, no customer)'),
  name: z.string().describe('the site, product or customer name (the key when it has none)'),
  ...counts,
});

export const fleetHealthSchema = z
  .object({
    group_by: z.enum(FLEET_GROUPS),
    total: z.object(counts),
    groups: z.array(fleetHealthGroupSchema).describe('most devices down first, then by name'),
  })
  .meta({ id: 'FleetHealth' });
export type FleetHealth = z.infer<typeof fleetHealthSchema>;
export type FleetHealthGroup = z.infer<typeof fleetHealthGroupSchema>;
