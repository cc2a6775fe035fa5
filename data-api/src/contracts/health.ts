// Shared by the API and the browser (no server-only imports here).
import { z } from 'zod';

export const componentStatus = z.enum(['up', 'down']);

export const healthSchema = z
  .object({
    status: z.enum(['ok', 'degraded']).describe('ok when the database and broker are both up'),
    version: z.string(),
    uptime_s: z.number(),
    database: z.object({
      status: componentStatus,
      kind: z.enum(['pglite', 'pg']),
      latency_ms: z.number().nullable(),
      error: z.string().optional(),
    }),
    broker: z.object({
      status: componentStatus,
      kind: z.enum(['aedes', 'external', 'none']),
      url: z.string().nullable(),
      clients: z.number().int().nullable().describe('connected clients (embedded broker only)'),
    }),
    build: z.object({
      status: z.enum(['ready', 'building', 'failed', 'missing', 'disabled']),
      built_at: z.string().nullable(),
      error: z.string().optional(),
    }),
  })
  .meta({ id: 'Health' });

export type Health = z.infer<typeof healthSchema>;
