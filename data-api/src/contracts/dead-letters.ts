// Route schemas of the ingest area. No server-only imports: the browser may import them.
import { z } from 'zod';
import { isoDateTime as isoDate } from './primitives.ts';
import { DEAD_LETTER_REASONS, deviceIdField } from './mqtt.ts';
import { pageOf, pageQuery } from './pagination.ts';

export const deadLetterSchema = z
  .object({
    id: z.number().int(),
    received_at: z.string(),
    reason: z.enum(DEAD_LETTER_REASONS),
    topic: z.string(),
    site_id: z.string().nullable(),
    device_id: z.string().nullable(),
    detail: z.string().nullable().describe('what was wrong, e.g. the failing fields'),
    payload: z.string().describe('the raw payload (first 8 KB): UTF-8 text, or base64 when it was not text'),
    payload_encoding: z.enum(['utf8', 'base64']),
    payload_bytes: z.number().int().describe('size of the original payload'),
    truncated: z.boolean(),
  })
  .meta({ id: 'DeadLetter' });
export type DeadLetterView = z.infer<typeof deadLetterSchema>;

export const deadLetterQuery = z.strictObject({
  ...pageQuery,
  reason: z.enum(DEAD_LETTER_REASONS).optional(),
  device: z.string().max(100).optional().describe('device id (dev_… / gw_…)'),
  site: z.string().max(100).optional(),
  from: isoDate.optional().describe('received at or after'),
  to: isoDate.optional().describe('received before'),
});
export type DeadLetterQuery = z.infer<typeof deadLetterQuery>;

export const deadLetterPage = pageOf(deadLetterSchema, 'DeadLetter');

export const deviceTokenParams = z.object({ id: deviceIdField });
export const deviceTokenSchema = z
  .object({
    device_id: z.string(),
    site_id: z.string().nullable(),
    username: z.string().describe('MQTT username: the device id'),
    password: z.string().describe('MQTT password (device token): shown once, only its hash is kept'),
    created_at: z.string(),
    publish_topics: z.array(z.string()).describe('what the broker lets this device publish to'),
    subscribe_topic: z.string().nullable(),
  })
  .meta({ id: 'DeviceMqttToken' });
