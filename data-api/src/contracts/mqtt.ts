// Shared by the API and the browser (no server-only imports here).
//
// contracts.md § MQTT: topics and payloads are a long-lived contract. One zod schema per
// payload; the ingest validates with these, the docs describe them, and firmware
// scaffolds and the simulator produce them.
import * as z from 'zod';

export const TOPIC_ROOT = 'fleetbook/v1';

/** device → cloud topic suffixes the ingest subscribes to. */
export const INGEST_KINDS = ['telemetry', 'heartbeat', 'state', 'batch', 'cmd/result'] as const;
export type IngestKind = (typeof INGEST_KINDS)[number];

/** `fleetbook/v1/{site_id}/{device_id}/{kind}` */
export const topicFor = (siteId: string, deviceId: string, kind: IngestKind | 'cmd'): string =>
  `${TOPIC_ROOT}/${siteId}/${deviceId}/${kind}`;

export interface ParsedTopic {
  site_id: string;
  device_id: string;
  kind: IngestKind | 'cmd';
}

/** Splits a fleetbook topic, or returns null when it is not one. */
export function parseTopic(topic: string): ParsedTopic | null {
  // By index rather than split/join: the ingest parses every message's topic.
  if (!topic.startsWith(TOPIC_PREFIX)) return null;
  const siteEnd = topic.indexOf('/', TOPIC_PREFIX.length);
  const deviceEnd = siteEnd < 0 ? -1 : topic.indexOf('/', siteEnd + 1);
  if (deviceEnd < 0) return null;
  const site_id = topic.slice(TOPIC_PREFIX.length, siteEnd);
  const device_id = topic.slice(siteEnd + 1, deviceEnd);
  const kind = topic.slice(deviceEnd + 1);
  if (!site_id || !device_id) return null;
  if (kind !== 'cmd' && !TOPIC_KINDS.has(kind)) return null;
  return { site_id, device_id, kind: kind as ParsedTopic['kind'] };
}
const TOPIC_PREFIX = `${TOPIC_ROOT}/`;
const TOPIC_KINDS: ReadonlySet<string> = new Set(INGEST_KINDS);

/** ChirpStack v4 MQTT integration: `application/{application_id}/device/{dev_eui}/event/up`. */
export const CHIRPSTACK_UPLINK_TOPIC = 'application/+/device/+/event/up';

/** The schema version this API writes and reads natively; older ones are mapped forward. */
export const CURRENT_SCHEMA_VERSION = 1;
/** Larger messages are dead-lettered unread (`oversize`). */
export const MAX_PAYLOAD_BYTES = 256 * 1024;
/** A gateway batch carries at most this many readings. */
export const MAX_BATCH_ITEMS = 1000;
/** Nesting depth of any payload (objects and arrays); deeper is a validation error. */
export const MAX_DEPTH = 8;

export const DEAD_LETTER_REASONS = [
  'validation', // not JSON, not UTF-8, or fails the schema
  'unsupported_schema_version', // schema_version newer than the ingest knows
  'oversize', // payload larger than MAX_PAYLOAD_BYTES
  'unknown_device', // the device (or ChirpStack DevEUI) is not in the registry
  'site_mismatch', // the topic's site is not the device's site in the registry
  'unknown_command', // a cmd/result for a cmd_id this device was never sent
  'partial', // stored, but some fields could not be mapped (ChirpStack codec output): the detail names them
] as const;
export type DeadLetterReason = (typeof DEAD_LETTER_REASONS)[number];

// --- building blocks ---------------------------------------------------------------

