// Automation runs as the API serves them (contracts.md `/api/v1/automation-runs…`), the queue
// and claim bodies, and schedule slots. Shared by the API, the runner service and the browser
// (RunTimeline, the "Run spec" button): zod only, no server-only imports. The runner's own
// write-back bodies live in automation/api-contract.ts and are imported, not redefined.
import { z } from 'zod';
import { timelineEntrySchema } from '../automation/timeline.ts';
import { idSchema } from './ids.ts';
import { pageQuery } from './pagination.ts';

export const AUTOMATION_RUN_STATES = ['queued', 'running', 'succeeded', 'failed'] as const;
export type AutomationRunStateName = (typeof AUTOMATION_RUN_STATES)[number];
/** A run in one of these states refuses further timeline entries, artifacts and tickets (409). */
export const FINISHED_RUN_STATES: readonly AutomationRunStateName[] = ['succeeded', 'failed'];
export const RUN_SOURCES = ['runner', 'queue', 'schedule'] as const;

/** Spec files a queued run may name: repository paths under this folder. */
export const SPEC_DIR = 'automation/specs';
export const SPEC_PATH_PATTERN = /^automation\/specs\/(?:[A-Za-z0-9_-][A-Za-z0-9._-]*\/)*[A-Za-z0-9_-][A-Za-z0-9._-]*\.(?:ya?ml|json)$/;

export const automationRunIdSchema = idSchema('automationRun');
const timestamp = z.iso.datetime({ offset: true });
const runnerName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._@:-]{0,99}$/, 'expected a runner name (letters, digits, . _ @ : -; at most 100)');

export const automationArtifactSchema = z
  .object({
    id: z.number().int(),
    name: z.string(),
    action_id: z.string().nullable(),
    path: z.string().describe('repository path of the file, committed beside the run page'),
    content_type: z.string(),
    size: z.number().int(),
    sha256: z.string(),
    created_at: timestamp,
  })
  .meta({ id: 'AutomationRunArtifact' });

export const automationTicketSchema = z
  .object({
    id: z.string().describe('tkt_…'),
    run_id: automationRunIdSchema,
    deployment_id: z.string(),
    action_id: z.string(),
    summary: z.string(),
    severity: z.enum(['info', 'warning', 'critical']),
    alert_id: z.string().nullable().describe('the "automation run failed" alert it opened (null when one was already open)'),
    created_by: z.string(),
    created_at: timestamp,
  })
  .meta({ id: 'AutomationTicket' });

const runFields = {
  id: automationRunIdSchema,
  project: z.string(),
  deployment_id: z.string(),
  site_id: z.string(),
  customer_id: z.string(),
  product_code: z.string(),
  product_version: z.string(),
  state: z.enum(AUTOMATION_RUN_STATES),
  source: z.enum(RUN_SOURCES).describe('runner: reported by a runner already running it; queue / schedule: waited for a runner to claim it'),
  spec_ref: z.string().nullable().describe('automation/specs/… path, "inline", or "schedule:<id>"'),
  spec_digest: z.string(),
  schedule_id: z.string().nullable(),
  fire_time: timestamp.nullable(),
  dry_run: z.boolean(),
  created_by: z.string(),
  created_at: timestamp,
  started_at: timestamp.nullable(),
  finished_at: timestamp.nullable(),
  duration_ms: z.number().int().nullable(),
  page_path: z.string().nullable().describe('repository path of the run page'),
  commit_sha: z.string().nullable(),
  pushed: z.boolean(),
  claimed_by: z.string().nullable(),
  claimed_at: timestamp.nullable(),
  lease_expires_at: timestamp.nullable(),
  error: z.string().nullable().describe('why the API ended the run itself (e.g. its runner was lost)'),
  timeline: z.array(timelineEntrySchema).describe('in arrival order'),
  artifacts: z.array(automationArtifactSchema),
  tickets: z.array(automationTicketSchema),
};

/** A run in a list: everything but the spec. */
export const automationRunSummarySchema = z.object(runFields).meta({ id: 'AutomationRunSummary' });
/** One run: with the spec as run (secrets are references; values never reach the API). */
export const automationRunSchema = z
  .object({ ...runFields, spec: z.record(z.string(), z.unknown()) })
  .meta({ id: 'AutomationRun' });

export type AutomationRun = z.infer<typeof automationRunSchema>;
export type AutomationRunSummary = z.infer<typeof automationRunSummarySchema>;
export type AutomationArtifact = z.infer<typeof automationArtifactSchema>;
export type AutomationTicketRecord = z.infer<typeof automationTicketSchema>;

export const automationRunListQuery = z.strictObject({
  ...pageQuery,
  project: z.string().max(64).optional(),
  deployment_id: idSchema('deployment').optional(),
  state: z
    .string()
    .regex(/^(queued|running|succeeded|failed)(,(queued|running|succeeded|failed))*$/, 'expected one or more of queued, running, succeeded, failed (comma-separated)')
    .optional(),
  source: z
    .string()
    .regex(/^(runner|queue|schedule)(,(runner|queue|schedule))*$/, 'expected one or more of runner, queue, schedule (comma-separated)')
    .optional(),
});
export type AutomationRunListQuery = z.infer<typeof automationRunListQuery>;

// ---------------------------------------------------------------------------------------
// Queued runs: a person (operator) or automation asks for a spec to be run by a runner.

