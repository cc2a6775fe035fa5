// Route schemas of the telemetry area. No server-only imports: the browser may import them.
import { z } from 'zod';
import { FROM_BEFORE_TO, fromBeforeTo, isoDateTime as isoDate } from './primitives.ts';
import { deviceIdField, metricNameRe } from './mqtt.ts';

/** `raw`, `auto`, or a duration: 10s, 30s, 1m, 5m, 15m, 30m, 1h, 3h, 6h, 12h, 1d, 7d… */
export const bucketParam = z
  .string()
  .regex(/^(raw|auto|[1-9][0-9]{0,4}[smhd])$/, 'expected raw, auto, or a duration like 30s, 1m, 5m, 1h, 1d')
  .default('auto');

export const telemetryQuery = z
  .strictObject({
    metric: z.string().regex(metricNameRe, 'expected a metric name like temp_c'),
    from: isoDate.optional().describe('default: 24 hours before `to`'),
    to: isoDate.optional().describe('default: now'),
    bucket: bucketParam,
  })
  .refine(fromBeforeTo, FROM_BEFORE_TO);
export type TelemetryQuery = z.infer<typeof telemetryQuery>;

export const telemetryParams = z.object({ id: deviceIdField });

export const telemetrySeries = z
  .object({
    device_id: z.string(),
    metric: z.string(),
    from: z.string(),
    to: z.string(),
    bucket: z
      .string()
      .describe('the bucket used: raw, or a duration (coarsened when older data only exists as rollups)'),
    bucket_s: z.number().int().describe('0 for raw'),
    sources: z.array(z.enum(['raw', '1m', '1h'])).describe('storage levels read, oldest part first'),
    points: z.array(
      z.object({
        t: z.string().describe('bucket start (or reading time for raw)'),
        avg: z.number(),
        min: z.number(),
        max: z.number(),
        count: z.number().int(),
      }),
    ),
  })
  .meta({ id: 'TelemetrySeries' });
export type TelemetrySeries = z.infer<typeof telemetrySeries>;
