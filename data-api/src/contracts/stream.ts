// Shared by the API and the browser (no server-only imports here).
import { z } from 'zod';

/**
 * One durable event of the change feed, as the SSE stream sends it (`event: change`,
 * `id:` = event id). Live telemetry samples come as `event: telemetry` with no id: they
 * are not replayed; a reconnecting chart re-reads its range by REST.
 */
export const changeEventSchema = z
  .object({
    id: z.number().int(),
    at: z.string(),
    type: z.string().describe('e.g. device.updated, alert.opened, execution.ticked'),
    subject: z.object({ type: z.string(), id: z.string() }),
    site_id: z.string().nullable(),
    payload: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'ChangeEvent' });

export const liveSampleSchema = z.object({
  device_id: z.string(),
  site_id: z.string().nullable(),
  customer_id: z.string().nullable().optional(),
  ts: z.number(),
  status: z.string().nullable().optional(),
  metrics: z.record(z.string(), z.number()),
});

/** `event: ready`: the stream is live; `last_event_id` is where it stands (what it replayed up to, or the newest). */
export const streamReadySchema = z.object({ last_event_id: z.number().int().min(0) });

/** `event: reset`: the Last-Event-ID asked for is outside the replay window; re-read by REST. */
export const streamResetSchema = z.object({ reason: z.string() });

/** The events of `GET /stream` by their `event:` name, and the schema of the JSON in each `data:` line. */
export const STREAM_EVENTS = {
  change: changeEventSchema,
  surface: changeEventSchema,
  telemetry: liveSampleSchema,
  ready: streamReadySchema,
  reset: streamResetSchema,
} as const;

export type ChangeEventMessage = z.infer<typeof changeEventSchema>;
export type StreamReady = z.infer<typeof streamReadySchema>;
export type StreamReset = z.infer<typeof streamResetSchema>;
export type LiveSample = z.infer<typeof liveSampleSchema>;

/**
 * `topics=` filter: a family (`device`, `site`, `deployment`, `alert`, `execution`,
 * `automation`, `telemetry`, `surface`…) takes all its events; `family:<id>` one subject;
 * `site:<site_id>` everything at a site. No topics: everything the token may see.
 */
export function topicMatches(
  topics: readonly string[],
  event: { type: string; subject: { type: string; id: string }; site_id: string | null },
): boolean {
  if (topics.length === 0) return true;
  const family = event.type.split('.')[0]!;
  return topics.some((t) => {
    const [name, id] = t.split(':', 2) as [string, string | undefined];
    if (id === undefined) return name === family || name === event.subject.type;
    if (name === 'site') return event.site_id === id || (event.subject.type === 'site' && event.subject.id === id);
    return (name === family || name === event.subject.type) && event.subject.id === id;
  });
}

/** `GET /api/v1/stream`: which topics, and where to resume (the Last-Event-ID header wins). */
export const streamQuerySchema = z.strictObject({
  topics: z
    .string()
    .max(2000)
    .regex(
      /^[a-z_]+(:[A-Za-z0-9._~-]+)?(,[a-z_]+(:[A-Za-z0-9._~-]+)?)*$/,
      'expected a comma list like device,alert,site:site_x,device:dev_y',
    )
    .optional(),
  last_event_id: z.coerce.number().int().min(0).optional(),
});
