// Shared by the API and the browser (no server-only imports here).
import { z } from 'zod';

export const componentStatus = z.enum(['up', 'down']);

export const healthSchema = z
  .object({
    status: z.enum(['ok', 'degraded']).describe('ok when the database and broker are up and this replica’s ingest is not lagging'),
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
    ingest: z
      .object({
        status: z.enum(['ok', 'lagging', 'off']).describe('lagging: lag_ms is above max_lag_ms (the replica reports degraded); off: no ingest runs in this process'),
        scope: z.literal('replica').describe('every replica stores its own share of the MQTT stream: this is this process’s backlog, not the cluster’s'),
        instance: z.string().nullable().describe('the replica (FLEETBOOK_INSTANCE; MQTT session fleetbook-ingest-<instance>)'),
        lag_ms: z.number().describe('age of the oldest message received but not yet stored; 0 when idle'),
        queued: z.number().int().describe('messages received but not yet stored (waiting or being written)'),
        last_stored_at: z.string().nullable().describe('when a batch was last committed'),
        max_lag_ms: z.number().nullable().describe('readiness threshold (FLEETBOOK_INGEST_MAX_LAG_MS)'),
      })
      .describe('the MQTT ingest of this process'),
  })
  .meta({ id: 'Health' });

export type Health = z.infer<typeof healthSchema>;
