// Automation runs as the API serves them (contracts.md `/api/v1/automation-runs…`), the queue
// and claim bodies, and schedule slots. Shared by the API, the runner service and the browser
// (RunTimeline, the "Run spec" button): zod only, no server-only imports. The runner's own
// write-back bodies live in contracts/automation-write-back.ts and are imported, not redefined.
import { z } from 'zod';
import { isoDateTime as timestamp } from './primitives.ts';
import { timelineEntrySchema } from './automation-timeline.ts';
import { createRunBodySchema } from './automation-write-back.ts';
import { idSchema } from './ids.ts';
import { pageOf, pageQuery } from './pagination.ts';

export const AUTOMATION_RUN_STATES = ['queued', 'running', 'succeeded', 'failed'] as const;
export type AutomationRunStateName = (typeof AUTOMATION_RUN_STATES)[number];
/** A run in one of these states refuses further timeline entries, artifacts and tickets (409). */
export const FINISHED_RUN_STATES: readonly AutomationRunStateName[] = ['succeeded', 'failed'];
export const RUN_SOURCES = ['runner', 'queue', 'schedule'] as const;

/** Spec files a queued run may name: repository paths under this folder. */
export const SPEC_DIR = 'automation/specs';
export const SPEC_PATH_PATTERN =
  /^automation\/specs\/(?:[A-Za-z0-9_-][A-Za-z0-9._-]*\/)*[A-Za-z0-9_-][A-Za-z0-9._-]*\.(?:ya?ml|json)$/;

export const automationRunIdSchema = idSchema('automationRun');

/**
 * Where a run's page is on the site: a short route the site answers at once (served from the
 * API until a build holds the static page, then redirected to it). The static page itself is
 * docs/projects/<project>/runs/<YYYY-MM-DD>/<run_id>.mdx.
 */
export function runPageRoute(project: string, runId: string): string {
  return `/docs/projects/${encodeURIComponent(project)}/runs/${encodeURIComponent(runId)}`;
}
export const RUN_PAGE_ROUTE_PATTERN =
  /^\/docs\/projects\/([a-z0-9][a-z0-9-]{0,63})\/runs\/(arun_[A-Za-z0-9._-]{1,64})\/?$/;
const runnerName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._@:-]{0,99}$/, 'expected a runner name (letters, digits, . _ @ : -; at most 100)');

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
    alert_id: z
      .string()
      .nullable()
      .describe('the "automation run failed" alert it opened (null when one was already open)'),
    work_item_id: z
      .string()
      .nullable()
      .describe('the work item (ticket) it opened; null for tickets recorded before work items'),
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
  source: z
    .enum(RUN_SOURCES)
    .describe('runner: reported by a runner already running it; queue / schedule: waited for a runner to claim it'),
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
  resumes: z
    .number()
    .int()
    .describe('how often a runner picked the run up again after its runner stopped mid-run (a restart or a takeover)'),
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

/** The list answer (the route builds the same instance: `pageOf` keeps one per item). */
export const automationRunPage = pageOf(automationRunSummarySchema, 'AutomationRun');

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
    .regex(
      /^(queued|running|succeeded|failed)(,(queued|running|succeeded|failed))*$/,
      'expected one or more of queued, running, succeeded, failed (comma-separated)',
    )
    .optional(),
  source: z
    .string()
    .regex(
      /^(runner|queue|schedule)(,(runner|queue|schedule))*$/,
      'expected one or more of runner, queue, schedule (comma-separated)',
    )
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
    .describe(
      `a spec file of the repository, e.g. ${SPEC_DIR}/farm-north-lorawan.yaml (read and validated when queued)`,
    ),
  spec: z
    .record(z.string(), z.unknown())
    .optional()
    .describe('an inline execution spec v1 (validated; secrets by reference only)'),
  id: automationRunIdSchema.optional().describe('default: arun_ + a new ULID'),
};

