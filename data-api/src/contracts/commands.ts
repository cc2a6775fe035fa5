// Route schemas of the commands area. No server-only imports: the browser may import them.
import { z } from 'zod';
import { deviceIdField } from './mqtt.ts';
import { itemsOf } from './pagination.ts';

export const commandStatus = z.enum(['pending', 'sent', 'accepted', 'done', 'failed', 'expired']);

export const commandSchema = z
  .object({
    cmd_id: z.string().describe('cmd_…'),
    device_id: z.string(),
    site_id: z.string(),
    action: z.string(),
    params: z.record(z.string(), z.unknown()),
    status: commandStatus.describe(
      'pending (not yet handed to the broker) → sent → accepted → done | failed; expired when no final result by expires_at',
    ),
    detail: z.string().nullable(),
    created_by: z.string(),
    created_at: z.string(),
    sent_at: z.string().nullable(),
    expires_at: z.string(),
    result_at: z.string().nullable(),
  })
  .meta({ id: 'Command' });
export type Command = z.infer<typeof commandSchema>;

export const MAX_COMMAND_TTL_S = 86_400;

export const commandCreateBody = z.strictObject({
  action: z
    .string()
    .regex(/^[a-z][a-z0-9_]{0,63}$/, 'expected a snake_case action name (e.g. set_setpoint)')
    .describe(
      "an action the device's product declares (catalog commands) for the version it runs (since); any other is a 400 at body.action",
    ),
  params: z
    .record(z.string(), z.unknown())
    .refine((p) => JSON.stringify(p).length <= 16_384, 'expected params of at most 16 KB as JSON')
    .default({}),
  expires_in_s: z
    .number()
    .int()
    .min(1)
    .max(MAX_COMMAND_TTL_S)
    .default(300)
    .describe('the device must not act on it after this many seconds'),
});

export const deviceParams = z.object({ id: deviceIdField });
export const commandParams = z.object({
  id: deviceIdField,
  cmd_id: z.string().regex(/^cmd_[A-Za-z0-9._-]{1,64}$/, 'expected a command id (cmd_…)'),
});
export const commandListSchema = itemsOf(commandSchema);