const specRefFields = {
  spec_path: z
    .string()
    .max(300)
    .regex(SPEC_PATH_PATTERN, `expected a repository path under ${SPEC_DIR}/ ending in .yaml, .yml or .json`)
    .optional()
    .describe(`a spec file of the repository, e.g. ${SPEC_DIR}/farm-north-lorawan.yaml (read and validated when queued)`),
  spec: z.record(z.string(), z.unknown()).optional().describe('an inline execution spec v1 (validated; secrets by reference only)'),
  id: automationRunIdSchema.optional().describe('default: arun_ + a new ULID'),
};

function exactlyOneSpec(body: { spec_path?: unknown; spec?: unknown }, ctx: z.RefinementCtx) {
  if ((body.spec_path === undefined) === (body.spec === undefined)) {
    ctx.addIssue({ code: 'custom', path: ['spec_path'], message: 'expected exactly one of spec_path (a file under automation/specs/) or spec (an inline spec)' });
  }
}

/** `POST /api/v1/deployments/:id/automation-runs` (the deployment page's "Run spec" button). */
export const queueRunBodySchema = z.strictObject(specRefFields).superRefine(exactlyOneSpec).meta({ id: 'AutomationRunQueue' });

/** `POST /api/v1/automation-runs` with `state: queued` and a spec reference (no spec_digest). */
export const queueRunOnRunsBodySchema = z
  .strictObject({ state: z.literal('queued'), deployment_id: idSchema('deployment'), ...specRefFields })
  .superRefine(exactlyOneSpec)
  .meta({ id: 'AutomationRunQueueByDeployment' });

// ---------------------------------------------------------------------------------------
// Runners: claim a queued run, keep its lease, fire schedule slots.

export const claimBodySchema = z
  .strictObject({
    runner: runnerName.describe('who claims (shown on the run, checked by heartbeats)'),
    lease_s: z.number().int().min(30).max(86_400).default(300).describe('the claim lapses this long after the last heartbeat or write-back'),
    deployment_id: idSchema('deployment').optional().describe('only runs of this deployment'),
    project: z.string().max(64).optional().describe('only runs of this project'),
  })
  .meta({ id: 'AutomationRunClaim' });
export type ClaimBody = z.infer<typeof claimBodySchema>;

export const claimResultSchema = z.object({ run: automationRunSchema.nullable() }).meta({ id: 'AutomationRunClaimResult' });

export const heartbeatBodySchema = z.strictObject({ runner: runnerName }).meta({ id: 'AutomationRunHeartbeat' });
export const heartbeatResultSchema = z.object({ id: automationRunIdSchema, state: z.enum(AUTOMATION_RUN_STATES), lease_expires_at: timestamp.nullable() });

/** Built-in schedule job: one run per matching deployment, a device_up check per device. */
export const healthChecksJobSchema = z
  .strictObject({
    project: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'expected a project slug like fleet-health')
      .default('fleet-health')
      .describe('run pages go under docs/projects/<project>/runs/'),
    deployment_state: z.enum(['planned', 'installing', 'live', 'paused']).default('live'),
    timeout_s: z.number().int().min(1).max(600).default(10).describe('per device_up check'),
    severity: z.enum(['info', 'warning', 'critical']).default('warning').describe('of the ticket and alert on failure'),
    max_devices: z.number().int().min(1).max(500).default(100).describe('checks per run (the first by id)'),
  })
  .meta({ id: 'HealthChecksJob' });
export type HealthChecksJob = z.infer<typeof healthChecksJobSchema>;

export const scheduleIdSchema = z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'expected a schedule id like nightly-health-checks');

export const scheduleFireBodySchema = z
  .strictObject({
    schedule_id: scheduleIdSchema,
    fire_time: timestamp.describe('the cron slot, not the time the runner noticed it'),
    runner: runnerName,
    spec: z.record(z.string(), z.unknown()).optional().describe('one run of this inline spec (the runner read it from automation/specs/)'),
    spec_path: z.string().max(300).regex(SPEC_PATH_PATTERN).optional().describe('recorded as the run\'s spec_ref'),
    health_checks: healthChecksJobSchema.optional(),
  })
  .superRefine((b, ctx) => {
    if ((b.spec === undefined) === (b.health_checks === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['spec'], message: 'expected exactly one of spec or health_checks' });
    }
  })
  .meta({ id: 'AutomationScheduleFire' });
export type ScheduleFireBody = z.infer<typeof scheduleFireBodySchema>;

export const scheduleFireResultSchema = z
  .object({
    schedule_id: z.string(),
    fire_time: timestamp,
    fired: z.boolean().describe('false: another runner took this slot first; nothing was queued'),
    fired_by: z.string(),
    run_ids: z.array(z.string()),
    skipped: z.array(z.object({ deployment_id: z.string(), reason: z.string() })),
  })
  .meta({ id: 'AutomationScheduleFireResult' });
export type ScheduleFireResult = z.infer<typeof scheduleFireResultSchema>;

// ---------------------------------------------------------------------------------------

export const specFileSchema = z
  .object({
    path: z.string(),
    valid: z.boolean(),
    project: z.string().nullable(),
    deployment_id: z.string().nullable(),
    product_code: z.string().nullable(),
    product_version: z.string().nullable(),
    actions: z.array(z.object({ id: z.string(), type: z.string() })),
    problems: z.array(z.string()).describe('file:line:column  message  rule-id'),
  })
  .meta({ id: 'AutomationSpecFile' });
export type SpecFile = z.infer<typeof specFileSchema>;
