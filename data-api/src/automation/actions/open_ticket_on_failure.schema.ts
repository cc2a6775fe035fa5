import { z } from 'zod';
import type { ActionDefinition } from './shared.schema.ts';

export const openTicketOnFailureWithSchema = z
  .strictObject({
    summary: z.string().min(1).max(500).optional().describe('ticket summary; default names the failed action and its error'),
    severity: z.enum(['info', 'warning', 'critical']).default('critical'),
  })
  .meta({ id: 'OpenTicketOnFailureWith' });

export type OpenTicketOnFailureWith = z.output<typeof openTicketOnFailureWithSchema>;

export const openTicketOnFailureDefinition = {
  type: 'open_ticket_on_failure',
  summary: 'after an earlier failure: record a ticket (and an alert) for the run',
  withSchema: openTicketOnFailureWithSchema,
  withOptional: true,
  // A repeat would open a second ticket.
  idempotent: false,
  defaultTimeoutS: 60,
} as const satisfies ActionDefinition<'open_ticket_on_failure'>;
