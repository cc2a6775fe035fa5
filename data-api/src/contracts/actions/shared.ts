// Building blocks of the execution spec v1 `with` schemas. Shared by the browser and the
// server: zod only, no server-only imports (the contract imports this file).
import { z } from 'zod';

/** `{ secret: "env:NAME" }` or `{ secret: "file:/abs/path" }`: a secret is always a reference. */
export const secretRefSchema = z
  .strictObject({
    secret: z.string().regex(/^(env:[A-Za-z_][A-Za-z0-9_]*|file:\/\S.*)$/, {
      message: 'expected a secret reference like "env:NAME" or "file:/absolute/path"',
    }),
  })
  .describe('A secret by reference: read from an environment variable or a file when the action runs; never inlined')
  .meta({ id: 'SecretRef' });
export type SecretRef = z.infer<typeof secretRefSchema>;

/** An action id, a stack name: lowercase letters, digits, `-` and `_`. */
export const slugSchema = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, {
  message: 'expected lowercase letters, digits, "-" or "_" (starting with a letter or digit, at most 64)',
});

/** A host name or an IPv4/IPv6 literal (no scheme, no port). */
export const hostSchema = z.string().regex(/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]{0,252}))$/, {
  message: 'expected a host name or IP address (no scheme, no port)',
});

/** `host:port` (IPv6 in brackets). */
export const hostPortSchema = z
  .string()
  .regex(/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9][A-Za-z0-9.-]*):([0-9]{1,5})$/, {
    message: 'expected "host:port"',
    abort: true,
  })
  .refine((v) => Number(v.slice(v.lastIndexOf(':') + 1)) <= 65535 && Number(v.slice(v.lastIndexOf(':') + 1)) > 0, {
    message: 'expected a port between 1 and 65535',
  });

export const portSchema = z
  .number()
  .int()
  .min(1, 'expected a port between 1 and 65535')
  .max(65535, 'expected a port between 1 and 65535');

/** Seconds, fractions allowed (0.5 s), at most a day. */
export const secondsSchema = z
  .number()
  .positive('expected a positive number of seconds')
  .max(86_400, 'expected at most 86400 seconds (a day)');

/**
 * What an action module declares about itself. The runner reads `idempotent` (only idempotent
 * actions may be retried, so only they accept `retries`) and `defaultTimeoutS`.
 */
export interface ActionDefinition<Type extends string = string, With extends z.ZodType = z.ZodType> {
  type: Type;
  summary: string;
  withSchema: With;
  /** `with` may be left out (every field has a default). */
  withOptional?: boolean;
  idempotent: boolean;
  defaultTimeoutS: number;
}
