import { z } from 'zod';
import { deviceIdSchema } from '../ids.ts';
import { gatewayRegionSchema } from './configure_gateway.ts';
import { hostPortSchema, secondsSchema, secretRefSchema, type ActionDefinition } from './shared.ts';

/** ChirpStack ids are UUIDs (tenant, application, device profile). */
const uuidSchema = z
  .string()
  .regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, {
    message: 'expected a UUID like 52f14cd4-c6f1-4fbd-8f87-4025e1d49242 (ChirpStack shows it on the tenant page)',
  })
  .transform((s) => s.toLowerCase());

const euiSchema = (what: string) =>
  z
    .string()
    .regex(/^[0-9a-fA-F]{16}$/, { message: `expected the ${what} as 16 hex digits` })
    .transform((s) => s.toLowerCase());

/** Tags and variables: ChirpStack keeps them as string maps. */
const tagsSchema = z.record(
  z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'expected a tag name (letters, digits, _ . -)'),
  z.string().max(500),
);

export const MAC_VERSIONS = ['1.0.0', '1.0.1', '1.0.2', '1.0.3', '1.0.4', '1.1.0'] as const;
export const REG_PARAMS_REVISIONS = [
  'A',
  'B',
  'RP002-1.0.0',
  'RP002-1.0.1',
  'RP002-1.0.2',
  'RP002-1.0.3',
  'RP002-1.0.4',
  'RP002-1.0.5',
] as const;

export const lorawanDeviceSchema = z
  .strictObject({
    device: deviceIdSchema.describe('the registry device; its external_refs.chirpstack is written back'),
    dev_eui: euiSchema('DevEUI'),
    join_eui: euiSchema('JoinEUI (AppEUI)')
      .optional()
      .describe('default: none (ChirpStack learns it from the first join)'),
    name: z.string().min(1).max(100).optional().describe('name in ChirpStack; default the registry device id'),
    description: z.string().max(500).default(''),
    app_key: secretRefSchema.describe(
      'OTAA root key (32 hex digits), by reference. LoRaWAN 1.0.x: the AppKey (ChirpStack keeps it as nwk_key); 1.1: the AppKey',
    ),
    nwk_key: secretRefSchema.optional().describe('LoRaWAN 1.1 only: the NwkKey, by reference'),
    tags: tagsSchema.default({}),
  })
  .meta({ id: 'LorawanDevice' });

export const provisionLorawanDevicesWithSchema = z
  .strictObject({
    server: hostPortSchema.describe("ChirpStack v4 gRPC API, host:port (ChirpStack's api.bind, 8080 by default)"),
    tls: z
      .boolean()
      .default(false)
      .describe('TLS to the API (ChirpStack serves plain HTTP/2 unless a proxy terminates TLS)'),
    ca_file: z.string().min(1).optional().describe('PEM file of the CA that signed the API certificate (with tls)'),
    api_token: secretRefSchema
      .default({ secret: 'env:CHIRPSTACK_API_TOKEN' })
      .describe('ChirpStack API key (a tenant key is enough), by reference; sent as authorization: Bearer …'),
    tenant_id: uuidSchema.describe('the ChirpStack tenant the application and device profile belong to'),
    application: z
      .strictObject({
        id: uuidSchema
          .optional()
          .describe('an existing application; default: found by name in the tenant, created if missing'),
        name: z.string().min(1).max(100),
        description: z.string().max(500).default(''),
        tags: tagsSchema.default({}),
      })
      .describe('the ChirpStack application of the devices'),
    device_profile: z
      .strictObject({
        name: z
          .string()
          .min(1)
          .max(100)
          .describe('found by name in the tenant, created if missing, updated when it differs'),
        description: z.string().max(500).default(''),
        region: gatewayRegionSchema.describe('EU868, US915, AS923_1 … AS923_4 (the gateway plan)'),
        region_config_id: z
          .string()
          .regex(/^[a-z0-9_]{1,64}$/, { message: 'expected a ChirpStack region id like eu868 or as923_2' })
          .optional()
          .describe(
            'pin the profile to one [[regions]] id of chirpstack.toml; default: any region of that common name',
          ),
        mac_version: z.enum(MAC_VERSIONS).default('1.0.3').describe('LoRaWAN MAC version of the devices'),
        reg_params_revision: z.enum(REG_PARAMS_REVISIONS).default('A').describe('regional parameters revision'),
        adr_algorithm_id: z.string().min(1).max(100).default('default'),
        uplink_interval_s: z
          .number()
          .int()
          .min(1)
          .max(86_400 * 7)
          .default(3600)
          .describe('expected uplink interval'),
        supports_class_c: z.boolean().default(false),
        payload_codec: z.enum(['none', 'cayenne_lpp', 'js']).default('none'),
        payload_codec_script_file: z
          .string()
          .min(1)
          .optional()
          .describe('with payload_codec js: the codec file (read when the action runs)'),
        tags: tagsSchema.default({}),
      })
      .refine((p) => (p.payload_codec === 'js') === (p.payload_codec_script_file !== undefined), {
        message: 'payload_codec js needs payload_codec_script_file, and only js takes one',
        path: ['payload_codec_script_file'],
      }),
    devices: z
      .array(lorawanDeviceSchema)
      .min(1, 'expected at least one device')
      .max(1000)
      .superRefine((devices, ctx) => {
        const seen = new Map<string, number>();
        devices.forEach((d, i) => {
          for (const [field, value] of [
            ['dev_eui', d.dev_eui],
            ['device', d.device],
          ] as const) {
            const key = `${field}:${value}`;
            const first = seen.get(key);
            if (first !== undefined)
              ctx.addIssue({
                code: 'custom',
                path: [i, field],
                message: `duplicate ${field} ${value} (also devices[${first}])`,
              });
            else seen.set(key, i);
          }
        });
      })
      .describe('the devices to create or update, with their OTAA keys by reference'),
    call_timeout_s: secondsSchema.default(15).describe('deadline of each API call'),
  })
  .meta({ id: 'ProvisionLorawanDevicesWith' });

export type ProvisionLorawanDevicesWith = z.output<typeof provisionLorawanDevicesWithSchema>;
export type LorawanDevice = z.output<typeof lorawanDeviceSchema>;

export const provisionLorawanDevicesDefinition = {
  type: 'provision_lorawan_devices',
  summary: 'ChirpStack v4: create or update the application, device profile, devices and their OTAA keys (gRPC API)',
  withSchema: provisionLorawanDevicesWithSchema,
  // Every object is looked up first and only written when it differs: a repeat changes nothing.
  idempotent: true,
  defaultTimeoutS: 300,
} as const satisfies ActionDefinition<'provision_lorawan_devices'>;
