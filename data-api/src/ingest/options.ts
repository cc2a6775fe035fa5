import os from 'node:os';
import { z } from 'zod';
import { ConfigError } from '../config/index.ts';
import type { AppContext } from '../context.ts';

/**
 * Options of the telemetry-and-health areas (ingest, monitor, telemetry retention, broker
 * auth, demo simulation), read from the environment like the rest of the configuration:
 * one zod schema, defaults in one constant, a bad value is one line and exit code 2.
 */
export const TELEMETRY_DEFAULTS = {
  sharedGroup: 'fleetbook',
  batchMaxRows: 1000,
  batchMaxDelayMs: 50,
  maxPendingMessages: 5000,
  /** /health reports degraded when this replica's oldest unstored message is older than this. */
  maxLagMs: 10_000,
  monitorIntervalMs: 5000,
  leaseTtlMs: 15000,
  rollupIntervalMs: 60_000,
  retentionIntervalMs: 3_600_000,
  rawDays: 30,
  rollup1mDays: 90,
  rollup1hDays: 730,
  deadLetterDays: 30,
} as const;

const flag = z
  .union([z.boolean(), z.enum(['1', '0', 'true', 'false', 'yes', 'no', 'on', 'off'])])
  .transform((v) => v === true || v === '1' || v === 'true' || v === 'yes' || v === 'on');
const positiveInt = (max: number) => z.coerce.number({ error: 'expected a number' }).int('expected a whole number').min(1, 'expected at least 1').max(max, `expected at most ${max}`);
const instanceRe = /^[A-Za-z0-9._-]{1,64}$/;

const schema = z
  .object({
    FLEETBOOK_INSTANCE: z.string().regex(instanceRe, 'expected 1–64 of A-Z a-z 0-9 . _ -').optional(),
    FLEETBOOK_MQTT_AUTH: flag.default(true),
    FLEETBOOK_MQTT_SHARED: z.enum(['auto', 'on', 'off']).default('auto'),
    FLEETBOOK_MQTT_SHARED_GROUP: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'expected 1–64 of A-Z a-z 0-9 . _ -').default(TELEMETRY_DEFAULTS.sharedGroup),
    FLEETBOOK_CHIRPSTACK: flag.default(false),
    FLEETBOOK_INGEST: flag.default(true),
    FLEETBOOK_INGEST_BATCH_ROWS: positiveInt(5000).default(TELEMETRY_DEFAULTS.batchMaxRows),
    FLEETBOOK_INGEST_BATCH_MS: positiveInt(10_000).default(TELEMETRY_DEFAULTS.batchMaxDelayMs),
    FLEETBOOK_INGEST_MAX_LAG_MS: positiveInt(3_600_000).default(TELEMETRY_DEFAULTS.maxLagMs),
    FLEETBOOK_MONITOR_INTERVAL_MS: positiveInt(3_600_000).default(TELEMETRY_DEFAULTS.monitorIntervalMs),
    FLEETBOOK_TELEMETRY_RAW_DAYS: positiveInt(3650).default(TELEMETRY_DEFAULTS.rawDays),
    FLEETBOOK_TELEMETRY_1M_DAYS: positiveInt(3650).default(TELEMETRY_DEFAULTS.rollup1mDays),
    FLEETBOOK_TELEMETRY_1H_DAYS: positiveInt(36500).default(TELEMETRY_DEFAULTS.rollup1hDays),
    FLEETBOOK_DEAD_LETTER_DAYS: positiveInt(3650).default(TELEMETRY_DEFAULTS.deadLetterDays),
    FLEETBOOK_SIMULATE: flag.default(false),
  })
  .transform((raw) => ({
    /** Names this replica: its MQTT session id is `fleetbook-ingest-<instance>`. */
    instance: raw.FLEETBOOK_INSTANCE ?? defaultInstance(),
    mqttAuth: raw.FLEETBOOK_MQTT_AUTH,
    shared: raw.FLEETBOOK_MQTT_SHARED,
    sharedGroup: raw.FLEETBOOK_MQTT_SHARED_GROUP,
    chirpstack: raw.FLEETBOOK_CHIRPSTACK,
    ingest: raw.FLEETBOOK_INGEST,
    batchMaxRows: raw.FLEETBOOK_INGEST_BATCH_ROWS,
    batchMaxDelayMs: raw.FLEETBOOK_INGEST_BATCH_MS,
    maxLagMs: raw.FLEETBOOK_INGEST_MAX_LAG_MS,
    monitorIntervalMs: raw.FLEETBOOK_MONITOR_INTERVAL_MS,
    retention: {
      rawDays: raw.FLEETBOOK_TELEMETRY_RAW_DAYS,
      rollup1mDays: raw.FLEETBOOK_TELEMETRY_1M_DAYS,
      rollup1hDays: raw.FLEETBOOK_TELEMETRY_1H_DAYS,
      deadLetterDays: raw.FLEETBOOK_DEAD_LETTER_DAYS,
    } satisfies RetentionOptions,
    simulate: raw.FLEETBOOK_SIMULATE,
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
  const host = os.hostname().replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 64);
  return host || 'default';
}

/** Shared subscriptions: on for an external broker, off for aedes (it has none). */
export function useSharedSubscriptions(mode: TelemetryOptions['shared'], brokerKind: 'aedes' | 'external'): boolean {
  if (mode === 'auto') return brokerKind === 'external';
  return mode === 'on';
}

const retentionByContext = new WeakMap<AppContext, RetentionOptions>();

/** The retention a running API was started with (the telemetry queries plan by it). */
export function setRetention(ctx: AppContext, retention: RetentionOptions): void {
  retentionByContext.set(ctx, retention);
}

export const retentionFor = (ctx: AppContext): RetentionOptions => retentionByContext.get(ctx) ?? DEFAULT_RETENTION;
