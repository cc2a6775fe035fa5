// Shared by the API and the browser (no server-only imports here).
import { z } from 'zod';

export const componentStatus = z.enum(['up', 'down']);

export const healthSchema = z
  .object({
    status: z
      .enum(['ok', 'degraded'])
      .describe('ok when the database and broker are up and this replica’s ingest is neither down nor lagging'),
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
      port: z.number().int().nullable().describe('embedded broker: the port it listens on'),
      requested_port: z
        .number()
        .int()
        .nullable()
        .describe(
          'embedded broker: the port configured; when it was taken (and not given with --mqtt-port), `port` is the next free one',
        ),
    }),
    build: z.object({
      status: z.enum(['ready', 'building', 'failed', 'missing', 'disabled']),
      built_at: z.string().nullable(),
      error: z.string().optional(),
    }),
    ingest: z
      .object({
        status: z
          .enum(['ok', 'lagging', 'down', 'off'])
          .describe(
            'down: this replica ingests nothing (not connected, not subscribed, or receiving nothing while the broker takes publishes; see reason); ' +
              'lagging: lag_ms is above max_lag_ms; either makes the replica report degraded (503). off: no ingest runs in this process',
          ),
        reason: z.string().nullable().describe('why the ingest is down, in words; null otherwise'),
        scope: z
          .literal('replica')
          .describe(
            'every replica stores its own share of the MQTT stream: this is this process’s ingest, not the cluster’s',
          ),
        instance: z
          .string()
          .nullable()
          .describe('the replica (FLEETBOOK_INSTANCE; MQTT session fleetbook-ingest-<instance>)'),
        connected: z.boolean().describe('its MQTT session is connected'),
        subscribed: z.boolean().describe('the broker granted every subscription on the current connection'),
        lag_ms: z.number().describe('age of the oldest message received but not yet stored; 0 when idle'),
        queued: z.number().int().describe('messages received but not yet stored (waiting or being written)'),
        last_received_at: z.string().nullable().describe('when a message last arrived from the broker'),
        last_stored_at: z.string().nullable().describe('when a batch was last committed'),
        max_lag_ms: z.number().nullable().describe('readiness threshold (FLEETBOOK_INGEST_MAX_LAG_MS)'),
      })
      .describe('the MQTT ingest of this process'),
  })
  .meta({ id: 'Health' });

export type Health = z.infer<typeof healthSchema>;
