import { configInputSchema, type FleetbookConfig } from './schema.ts';

export { DEFAULTS, type FleetbookConfig } from './schema.ts';

/** A configuration error: printed as one line, exit code 2, never a stack trace. */
export class ConfigError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Flags that override environment variables, keyed by the env name they replace. */
export type ConfigOverrides = Partial<Record<string, string | number | boolean | undefined>>;

/**
 * Reads configuration from `env`, with command-line `overrides` taking precedence.
 * Empty env values count as unset, so `DATABASE_URL= npm start` means embedded.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: ConfigOverrides = {}): FleetbookConfig {
  const input: Record<string, unknown> = {};
  for (const key of Object.keys(configInputSchema.in.shape)) {
    const value = overrides[key] ?? env[key];
    if (value !== undefined && value !== '') input[key] = value;
  }
  const parsed = configInputSchema.safeParse(input);
  if (!parsed.success) {
    const first = parsed.error.issues[0]!;
    const key = first.path.join('.');
    const given = input[key];
    const shown = typeof given === 'string' && !/URL$/.test(key) ? ` (got "${given}")` : '';
    throw new ConfigError(`invalid configuration: ${key}: ${first.message}${shown}`);
  }
  return parsed.data;
}
