// `POST /api/v1/simulator/fleet`: the simulated fleet `fleetbook simulate` publishes as.
import * as z from 'zod';

export const simulatorFleetBodySchema = z.strictObject({ devices: z.number().int().min(1).max(100_000) });

export const simDeviceSchema = z.object({
  id: z.string(),
  site_id: z.string(),
  role: z.enum(['gateway', 'sensor', 'controller']),
  gateway_id: z.string().optional(),
  token: z.string().optional().describe('MQTT password of the device (shown once)'),
});
export type SimDevice = z.infer<typeof simDeviceSchema>;

export const simulatorFleetSchema = z.object({ mqtt_url: z.string().nullable(), devices: z.array(simDeviceSchema) });
