// Route schemas of the monitor area. No server-only imports: the browser may import them.
import { z } from 'zod';
import { FROM_BEFORE_TO, fromBeforeTo, isoDateTime as isoDate } from './primitives.ts';
import { FLEET_GROUPS, fleetFilters, fleetGroupBy } from './fleet.ts';

export const uptimeQuery = z
  .strictObject({
    group_by: fleetGroupBy.default('site'),
    from: isoDate.optional().describe('default: 30 days before `to`'),
    to: isoDate.optional().describe('default: now'),
    site_id: fleetFilters.site_id.describe('only time the devices spent at this site'),
    customer_id: fleetFilters.customer_id.describe("only time the devices spent at this customer's sites"),
    product_code: fleetFilters.product_code.describe('only devices of this product (the one each transition recorded)'),
  })
  .refine(fromBeforeTo, FROM_BEFORE_TO);

export const uptimeSchema = z
  .object({
    group_by: z.enum(FLEET_GROUPS),
    from: z.string(),
    to: z.string(),
    items: z.array(
      z.object({
        id: z.string().describe('customer id, site id or product code'),
        name: z.string().nullable(),
        uptime_pct: z
          .number()
          .nullable()
          .describe('up time / (up time + down time) × 100; null when nothing was monitored'),
        up_s: z.number(),
        down_s: z.number(),
        devices: z.number().int().describe('devices with a known health state in the window'),
      }),
    ),
  })
  .meta({ id: 'Uptime' });
export type Uptime = z.infer<typeof uptimeSchema>;
export type UptimeQuery = z.output<typeof uptimeQuery>;

/**
 * The uptime CSV's file name (the API adds the time): the grouping and each filter, so the
 * downloads of two selections do not overwrite each other, e.g. `uptime-by-site-product-lorawan-gw`.
 * Letters, digits, `_` and `-` only: anything else in a value becomes `-`. The API names its
 * `Accept: text/csv` answer with it and FleetHealth's CSV button asks for the same.
 */
export function uptimeCsvName(q: Pick<UptimeQuery, 'group_by' | 'customer_id' | 'site_id' | 'product_code'>): string {
  const filters: Array<[string, string | undefined]> = [
    ['customer', q.customer_id],
    ['site', q.site_id],
    ['product', q.product_code],
  ];
  const parts = ['uptime-by', fileSafe(q.group_by)];
  for (const [name, value] of filters) {
    const safe = value ? fileSafe(value) : '';
    if (safe) parts.push(name, safe);
  }
  return parts.join('-');
}

const fileSafe = (v: string) => v.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '');