function exactlyOneSpec(body: { spec_path?: unknown; spec?: unknown }, ctx: z.RefinementCtx) {
  if ((body.spec_path === undefined) === (body.spec === undefined)) {
    ctx.addIssue({
      code: 'custom',
      path: ['spec_path'],
      message: 'expected exactly one of spec_path (a file under automation/specs/) or spec (an inline spec)',
    });
  }
}

/** `POST /api/v1/deployments/:id/automation-runs` (the deployment page's "Run spec" button). */
export const queueRunBodySchema = z
  .strictObject(specRefFields)
  .superRefine(exactlyOneSpec)
  .meta({ id: 'AutomationRunQueue' });

/** `POST /api/v1/automation-runs` with `state: queued` and a spec reference (no spec_digest). */
export const queueRunOnRunsBodySchema = z
  .strictObject({ state: z.literal('queued'), deployment_id: idSchema('deployment'), ...specRefFields })
  .superRefine(exactlyOneSpec)
  .meta({ id: 'AutomationRunQueueByDeployment' });

// ---------------------------------------------------------------------------------------
// Runners: claim a queued run, keep its lease, fire schedule slots.

/**
 * A claim's lease in seconds: `fleetbook runner --lease` and the `lease_s` of a claim or resume,
 * one schema for both so the CLI never accepts what the API refuses. Whole seconds from 10 (a
 * runner heartbeats every quarter lease, at least every 2.5 s then) to 86,400 (one day).
 */
export const LEASE_SECONDS = { min: 10, max: 86_400, default: 300 } as const;
export const leaseSecondsSchema = z
  .number({ error: 'expected a number of seconds' })
  .int('expected whole seconds')
  .min(LEASE_SECONDS.min, `expected at least ${LEASE_SECONDS.min} s`)
  .max(LEASE_SECONDS.max, `expected at most ${LEASE_SECONDS.max} s (one day)`)
  .describe(
    `seconds the claim holds after the last heartbeat or write-back (${LEASE_SECONDS.min}–${LEASE_SECONDS.max}); ` +
      'once it lapses another runner may take the run over',
  );
/** How often a run may be picked up again after its runner stopped; one more and it fails as lost. */
export const MAX_RUN_RESUMES = 3;

export const claimBodySchema = z
  .strictObject({
    runner: runnerName.describe('who claims (shown on the run, checked by heartbeats)'),
    lease_s: leaseSecondsSchema.default(LEASE_SECONDS.default),
    deployment_id: idSchema('deployment').optional().describe('only runs of this deployment'),
    project: z.string().max(64).optional().describe('only runs of this project'),
  })
  .meta({ id: 'AutomationRunClaim' });
export type ClaimBody = z.infer<typeof claimBodySchema>;

export const claimResultSchema = z
  .object({ run: automationRunSchema.nullable() })
  .meta({ id: 'AutomationRunClaimResult' });

export const heartbeatBodySchema = z.strictObject({ runner: runnerName }).meta({ id: 'AutomationRunHeartbeat' });

/** A runner picks up a claimed run it (or a lost runner) left mid-run. */
export const resumeBodySchema = z
  .strictObject({
    runner: runnerName.describe('the runner resuming: the one that held the run, or any runner once its lease lapsed'),
    lease_s: leaseSecondsSchema.default(LEASE_SECONDS.default),
  })
  .meta({ id: 'AutomationRunResume' });
export type ResumeBody = z.infer<typeof resumeBodySchema>;
export const heartbeatResultSchema = z.object({
  id: automationRunIdSchema,
  state: z.enum(AUTOMATION_RUN_STATES),
  lease_expires_at: timestamp.nullable(),
});

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

export const scheduleIdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'expected a schedule id like nightly-health-checks');

