// Route-local schemas of the automation-runs area (params, headers, small answers). The
// request bodies are the runner's (automation/api-contract.ts) and the shared contract's
// (contracts/automation-runs.ts): imported, never redefined.
import { z } from 'zod';
import { createRunBodySchema } from '../automation/api-contract.ts';
import { automationRunIdSchema, queueRunOnRunsBodySchema } from '../contracts/automation-runs.ts';
import { idSchema } from '../contracts/ids.ts';
import { ERROR_RESPONSES } from '../registry/crud-routes.ts';

export const RESPONSES = ERROR_RESPONSES;
export const runParams = z.object({ id: automationRunIdSchema });
export const deploymentParams = z.object({ id: idSchema('deployment') });

/** `Idempotency-Key`: the runner sends `<run_id>/<n>`; any client may send its own (≤ 200 printable ASCII). */
export const idempotencyHeaders = z.looseObject({
  'idempotency-key': z
    .string()
    .regex(/^[\x21-\x7e]{1,200}$/, 'expected 1–200 printable ASCII characters without spaces')
    .optional()
    .describe('a repeat of an applied write (same key, same body) gets the first answer and changes nothing; same key, other body: 409'),
});

/** POST /automation-runs takes either body: the runner's create (it has spec_digest) or a queue request. */
export const createOrQueueBodySchema = z.union([createRunBodySchema, queueRunOnRunsBodySchema]);
export const isRunnerCreate = (body: unknown): boolean => typeof body === 'object' && body !== null && 'spec_digest' in body;

export const timelineResultSchema = z
  .object({ run_id: automationRunIdSchema, state: z.enum(['queued', 'running', 'succeeded', 'failed']), appended: z.number().int(), timeline_count: z.number().int() })
  .meta({ id: 'AutomationTimelineAppendResult' });

export const specListQuery = z.strictObject({ deployment_id: idSchema('deployment').optional() });
