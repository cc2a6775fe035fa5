import { z } from 'zod';
import { ownerSchema } from '../work-items.ts';
import { urlSchema } from '../primitives.ts';
import { secondsSchema, secretRefSchema, type ActionDefinition } from './shared.ts';

/**
 * An external tracker's incoming webhook (Jira automation, a GitHub Actions dispatch relay,
 * ServiceNow, a chat bridge…): the runner POSTs the ticket to it as JSON before it opens the
 * work item, and keeps the tracker's key and URL when the answer carries them.
 */
export const trackerWebhookSchema = z
  .strictObject({
    url: urlSchema(['http:', 'https:'], 'https://tracker.example.com/hooks/fleetbook'),
    system: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_-]{0,49}$/, 'expected a short lowercase name like jira')
      .default('webhook')
      .describe('the tracker, as work items name it'),
    token: secretRefSchema.optional().describe('sent as Authorization: Bearer …'),
    timeout_s: secondsSchema.default(10),
  })
  .meta({ id: 'TrackerWebhook' });

export const openTicketOnFailureWithSchema = z
  .strictObject({
    summary: z
      .string()
      .min(1)
      .max(500)
      .optional()
      .describe('ticket summary; default names the failed action and its error'),
    severity: z.enum(['info', 'warning', 'critical']).default('critical'),
    owner: ownerSchema.optional().describe('who the work item goes to (a person or a rota name)'),
    tracker: trackerWebhookSchema.optional().describe("also send the ticket to an external tracker's webhook"),
  })
  .meta({ id: 'OpenTicketOnFailureWith' });

export type OpenTicketOnFailureWith = z.output<typeof openTicketOnFailureWithSchema>;

export const openTicketOnFailureDefinition = {
  type: 'open_ticket_on_failure',
  summary: 'after an earlier failure: open a work item (ticket) linked to the run and its deployment, and an alert',
  withSchema: openTicketOnFailureWithSchema,
  withOptional: true,
  // A repeat would open a second ticket.
  idempotent: false,
  defaultTimeoutS: 60,
} as const satisfies ActionDefinition<'open_ticket_on_failure'>;

/** What a tracker's webhook may answer (2xx, JSON; both fields optional; anything else is ignored). */
export const trackerAnswerSchema = z.looseObject({
  key: z.string().min(1).max(100).optional(),
  url: z
    .url({ protocol: /^https?$/ })
    .max(2000)
    .optional(),
});