export const deviceIdRe = /^(dev|gw)_[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const deviceIdField = z.string().regex(deviceIdRe, 'expected a device id (dev_… or gw_…)');

/** snake_case and ending in a unit by convention (`temp_c`, `battery_v`); at most 64 characters. */
export const metricNameRe = /^[a-z][a-z0-9_]{0,63}$/;
export const METRIC_LIMIT = 1e15;

export const metricValue = z
  .number({
    error: (issue) =>
      typeof issue.input === 'number' ? 'expected a finite number (JSON has no Infinity or NaN)' : 'expected a number',
  })
  .refine((n) => Math.abs(n) <= METRIC_LIMIT, `expected a number between -1e15 and 1e15`);

export const MAX_METRICS = 64;

export const metricsField = z
  .record(z.string().regex(metricNameRe, 'expected a snake_case metric name (a-z, 0-9, _; ≤ 64)'), metricValue)
  .refine((m) => Object.keys(m).length <= MAX_METRICS, `expected at most ${MAX_METRICS} metrics`);

/** Epoch seconds (fractions allowed), between 2000-01-01 and 2100-01-01. */
export const EPOCH_SECONDS = { min: 946_684_800, max: 4_102_444_800 } as const;
export const epochSeconds = z
  .number({ error: 'expected epoch seconds (a number)' })
  .min(EPOCH_SECONDS.min, 'expected epoch seconds after 2000-01-01 (milliseconds are not seconds)')
  .max(EPOCH_SECONDS.max, 'expected epoch seconds before 2100-01-01 (milliseconds are not seconds)');

export const MSG_ID_MAX = 128;
export const msgIdRe = /^[\x21-\x7e]+$/;
export const msgIdField = z
  .string({ error: 'expected a string msg_id' })
  .min(1, 'msg_id is empty')
  .max(MSG_ID_MAX, `expected msg_id of at most ${MSG_ID_MAX} characters`)
  .regex(msgIdRe, 'expected msg_id of printable ASCII without spaces');

export const deviceRunStatus = z.enum(['running', 'stopped', 'fault', 'ok']);

const fwField = z.string().min(1).max(64);

// --- schema v1 ----------------------------------------------------------------------

export const telemetryV1 = z
  .object({
    schema_version: z.literal(1),
    msg_id: msgIdField,
    ts: epochSeconds,
    status: deviceRunStatus.optional(),
    metrics: metricsField,
  })
  .meta({ id: 'TelemetryV1', description: 'fleetbook/v1/{site}/{device}/telemetry' });
export type TelemetryV1 = z.infer<typeof telemetryV1>;

/** An element of a gateway `batch`: a telemetry payload naming its device. */
export const batchItemV1 = telemetryV1.extend({ device_id: deviceIdField }).meta({ id: 'BatchItemV1' });
export type BatchItemV1 = z.infer<typeof batchItemV1>;

export const heartbeatV1 = z
  .object({
    schema_version: z.literal(1),
    ts: epochSeconds,
    uptime_s: z.number().int().min(0).max(1e10).optional(),
    fw: fwField.optional(),
  })
  .meta({ id: 'HeartbeatV1' });
export type HeartbeatV1 = z.infer<typeof heartbeatV1>;

export const stateV1 = z
  .object({
    schema_version: z.literal(1),
    ts: epochSeconds,
    fw: fwField.optional(),
    reported: z
      .record(z.string().max(128), z.unknown())
      .refine((r) => Object.keys(r).length <= 200, 'expected at most 200 reported keys'),
  })
  .meta({ id: 'StateV1', description: 'retained: the device’s last reported configuration' });
export type StateV1 = z.infer<typeof stateV1>;

export const commandResult = z
  .object({
    schema_version: z.literal(1).optional(),
    cmd_id: z.string().regex(/^cmd_[A-Za-z0-9._-]{1,64}$/, 'expected a cmd_id (cmd_…)'),
    status: z.enum(['accepted', 'done', 'failed']),
    detail: z.string().max(2000).optional(),
  })
  .meta({ id: 'CommandResult' });
export type CommandResult = z.infer<typeof commandResult>;

/** cloud → device on `…/cmd`. `expires_at` is epoch seconds. */
export const commandMessage = z
  .object({
    cmd_id: z.string(),
    action: z.string(),
    params: z.record(z.string(), z.unknown()),
    expires_at: z.number(),
  })
  .meta({ id: 'CommandMessage' });
export type CommandMessage = z.infer<typeof commandMessage>;

// --- legacy v0 (before schema_version existed) -----------------------------------------
//
// Firmware up to soil-probe 1.3.x and pump-ctl 1.4.x sends compact payloads without a
// `schema_version`, with time in epoch MILLISECONDS:
//   telemetry  { "mid": "a1b2", "t": 1795000000250, "st": "run", "d": { "temp_c": 24.8 } }
//   heartbeat  { "t": 1795000060000, "up": 86400, "fw": "1.3.0" }
//   batch item { "dev": "dev_…", "mid": …, "t": …, "st": …, "d": { … } }
// `st` is run | stop | err | ok. The ingest maps them forward to v1; `schema_version: 0`
// is accepted as the same shape.

const legacyStatus = z.enum(['run', 'stop', 'err', 'ok']);
const LEGACY_STATUS: Record<z.infer<typeof legacyStatus>, z.infer<typeof deviceRunStatus>> = {
  run: 'running',
  stop: 'stopped',
  err: 'fault',
  ok: 'ok',
};
const epochMillis = z
  .number({ error: 'expected epoch milliseconds (a number)' })
  .int('expected whole epoch milliseconds')
  .min(946_684_800_000, 'expected epoch milliseconds after 2000-01-01')
  .max(4_102_444_800_000, 'expected epoch milliseconds before 2100-01-01');

export const telemetryV0 = z
  .object({
    schema_version: z.literal(0).optional(),
    mid: msgIdField,
    t: epochMillis,
    st: legacyStatus.optional(),
    d: metricsField,
  })
  .transform((v): TelemetryV1 => ({
    schema_version: 1,
    msg_id: v.mid,
    ts: v.t / 1000,
    ...(v.st ? { status: LEGACY_STATUS[v.st] } : {}),
    metrics: v.d,
  }));

export const batchItemV0 = z
  .object({
    schema_version: z.literal(0).optional(),
    dev: deviceIdField,
    mid: msgIdField,
    t: epochMillis,
    st: legacyStatus.optional(),
    d: metricsField,
  })
  .transform((v): BatchItemV1 => ({
    schema_version: 1,
    device_id: v.dev,
    msg_id: v.mid,
    ts: v.t / 1000,
    ...(v.st ? { status: LEGACY_STATUS[v.st] } : {}),
    metrics: v.d,
  }));

export const heartbeatV0 = z
  .object({
    schema_version: z.literal(0).optional(),
    t: epochMillis,
    up: z.number().int().min(0).max(1e10).optional(),
    fw: fwField.optional(),
  })
  .transform((v): HeartbeatV1 => ({
    schema_version: 1,
    ts: v.t / 1000,
    ...(v.up !== undefined ? { uptime_s: v.up } : {}),
    ...(v.fw ? { fw: v.fw } : {}),
  }));

// --- ChirpStack v4 events: contracts/chirpstack.ts ------------------------------------

export { chirpstackUplink } from './chirpstack.ts';

/** Which version a payload claims: a number ≥ 0, `absent`, or `invalid` (not an integer). */
export function claimedVersion(payload: unknown): number | 'absent' | 'invalid' {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return 'absent';
  const v = (payload as Record<string, unknown>).schema_version;
  if (v === undefined) return 'absent';
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : 'invalid';
}
