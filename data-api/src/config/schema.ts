import path from 'node:path';
import { z } from 'zod';
import { roleMapSchema, type AuthOptions } from '../auth/options.ts';

/** Defaults in one place (Docusaurus options.ts habit): the schema below points at them. */
export const DEFAULTS = {
  host: '0.0.0.0',
  port: 3000,
  mqttPort: 1883,
  dataDir: '.fleetbook/data',
  siteDir: 'build',
  logLevel: 'info',
} as const;

const port = z.coerce
  .number({ error: 'expected a port number' })
  .int('expected a whole port number')
  .min(0, 'expected a port between 0 and 65535')
  .max(65535, 'expected a port between 0 and 65535');

const urlWithProtocols = (protocols: string[], example: string) =>
  z.string().refine(
    (value) => {
      try {
        const url = new URL(value);
        return protocols.includes(url.protocol) && url.hostname !== '';
      } catch {
        return false;
      }
    },
    { message: `expected a URL like ${example}` },
  );

const flag = z
  .union([z.boolean(), z.enum(['1', '0', 'true', 'false', 'yes', 'no', 'on', 'off', ''])])
  .transform((v) => v === true || v === '1' || v === 'true' || v === 'yes' || v === 'on');

/**
 * One schema over environment variables and command-line flags. Keys are the names a
 * user types (env or flag); the error message names that key.
 */
export const configInputSchema = z
  .object({
    HOST: z.string().min(1).default(DEFAULTS.host),
    PORT: port.default(DEFAULTS.port),
    MQTT_PORT: port.default(DEFAULTS.mqttPort),
    FLEETBOOK_DATA_DIR: z.string().min(1).default(DEFAULTS.dataDir),
    FLEETBOOK_SITE_DIR: z.string().min(1).default(DEFAULTS.siteDir),
    DATABASE_URL: urlWithProtocols(['postgres:', 'postgresql:'], 'postgres://user@127.0.0.1:5432/fleetbook').optional(),
    MQTT_URL: urlWithProtocols(['mqtt:', 'mqtts:', 'tcp:', 'ws:', 'wss:'], 'mqtt://127.0.0.1:1883').optional(),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default(DEFAULTS.logLevel),
    FLEETBOOK_OPEN_READS: flag.optional(),
    FLEETBOOK_CORS_ORIGINS: z.string().optional(),
    FLEETBOOK_TRUSTED_PROXIES: z.string().optional(),
    FLEETBOOK_PROXY_USER_HEADER: z.string().min(1).default('x-forwarded-user'),
    FLEETBOOK_PROXY_GROUPS_HEADER: z.string().min(1).default('x-forwarded-groups'),
    FLEETBOOK_PROXY_ROLE_MAP: roleMapSchema.optional(),
    FLEETBOOK_PROXY_DEFAULT_ROLE: z.enum(['viewer', 'operator', 'none']).default('viewer'),
    FLEETBOOK_DEMO: flag.default(false),
    FLEETBOOK_BUILD_SITE: z.enum(['auto', 'never', 'always']).default('auto'),
  })
  .transform((raw) => {
    const embeddedDb = raw.DATABASE_URL === undefined;
    const embeddedBroker = raw.MQTT_URL === undefined;
    const root = process.cwd();
    return {
      host: raw.HOST,
      port: raw.PORT,
      mqttPort: raw.MQTT_PORT,
      dataDir: path.resolve(root, raw.FLEETBOOK_DATA_DIR),
      siteDir: path.resolve(root, raw.FLEETBOOK_SITE_DIR),
      database: embeddedDb
        ? ({ kind: 'pglite', dataDir: path.resolve(root, raw.FLEETBOOK_DATA_DIR, 'pg') } as const)
        : ({ kind: 'pg', url: raw.DATABASE_URL! } as const),
      broker: embeddedBroker
        ? ({ kind: 'aedes', port: raw.MQTT_PORT, host: raw.HOST } as const)
        : ({ kind: 'external', url: raw.MQTT_URL! } as const),
      logLevel: raw.LOG_LEVEL,
      auth: {
        // contracts.md: open reads default on in embedded mode, off in production.
        openReads: raw.FLEETBOOK_OPEN_READS ?? embeddedDb,
        proxy: raw.FLEETBOOK_TRUSTED_PROXIES
          ? {
              trustedAddresses: raw.FLEETBOOK_TRUSTED_PROXIES.split(',').map((s) => s.trim()).filter(Boolean),
              userHeader: raw.FLEETBOOK_PROXY_USER_HEADER.toLowerCase(),
              groupsHeader: raw.FLEETBOOK_PROXY_GROUPS_HEADER.toLowerCase(),
              roleMap: raw.FLEETBOOK_PROXY_ROLE_MAP ?? {},
              defaultRole: raw.FLEETBOOK_PROXY_DEFAULT_ROLE === 'none' ? null : raw.FLEETBOOK_PROXY_DEFAULT_ROLE,
            }
          : null,
      } satisfies AuthOptions,
      corsOrigins: raw.FLEETBOOK_CORS_ORIGINS
        ? raw.FLEETBOOK_CORS_ORIGINS.split(',').map((s) => s.trim()).filter(Boolean)
        : ['http://localhost:3001', 'http://127.0.0.1:3001'],
      demo: raw.FLEETBOOK_DEMO,
      buildSite: raw.FLEETBOOK_BUILD_SITE,
      embedded: embeddedDb && embeddedBroker,
    };
  });

export type ConfigInput = z.input<typeof configInputSchema>;
export type FleetbookConfig = z.output<typeof configInputSchema>;
