// Firmware drift (GET /api/v1/fleet/firmware): where a product runs, by version and reported
// firmware, and the devices whose firmware differs from their version's baseline (the catalog's
// `firmware_baseline`). Shared by the API, OpenAPI and the FirmwareDrift widget.
import * as z from 'zod';
import { DEVICE_ROLES, productCodeSchema } from './catalog.ts';
import { idSchema } from './ids.ts';

export const DRIFT_LIST_MAX = 200;

export const fleetFirmwareQuery = z.strictObject({
  product_code: productCodeSchema.optional(),
  site_id: idSchema('site').optional(),
  customer_id: idSchema('customer').optional(),
  limit: z.coerce
    .number({ error: 'expected a number' })
    .int('expected a whole number')
    .min(0, 'expected at least 0')
    .max(DRIFT_LIST_MAX, `expected at most ${DRIFT_LIST_MAX}`)
    .default(20)
    .describe('drifting devices to list; the counts always cover every device'),
});
export type FleetFirmwareQuery = z.infer<typeof fleetFirmwareQuery>;

export const firmwareGroupSchema = z.object({
  product_code: z.string(),
  product_version: z.string().nullable().describe('null: the device has no product version in the registry'),
  baseline: z.string().nullable().describe('the firmware the catalog says this version runs; null when it names none'),
  firmware: z
    .string()
    .nullable()
    .describe('the firmware the devices report (heartbeat or state `fw`); null: not reported yet'),
  devices: z.number().int(),
  drift: z.boolean().describe('the reported firmware differs from the baseline'),
});
export type FirmwareGroup = z.infer<typeof firmwareGroupSchema>;

export const driftingDeviceSchema = z.object({
  id: z.string(),
  name: z.string().nullable(),
  product_code: z.string(),
  product_version: z.string(),
  baseline: z.string(),
  firmware: z.string(),
  site_id: z.string().nullable(),
  role: z.enum(DEVICE_ROLES),
  status: z.string(),
  last_seen: z.string().nullable(),
});
export type DriftingDevice = z.infer<typeof driftingDeviceSchema>;

export const fleetFirmwareSchema = z
  .object({
    total: z.object({
      devices: z.number().int(),
      reported: z.number().int().describe('devices that reported a firmware'),
      drift: z.number().int().describe('devices whose reported firmware differs from their baseline'),
    }),
    groups: z
      .array(firmwareGroupSchema)
      .describe('by product, version and reported firmware; drift first within a product'),
    drifting: z.array(driftingDeviceSchema).describe('the first `limit` drifting devices, by product and id'),
  })
  .meta({ id: 'FleetFirmware' });
export type FleetFirmware = z.infer<typeof fleetFirmwareSchema>;
