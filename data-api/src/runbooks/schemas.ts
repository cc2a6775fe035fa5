// Route-level schemas of the runbooks area: the shared contract (contracts/executions.ts) plus
// what only HTTP needs (params, the 409 body with the current item, upload query).
import { z } from 'zod';
import { clientMeta, executionIdSchema, evidenceIdSchema, evidenceSchema, gateIdSchema, itemActionResultSchema, itemIdSchema, itemStateSchema } from '../contracts/executions.ts';
import { ERROR_RESPONSES } from '../registry/crud-routes.ts';

export const executionParams = z.object({ id: executionIdSchema });
export const itemParams = z.object({ id: executionIdSchema, item_id: itemIdSchema });
export const gateParams = z.object({ id: executionIdSchema, gate_id: gateIdSchema });
export const evidenceParams = z.object({ id: executionIdSchema, evidence_id: evidenceIdSchema });
export const leadParams = z.object({ name: z.string().min(1).max(200) });

/** A 409 on an item may carry the item as it is now (stale `if_version`): "changed by X at T". */
export const conflictSchema = z
  .object({ error: z.string(), message: z.string().optional(), current: itemStateSchema.optional() })
  .meta({ id: 'ExecutionConflict' });

export const RESPONSES = { ...ERROR_RESPONSES, 409: conflictSchema, 413: ERROR_RESPONSES[400], 415: ERROR_RESPONSES[400] } as const;

export const uploadQuery = z.strictObject({
  kind: z.enum(['photo', 'file']).default('photo').describe('photo: JPEG, PNG, WebP or HEIC by magic bytes; file: the allow-list'),
  ...clientMeta,
  // A query string carries text: the version is coerced (the JSON bodies take a number).
  if_version: z.coerce.number().int().min(0).optional(),
});

export const evidenceUploadResultSchema = itemActionResultSchema.extend({ evidence: evidenceSchema.nullable() }).meta({ id: 'EvidenceUploadResult' });

export const activityQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(1000).default(200),
  after: z.coerce.number().int().min(0).optional().describe('activity id: return what came after it'),
});
