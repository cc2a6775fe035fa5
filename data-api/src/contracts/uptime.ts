// Route schemas of the monitor area. No server-only imports: the browser may import them.
import { z } from 'zod';
import { isoDateTime as isoDate } from './primitives.ts';

export const uptimeQuery = z
  .strictObject({
    group_by: z.enum(['customer', 'site']).default('site'),
    from: isoDate.optional().describe('default: 30 days before `to`'),
    to: isoDate.optional().describe('default: now'),
  })
  .refine((q) => !q.from || !q.to || Date.parse(q.from) < Date.parse(q.to), {
    message: 'from must be before to',
    path: ['from'],
  });

export const uptimeSchema = z
  .object({
    group_by: z.enum(['customer', 'site']),
    from: z.string(),
    to: z.string(),
    items: z.array(
      z.object({
        id: z.string(),
        name: z.string().nullable(),
        uptime_pct: z
          .number()
          .nullable()
          .describe('up time / (up time + down time) × 100; null when nothing was monitored'),
        up_s: z.number(),
        down_s: z.number(),
        devices: z.number().int().describe('devices with a known health state in the window'),
      }),
    ),
  })
  .meta({ id: 'Uptime' });
export type Uptime = z.infer<typeof uptimeSchema>;
