import { z } from 'zod';
import { hostSchema, portSchema, type ActionDefinition } from './shared.schema.ts';

export const gatewayRegions = ['AS923_1', 'EU868', 'US915'] as const;
export type GatewayRegion = (typeof gatewayRegions)[number];

export const configureGatewayWithSchema = z
  .strictObject({
    region: z.enum(gatewayRegions).describe('channel plan: AS923_1, EU868, or US915 (sub-band 2)'),
    server: hostSchema.describe('network server (ChirpStack gateway bridge) host'),
    port: portSchema.default(1700).describe('UDP port, serv_port_up and serv_port_down'),
    gateway_eui: z
      .string()
      .regex(/^[0-9A-Fa-f]{16}$/, { message: 'expected 16 hex digits (the gateway EUI)' })
      .default('AA555A0000000000')
      .describe('gateway_ID (EUI-64); usually overridden per gateway in local_conf.json'),
    concentrator: z.enum(['sx1302', 'sx1301']).default('sx1302').describe('sx1302: SX130x_conf (sx1302_hal); sx1301: SX1301_conf (legacy packet_forwarder)'),
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
