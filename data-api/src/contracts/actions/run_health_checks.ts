import { z } from 'zod';
import { deviceIdSchema } from '../ids.ts';
import { urlSchema } from '../primitives.ts';
import { hostPortSchema, secondsSchema, secretRefSchema, type ActionDefinition } from './shared.ts';

const common = {
  name: z.string().min(1).max(120).optional().describe('label shown in the log and the run page'),
  timeout_s: secondsSchema.optional().describe('time allowed for this check (default 5 s; device_up: 60 s)'),
};

export const tcpCheckSchema = z
  .strictObject({ tcp: hostPortSchema.describe('connect to host:port'), ...common })
  .meta({ id: 'TcpCheck' });

export const udpCheckSchema = z
  .strictObject({
    udp: hostPortSchema.describe('send a probe datagram to host:port'),
    probe: z
      .enum(['semtech', 'empty'])
      .optional()
      .describe('semtech: a Semtech UDP PUSH_DATA (default for port 1700); empty: a zero-length datagram'),
    expect: z
      .enum(['reply', 'no_error'])
      .default('no_error')
      .describe('reply: a datagram must come back; no_error: passes unless an ICMP error arrives'),
    gateway_eui: z
      .string()
      .regex(/^[0-9A-Fa-f]{16}$/, { message: 'expected 16 hex digits' })
      .default('0000000000000000'),
    ...common,
  })
  .meta({ id: 'UdpCheck' });

export const httpCheckSchema = z
  .strictObject({
    http: urlSchema(['http:', 'https:'], 'http://cs-farm-north:8080/health').describe('GET this URL'),
    method: z.enum(['GET', 'HEAD']).default('GET'),
    expect_status: z.number().int().min(100).max(599).default(200).describe('expected HTTP status'),
    contains: z.string().min(1).optional().describe('the body must contain this text'),
    tls_insecure: z.boolean().default(false).describe('accept a self-signed certificate'),
    ...common,
  })
  .meta({ id: 'HttpCheck' });

export const mqttCheckSchema = z
  .strictObject({
    mqtt: urlSchema(['mqtt:', 'mqtts:', 'tcp:', 'ws:', 'wss:'], 'mqtt://cs-farm-north:1883').describe(
      'connect, then publish one message at QoS 1',
    ),
    topic: z.string().min(1).optional().describe('topic to publish to; default fleetbook/healthcheck/<run_id>'),
    username: z.string().min(1).optional(),
    password: secretRefSchema.optional(),
    ...common,
  })
  .meta({ id: 'MqttCheck' });

export const deviceUpCheckSchema = z
  .strictObject({
    device_up: deviceIdSchema.describe(
      'the registry must report this device up (GET /api/v1/devices/{id}); polled until timeout_s',
    ),
    ...common,
  })
  .meta({ id: 'DeviceUpCheck' });

export const CHECK_KINDS = ['tcp', 'udp', 'http', 'mqtt', 'device_up'] as const;
export type CheckKind = (typeof CHECK_KINDS)[number];

export const healthCheckSchema = z.union(
  [tcpCheckSchema, udpCheckSchema, httpCheckSchema, mqttCheckSchema, deviceUpCheckSchema],
  {
    error: 'expected exactly one check kind: tcp, udp, http, mqtt or device_up',
  },
);
export type HealthCheck = z.output<typeof healthCheckSchema>;

export const runHealthChecksWithSchema = z
  .strictObject({
    checks: z.array(healthCheckSchema).min(1, 'expected at least one check'),
  })
  .meta({ id: 'RunHealthChecksWith' });

export type RunHealthChecksWith = z.output<typeof runHealthChecksWithSchema>;

export const runHealthChecksDefinition = {
  type: 'run_health_checks',
  summary: 'tcp, udp, http(s), mqtt and device-up checks',
  withSchema: runHealthChecksWithSchema,
  // Checks only observe; a retry waits for a service that is still starting.
  idempotent: true,
  defaultTimeoutS: 300,
} as const satisfies ActionDefinition<'run_health_checks'>;
