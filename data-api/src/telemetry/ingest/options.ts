import os from 'node:os';
import { z } from 'zod';
import { envFlag as flag } from '../../contracts/primitives.ts';
import { ConfigError } from '../../kernel/config/index.ts';
import { MAX_PAYLOAD_BYTES } from '../../contracts/mqtt.ts';
import { CHIRPSTACK_COMMAND_TOPIC, CHIRPSTACK_EVENT_TOPIC } from '../../contracts/chirpstack.ts';
import { ChirpstackTopics, templateProblem } from './chirpstack/topics.ts';

/**
 * Options of the telemetry-and-health areas (ingest, monitor, telemetry retention, broker
 * auth, demo simulation), read from the environment like the rest of the configuration:
 * one zod schema, defaults in one constant, a bad value is one line and exit code 2.
 */
export const TELEMETRY_DEFAULTS = {
  sharedGroup: 'fleetbook',
  // Under a backlog, batches of 5,000 cost the ingest and PostgreSQL less per message than batches
  // of 1,000 (fewer statements and round trips); without one a batch is whatever arrived while the
  // writer was busy. docs/operating/workers.mdx has the figures.
  batchMaxRows: 5000,
  batchMaxDelayMs: 50,
  maxPendingMessages: 20_000,
  /** /health reports degraded when this replica's oldest unstored message is older than this. */
  maxLagMs: 10_000,
  /** /health reports the ingest down when it received nothing while the broker took this many publishes. */
  starvedAfterPublishes: 20,
  monitorIntervalMs: 5000,
  leaseTtlMs: 15000,
  rollupIntervalMs: 60_000,
  retentionIntervalMs: 3_600_000,
  rawDays: 30,
  rollup1mDays: 90,
  rollup1hDays: 730,
  deadLetterDays: 30,
} as const;

const positiveInt = (max: number) =>
  z.coerce
    .number({ error: 'expected a number' })
    .int('expected a whole number')
    .min(1, 'expected at least 1')
    .max(max, `expected at most ${max}`);
const instanceRe = /^[A-Za-z0-9._-]{1,64}$/;

