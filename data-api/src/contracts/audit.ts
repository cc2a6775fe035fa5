// The audit log as `GET /api/v1/audit` reads it: who did what, newest first.
import * as z from 'zod';
import { pageQuery } from './pagination.ts';
import { isoDateTime } from './primitives.ts';

export const auditEntrySchema = z
  .object({
    id: z.number().int(),
    at: z.iso.datetime(),
    actor: z.string(),
    action: z.string(),
    entity: z.string(),
    entity_id: z.string(),
    customer_id: z.string().nullable(),
    before: z.unknown(),
    after: z.unknown(),
  })
  .meta({ id: 'AuditEntry' });
export type AuditEntry = z.infer<typeof auditEntrySchema>;

export const auditQuerySchema = z.strictObject({
  ...pageQuery,
  entity: z.string().max(50).optional(),
  entity_id: z.string().max(100).optional(),
  actor: z.string().max(100).optional(),
  action: z.string().max(50).optional(),
  from: isoDateTime.optional(),
  to: isoDateTime.optional(),
});

export const auditPageSchema = z.object({ items: z.array(auditEntrySchema), next_cursor: z.string().nullable() });
