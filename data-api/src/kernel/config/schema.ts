import path from 'node:path';
import { z } from 'zod';
import { envFlag as flag, urlSchema } from '../../contracts/primitives.ts';
import { roleMapSchema, type AuthOptions } from '../auth/options.ts';
import { defaultRateLimits, rateLimitSpec, type RateLimits } from '../../contracts/rate-limits.ts';

/** Defaults in one place (Docusaurus options.ts habit): the schema below points at them. */
export const DEFAULTS = {
  host: '0.0.0.0',
  port: 3000,
  mqttPort: 1883,
  dataDir: '.fleetbook/data',
  siteDir: 'build',
  logLevel: 'info',
} as const;

/** How many ports after the default MQTT port the embedded broker tries when it is taken. */
export const MQTT_PORT_FALLBACK = 20;

const port = z.coerce
  .number({ error: 'expected a port number' })
  .int('expected a whole port number')
  .min(0, 'expected a port between 0 and 65535')
  .max(65535, 'expected a port between 0 and 65535');

function intervalMs(text: string): number {
  const m = /^(\d+)(s|m|h)?$/.exec(text)!;
  return Number(m[1]) * ({ s: 1000, m: 60_000, h: 3_600_000 } as const)[(m[2] ?? 's') as 's' | 'm' | 'h'];
}

/**
 * One schema over environment variables and command-line flags. Keys are the names a
 * user types (env or flag); the error message names that key.
 */