const schema = z
  .object({
    FLEETBOOK_INSTANCE: z.string().regex(instanceRe, 'expected 1–64 of A-Z a-z 0-9 . _ -').optional(),
    FLEETBOOK_MQTT_AUTH: flag.default(true),
    FLEETBOOK_MQTT_MAX_PAYLOAD_BYTES: positiveInt(268_435_455).default(MAX_PAYLOAD_BYTES),
    FLEETBOOK_MQTT_SHARED: z.enum(['auto', 'on', 'off']).default('auto'),
    FLEETBOOK_MQTT_SHARED_GROUP: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,64}$/, 'expected 1–64 of A-Z a-z 0-9 . _ -')
      .default(TELEMETRY_DEFAULTS.sharedGroup),
    FLEETBOOK_CHIRPSTACK: flag.default(false),
    // ChirpStack's [integration.mqtt] event_topic / command_topic, when changed there.
    FLEETBOOK_CHIRPSTACK_EVENT_TOPIC: z
      .string()
      .superRefine(
        (v, c) =>
          void (templateProblem(v, 'event') && c.addIssue({ code: 'custom', message: templateProblem(v, 'event')! })),
      )
      .default(CHIRPSTACK_EVENT_TOPIC),
    FLEETBOOK_CHIRPSTACK_COMMAND_TOPIC: z
      .string()
      .superRefine(
        (v, c) =>
          void (
            templateProblem(v, 'command') && c.addIssue({ code: 'custom', message: templateProblem(v, 'command')! })
          ),
      )
      .default(CHIRPSTACK_COMMAND_TOPIC),
    FLEETBOOK_INGEST: flag.default(true),
    // Of the FLEETBOOK_WORKERS, how many run an ingest session (the rest serve HTTP only); see kernel/workers.ts.
    FLEETBOOK_INGEST_WORKERS: positiveInt(64).default(1),
    FLEETBOOK_INGEST_BATCH_ROWS: positiveInt(5000).default(TELEMETRY_DEFAULTS.batchMaxRows),
    FLEETBOOK_INGEST_BATCH_MS: positiveInt(10_000).default(TELEMETRY_DEFAULTS.batchMaxDelayMs),
    FLEETBOOK_INGEST_MAX_LAG_MS: positiveInt(3_600_000).default(TELEMETRY_DEFAULTS.maxLagMs),
    FLEETBOOK_INGEST_STARVED_PUBLISHES: z.coerce
      .number({ error: 'expected a number' })
      .int('expected a whole number')
      .min(0, 'expected 0 (off) or more')
      .max(1_000_000, 'expected at most 1000000')
      .default(TELEMETRY_DEFAULTS.starvedAfterPublishes),
    FLEETBOOK_MONITOR_INTERVAL_MS: positiveInt(3_600_000).default(TELEMETRY_DEFAULTS.monitorIntervalMs),
    FLEETBOOK_TELEMETRY_RAW_DAYS: positiveInt(3650).default(TELEMETRY_DEFAULTS.rawDays),
    FLEETBOOK_TELEMETRY_1M_DAYS: positiveInt(3650).default(TELEMETRY_DEFAULTS.rollup1mDays),
    FLEETBOOK_TELEMETRY_1H_DAYS: positiveInt(36500).default(TELEMETRY_DEFAULTS.rollup1hDays),
    FLEETBOOK_DEAD_LETTER_DAYS: positiveInt(3650).default(TELEMETRY_DEFAULTS.deadLetterDays),
    // Unset: on with --demo (a demo that lives), off otherwise.
    FLEETBOOK_SIMULATE: flag.optional(),
    // The demo's clock: heartbeats and scripted incidents run this many times faster (tests).
    FLEETBOOK_DEMO_SPEED: z.coerce
      .number({ error: 'expected a number' })
      .min(1, 'expected at least 1')
      .max(600, 'expected at most 600')
      .default(1),
  })
  .transform((raw) => ({
    /** Names this replica: its MQTT session id is `fleetbook-ingest-<instance>`. */
    instance: raw.FLEETBOOK_INSTANCE ?? defaultInstance(),
    mqttAuth: raw.FLEETBOOK_MQTT_AUTH,
    /** The embedded broker refuses larger publishes (the ingest dead-letters above MAX_PAYLOAD_BYTES anyway). */
    mqttMaxPayloadBytes: raw.FLEETBOOK_MQTT_MAX_PAYLOAD_BYTES,
    shared: raw.FLEETBOOK_MQTT_SHARED,
    sharedGroup: raw.FLEETBOOK_MQTT_SHARED_GROUP,
    chirpstack: raw.FLEETBOOK_CHIRPSTACK,
    chirpstackTopics: new ChirpstackTopics(
      raw.FLEETBOOK_CHIRPSTACK_EVENT_TOPIC,
      raw.FLEETBOOK_CHIRPSTACK_COMMAND_TOPIC,
    ),
    ingest: raw.FLEETBOOK_INGEST,
    /** Workers 1..ingestWorkers of `fleetbook start` ingest, each its own session in the shared subscription. */
    ingestWorkers: raw.FLEETBOOK_INGEST_WORKERS,
    batchMaxRows: raw.FLEETBOOK_INGEST_BATCH_ROWS,
    batchMaxDelayMs: raw.FLEETBOOK_INGEST_BATCH_MS,
    maxLagMs: raw.FLEETBOOK_INGEST_MAX_LAG_MS,
    starvedAfterPublishes: raw.FLEETBOOK_INGEST_STARVED_PUBLISHES,
    monitorIntervalMs: raw.FLEETBOOK_MONITOR_INTERVAL_MS,
    retention: {
      rawDays: raw.FLEETBOOK_TELEMETRY_RAW_DAYS,
      rollup1mDays: raw.FLEETBOOK_TELEMETRY_1M_DAYS,
      rollup1hDays: raw.FLEETBOOK_TELEMETRY_1H_DAYS,
      deadLetterDays: raw.FLEETBOOK_DEAD_LETTER_DAYS,
    } satisfies RetentionOptions,
    simulate: raw.FLEETBOOK_SIMULATE,
    demoSpeed: raw.FLEETBOOK_DEMO_SPEED,
  }));

export interface RetentionOptions {
  rawDays: number;
  rollup1mDays: number;
  rollup1hDays: number;
  deadLetterDays: number;
}

export const DEFAULT_RETENTION: RetentionOptions = {
  rawDays: TELEMETRY_DEFAULTS.rawDays,
  rollup1mDays: TELEMETRY_DEFAULTS.rollup1mDays,
  rollup1hDays: TELEMETRY_DEFAULTS.rollup1hDays,
  deadLetterDays: TELEMETRY_DEFAULTS.deadLetterDays,
};

export type TelemetryOptions = z.output<typeof schema>;

export function loadTelemetryOptions(env: NodeJS.ProcessEnv = process.env): TelemetryOptions {
  const input: Record<string, unknown> = {};
  for (const key of Object.keys(schema.in.shape)) {
    const value = env[key];
    if (value !== undefined && value !== '') input[key] = value;
  }
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const first = parsed.error.issues[0]!;
    const key = first.path.join('.');
    throw new ConfigError(`invalid configuration: ${key}: ${first.message} (got "${String(input[key])}")`);
  }
  return parsed.data;
}

/** The host name, made safe for an MQTT client id. Stable across restarts of one host. */
function defaultInstance(): string {
  const host = os
    .hostname()
    .replace(/[^A-Za-z0-9._-]/g, '-')
    .slice(0, 64);
  return host || 'default';
}

/** Shared subscriptions: on for an external broker, off for aedes (it has none). */
export function useSharedSubscriptions(mode: TelemetryOptions['shared'], brokerKind: 'aedes' | 'external'): boolean {
  if (mode === 'auto') return brokerKind === 'external';
  return mode === 'on';
}
