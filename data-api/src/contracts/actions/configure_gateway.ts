import { z } from 'zod';
import { hostSchema, portSchema, type ActionDefinition } from './shared.ts';

export const gatewayRegions = ['EU868', 'US915', 'AS923_1', 'AS923_2', 'AS923_3', 'AS923_4'] as const;
export type GatewayRegion = (typeof gatewayRegions)[number];

/** RP002 writes AS923-2, ChirpStack as923_2, execution specs AS923_2: the hyphen form is accepted too. */
const regionSpellings = [...gatewayRegions, 'AS923-1', 'AS923-2', 'AS923-3', 'AS923-4'] as const;
export const gatewayRegionSchema = z
  .enum(regionSpellings, { error: `expected one of ${gatewayRegions.join(', ')} (AS923-1 … AS923-4 also accepted)` })
  .transform((v) => v.replace('-', '_') as GatewayRegion);

export const configureGatewayWithSchema = z
  .strictObject({
    region: gatewayRegionSchema.describe(
      'channel plan: EU868, US915 (sub-band 2), AS923_1 … AS923_4 (RP002 AS923-1 … -4)',
    ),
    server: hostSchema.describe('network server (ChirpStack gateway bridge) host'),
    port: portSchema.default(1700).describe('UDP port, serv_port_up and serv_port_down'),
    gateway_eui: z
      .string()
      .regex(/^[0-9A-Fa-f]{16}$/, { message: 'expected 16 hex digits (the gateway EUI)' })
      .default('AA555A0000000000')
      .describe('gateway_ID (EUI-64); usually overridden per gateway in local_conf.json'),
    concentrator: z
      .enum(['sx1302', 'sx1301'])
      .default('sx1302')
      .describe('sx1302: SX130x_conf (sx1302_hal); sx1301: SX1301_conf (legacy packet_forwarder)'),
    output: z.string().min(1).optional().describe('also write the file here (besides the run artifact)'),
  })
  .meta({ id: 'ConfigureGatewayWith' });

export type ConfigureGatewayWith = z.output<typeof configureGatewayWithSchema>;

export const configureGatewayDefinition = {
  type: 'configure_gateway',
  summary: 'render the Semtech UDP packet forwarder global_conf.json for a region plan',
  withSchema: configureGatewayWithSchema,
  idempotent: true,
  defaultTimeoutS: 60,
} as const satisfies ActionDefinition<'configure_gateway'>;