export const scheduleFireBodySchema = z
  .strictObject({
    schedule_id: scheduleIdSchema,
    fire_time: timestamp.describe('the cron slot, not the time the runner noticed it'),
    runner: runnerName,
    spec: z
      .record(z.string(), z.unknown())
      .optional()
      .describe('one run of this inline spec (the runner read it from automation/specs/)'),
    spec_path: z.string().max(300).regex(SPEC_PATH_PATTERN).optional().describe("recorded as the run's spec_ref"),
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

// ---------------------------------------------------------------------------------------
// The dry-run plan of a spec file, before it is queued (a project page's "Run spec").

export const automationPlanBodySchema = z
  .strictObject({
    spec_path: z
      .string()
      .max(300)
      .regex(SPEC_PATH_PATTERN, `expected a repository path under ${SPEC_DIR}/ ending in .yaml, .yml or .json`)
      .describe(`a spec file of the repository, e.g. ${SPEC_DIR}/farm-north-lorawan.yaml`),
  })
  .meta({ id: 'AutomationPlanRequest' });

export const automationPlanStepSchema = z
  .object({
    id: z.string(),
    type: z.string(),
    needs: z.array(z.string()).describe('what it waits for (the previous action in a sequence)'),
    lines: z.array(z.string()).describe('what the action would do'),
    timeout_s: z.number(),
    attempts: z.number().int(),
    condition: z
      .object({
        text: z.string(),
        verdict: z.enum(['runs', 'skipped', 'at_run_time']),
        value: z.unknown().optional(),
      })
      .nullable()
      .describe('its when: decided now over the registry, or at run time when it reads outputs'),
    missing_secrets: z
      .array(z.object({ ref: z.string(), problem: z.string() }))
      .describe('references the server cannot resolve now'),
  })
  .meta({ id: 'AutomationPlanStep' });

export const automationPlanSchema = z
  .object({
    spec_path: z.string(),
    project: z.string(),
    deployment_id: z.string(),
    spec_digest: z.string(),
    mode: z.enum(['sequence', 'tree']),
    max_parallel: z.number().int(),
    mermaid: z.string().describe('the step tree (mermaid flowchart), steps the conditions skip drawn as skipped'),
    steps: z.array(automationPlanStepSchema),
    missing_secrets: z.number().int(),
    skipped: z.array(z.string()).describe('ids of the steps the conditions skip now'),
  })
  .meta({ id: 'AutomationPlan' });
export type AutomationPlan = z.infer<typeof automationPlanSchema>;

/* ------------------------------------------------------------------ routes: params, headers, small answers */

export const runParams = z.object({ id: automationRunIdSchema });
export const deploymentParams = z.object({ id: idSchema('deployment') });

/** `Idempotency-Key`: the runner sends `<run_id>/<n>`; any client may send its own (≤ 200 printable ASCII). */
export const idempotencyHeaders = z.looseObject({
  'idempotency-key': z
    .string()
    .regex(/^[\x21-\x7e]{1,200}$/, 'expected 1–200 printable ASCII characters without spaces')
    .optional()
    .describe(
      'a repeat of an applied write (same key, same body) gets the first answer and changes nothing; same key, other body: 409',
    ),
});

/** POST /automation-runs takes either body: the runner's create (it has spec_digest) or a queue request. */
export const createOrQueueBodySchema = z.union([createRunBodySchema, queueRunOnRunsBodySchema]);
export const isRunnerCreate = (body: unknown): boolean =>
  typeof body === 'object' && body !== null && 'spec_digest' in body;

export const timelineResultSchema = z
  .object({
    run_id: automationRunIdSchema,
    state: z.enum(['queued', 'running', 'succeeded', 'failed']),
    appended: z.number().int(),
    timeline_count: z.number().int(),
  })
  .meta({ id: 'AutomationTimelineAppendResult' });

export const specListQuery = z.strictObject({ deployment_id: idSchema('deployment').optional() });
/** `GET /automation-specs`: the specs in the repository (the browser's RunSpec widget parses the same). */
export const specListSchema = z.object({ items: z.array(specFileSchema) });

/** The part of a spec as run that the step tree needs (the browser reads it off a run); the full spec contract validated it before it ran. */
export const runSpecTreeSchema = z.looseObject({
  max_parallel: z.number().int().optional(),
  actions: z.array(
    z.looseObject({
      id: z.string(),
      type: z.string(),
      depends_on: z.array(z.string()).optional(),
      when: z.unknown().optional(),
    }),
  ),
});