export const configInputSchema = z
  .object({
    HOST: z.string().min(1).default(DEFAULTS.host),
    PORT: port.default(DEFAULTS.port),
    // No default here: a port given (flag or env) is kept; the default moves on when taken.
    MQTT_PORT: port.optional(),
    FLEETBOOK_DATA_DIR: z.string().min(1).default(DEFAULTS.dataDir),
    FLEETBOOK_SITE_DIR: z.string().min(1).default(DEFAULTS.siteDir),
    DATABASE_URL: urlSchema(['postgres:', 'postgresql:'], 'postgres://user@127.0.0.1:5432/fleetbook').optional(),
    MQTT_URL: urlSchema(['mqtt:', 'mqtts:', 'tcp:', 'ws:', 'wss:'], 'mqtt://127.0.0.1:1883').optional(),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default(DEFAULTS.logLevel),
    FLEETBOOK_OPEN_READS: flag.optional(),
    FLEETBOOK_CORS_ORIGINS: z.string().optional(),
    FLEETBOOK_TRUSTED_PROXIES: z.string().optional(),
    FLEETBOOK_PROXY_USER_HEADER: z.string().min(1).default('x-forwarded-user'),
    FLEETBOOK_PROXY_GROUPS_HEADER: z.string().min(1).default('x-forwarded-groups'),
    FLEETBOOK_PROXY_ROLE_MAP: roleMapSchema.optional(),
    FLEETBOOK_PROXY_DEFAULT_ROLE: z.enum(['viewer', 'operator', 'none']).default('viewer'),
    FLEETBOOK_PUBLIC_URL: urlSchema(['http:', 'https:'], 'https://fleetbook.example.org').optional(),
    FLEETBOOK_NOTIFICATIONS_DIR: z.string().min(1).optional(),
    FLEETBOOK_RATE_LIMIT_CLAIM: rateLimitSpec.optional(),
    FLEETBOOK_RATE_LIMIT_EVENTS: rateLimitSpec.optional(),
    FLEETBOOK_RATE_LIMIT_TOKENS: rateLimitSpec.optional(),
    FLEETBOOK_RATE_LIMIT_STORE: z.enum(['database', 'memory']).default('database'),
    FLEETBOOK_DEMO: flag.default(false),
    // HTTP workers sharing the port (node:cluster); default: the machine's cores. See kernel/workers.ts.
    FLEETBOOK_WORKERS: z.coerce
      .number({ error: 'expected a number' })
      .int('expected a whole number')
      .min(1, 'expected at least 1')
      .max(64, 'expected at most 64')
      .optional(),
    FLEETBOOK_BUILD_SITE: z.enum(['auto', 'never', 'always']).default('auto'),
    FLEETBOOK_SITE_WATCH: flag.default(true),
    FLEETBOOK_SITE_DEBOUNCE_MS: z.coerce
      .number({ error: 'expected milliseconds' })
      .int()
      .min(0)
      .max(600_000)
      .default(2000),
    FLEETBOOK_GIT_PULL: z
      .string()
      .regex(/^(0|[1-9][0-9]*)(s|m|h)?$/, 'expected an interval like 60 (seconds), 30s, 5m or 1h; 0 or unset: never')
      .optional(),
  })
  .transform((raw) => {
    const embeddedDb = raw.DATABASE_URL === undefined;
    const embeddedBroker = raw.MQTT_URL === undefined;
    const root = process.cwd();
    return {
      host: raw.HOST,
      port: raw.PORT,
      mqttPort: raw.MQTT_PORT ?? DEFAULTS.mqttPort,
      dataDir: path.resolve(root, raw.FLEETBOOK_DATA_DIR),
      siteDir: path.resolve(root, raw.FLEETBOOK_SITE_DIR),
      database: embeddedDb
        ? ({ kind: 'pglite', dataDir: path.resolve(root, raw.FLEETBOOK_DATA_DIR, 'pg') } as const)
        : ({ kind: 'pg', url: raw.DATABASE_URL! } as const),
      broker: embeddedBroker
        ? ({
            kind: 'aedes',
            port: raw.MQTT_PORT ?? DEFAULTS.mqttPort,
            host: raw.HOST,
            // 1883 is often a local Mosquitto's: unless a port was asked for, take the next free one.
            portFallback: raw.MQTT_PORT === undefined ? MQTT_PORT_FALLBACK : 0,
          } as const)
        : ({ kind: 'external', url: raw.MQTT_URL! } as const),
      logLevel: raw.LOG_LEVEL,
      /** Asked for (FLEETBOOK_WORKERS), or null: the cores. Used only with PostgreSQL and an external broker. */
      workers: raw.FLEETBOOK_WORKERS ?? null,
      auth: {
        // contracts.md: open reads default on in embedded mode, off in production.
        openReads: raw.FLEETBOOK_OPEN_READS ?? embeddedDb,
        proxy: raw.FLEETBOOK_TRUSTED_PROXIES
          ? {
              trustedAddresses: raw.FLEETBOOK_TRUSTED_PROXIES.split(',')
                .map((s) => s.trim())
                .filter(Boolean),
              userHeader: raw.FLEETBOOK_PROXY_USER_HEADER.toLowerCase(),
              groupsHeader: raw.FLEETBOOK_PROXY_GROUPS_HEADER.toLowerCase(),
              roleMap: raw.FLEETBOOK_PROXY_ROLE_MAP ?? {},
              defaultRole: raw.FLEETBOOK_PROXY_DEFAULT_ROLE === 'none' ? null : raw.FLEETBOOK_PROXY_DEFAULT_ROLE,
            }
          : null,
      } satisfies AuthOptions,
      corsOrigins: raw.FLEETBOOK_CORS_ORIGINS
        ? raw.FLEETBOOK_CORS_ORIGINS.split(',')
            .map((s) => s.trim())
            .filter(Boolean)
        : ['http://localhost:3001', 'http://127.0.0.1:3001'],
      publicUrl: raw.FLEETBOOK_PUBLIC_URL ?? null,
      /** rules.yaml, policies.yaml, contact-points.yaml; null: the repository's notifications/ folder. */
      notificationsDir: raw.FLEETBOOK_NOTIFICATIONS_DIR ? path.resolve(root, raw.FLEETBOOK_NOTIFICATIONS_DIR) : null,
      rateLimits: {
        store: raw.FLEETBOOK_RATE_LIMIT_STORE,
        limits: {
          claim:
            raw.FLEETBOOK_RATE_LIMIT_CLAIM === undefined
              ? defaultRateLimits().limits.claim
              : raw.FLEETBOOK_RATE_LIMIT_CLAIM,
          events:
            raw.FLEETBOOK_RATE_LIMIT_EVENTS === undefined
              ? defaultRateLimits().limits.events
              : raw.FLEETBOOK_RATE_LIMIT_EVENTS,
          tokens:
            raw.FLEETBOOK_RATE_LIMIT_TOKENS === undefined
              ? defaultRateLimits().limits.tokens
              : raw.FLEETBOOK_RATE_LIMIT_TOKENS,
        },
      } satisfies RateLimits,
      demo: raw.FLEETBOOK_DEMO,
      buildSite: raw.FLEETBOOK_BUILD_SITE,
      // The running site follows the repository: content edits rebuild it in the background.
      siteWatch: raw.FLEETBOOK_SITE_WATCH && raw.FLEETBOOK_BUILD_SITE !== 'never',
      siteDebounceMs: raw.FLEETBOOK_SITE_DEBOUNCE_MS,
      gitPullMs: raw.FLEETBOOK_GIT_PULL ? intervalMs(raw.FLEETBOOK_GIT_PULL) : 0,
      embedded: embeddedDb && embeddedBroker,
    };
  });

export type ConfigInput = z.input<typeof configInputSchema>;
export type FleetbookConfig = z.output<typeof configInputSchema>;
