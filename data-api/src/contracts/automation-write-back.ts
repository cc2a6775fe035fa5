// The runner's write-back to the API (contracts.md: `/api/v1/automation-runs…`: create, append
// timeline entries, attach artifacts, finish). URL building lives here and nowhere else, with
// the request bodies, so the API side can import the same schemas. zod only.
import { z } from 'zod';
import { deviceIdSchema, idSchema } from './ids.ts';
import { isoDateTime } from './primitives.ts';
import { externalRefSchema, ownerSchema, workItemIdSchema } from './work-items.ts';
import { timelineEntrySchema } from './automation-timeline.ts';

export const API_PREFIX = '/api/v1';
const RUNS = `${API_PREFIX}/automation-runs`;
const seg = (id: string) => encodeURIComponent(id);

/** Paths (no host): each write-back call and the links a run page shows. */
export const automationRoutes = {
  /** POST createRunBody → 201 (409 when the id exists: treated as already delivered). */
  createRun: () => RUNS,
  /** GET: the run, for links. */
  run: (runId: string) => `${RUNS}/${seg(runId)}`,
  /** POST appendTimelineBody. */
  timeline: (runId: string) => `${RUNS}/${seg(runId)}/timeline`,
  /** POST attachArtifactBody. */
  artifacts: (runId: string) => `${RUNS}/${seg(runId)}/artifacts`,
  /** POST finishRunBody. */
  finish: (runId: string) => `${RUNS}/${seg(runId)}/finish`,
  /** POST openTicketBody: a ticket record (and the "automation run failed" alert). */
  tickets: (runId: string) => `${RUNS}/${seg(runId)}/tickets`,
  /** POST deviceRefsBody: external_refs of a registry device, written by a provisioning action. */
  deviceRefs: (runId: string) => `${RUNS}/${seg(runId)}/device-refs`,
  /** GET: a registry device (the device_up health check). */
  device: (deviceId: string) => `${API_PREFIX}/devices/${seg(deviceId)}`,
  // Runner services (`fleetbook runner`; bodies in contracts/automation-runs.ts):
  /** POST claimBody → { run } (null when nothing is queued). */
  claim: () => `${RUNS}/claim`,
  /** POST resumeBody → the run: pick up a run left mid-run (409 when it is not this runner's to resume). */
  resume: (runId: string) => `${RUNS}/${seg(runId)}/resume`,
  /** POST heartbeatBody: the claim's lease moves on (409 when the run is no longer held). */
  heartbeat: (runId: string) => `${RUNS}/${seg(runId)}/heartbeat`,
  /** POST scheduleFireBody: one schedule slot, queued once across runners. */
  scheduleFires: () => `${RUNS}/schedule-fires`,
  /** POST queueRunBody: queue a run of a deployment ("Run spec"). */
  queueForDeployment: (deploymentId: string) => `${API_PREFIX}/deployments/${seg(deploymentId)}/automation-runs`,
} as const;

/** `base` + `path`, whatever slashes the user typed after the host. */
export function apiUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}${path}`;
}

export const createRunBodySchema = z
  .strictObject({
    id: idSchema('automationRun').describe(
      'chosen by the runner (arun_ + ULID), so a run has its id before the API answers',
    ),
    project: z.string(),
    deployment_id: z.string(),
    product_code: z.string(),
    product_version: z.string(),
    spec: z
      .record(z.string(), z.unknown())
      .describe('the execution spec as run (defaults applied; secrets are references)'),
    spec_digest: z.string().regex(/^sha256:[0-9a-f]{64}$/),
    state: z.literal('queued'),
    created_at: isoDateTime,
    dry_run: z.boolean().default(false),
  })
  .meta({ id: 'AutomationRunCreate' });

export const appendTimelineBodySchema = z
  .strictObject({ entries: z.array(timelineEntrySchema).min(1) })
  .meta({ id: 'AutomationTimelineAppend' });

export const attachArtifactBodySchema = z
  .strictObject({
    name: z.string().min(1),
    action_id: z.string().optional(),
    path: z.string().describe('repository path of the file (committed beside the run page)'),
    content_type: z.string(),
    size: z.number().int().min(0),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
  })
  .meta({ id: 'AutomationArtifact' });

export const finishRunBodySchema = z
  .strictObject({
    state: z.enum(['succeeded', 'failed']),
    started_at: isoDateTime,
    finished_at: isoDateTime,
    duration_ms: z.number().int().min(0),
    page_path: z.string().nullable().describe('repository path of the run page'),
    commit_sha: z.string().nullable(),
    pushed: z.boolean(),
  })
  .meta({ id: 'AutomationRunFinish' });

export const openTicketBodySchema = z
  .strictObject({
    run_id: z.string(),
    deployment_id: z.string(),
    action_id: z.string().describe('the action that failed'),
    summary: z.string().min(1),
    severity: z.enum(['info', 'warning', 'critical']).default('critical'),
    work_item_id: workItemIdSchema
      .optional()
      .describe('the id of the work item to open (chosen by the runner, so its tracker webhook can name it)'),
    owner: ownerSchema.optional().describe('who the work item goes to'),
    external_ref: externalRefSchema
      .optional()
      .describe("the external tracker's copy, when its webhook answered with one"),
  })
  .meta({ id: 'AutomationTicketOpen' }); // the body; AutomationTicket is the record (contracts/automation-runs.ts)

export const deviceRefsBodySchema = z
  .strictObject({
    run_id: z.string(),
    action_id: z.string().describe('the action that provisioned the device'),
    device_id: deviceIdSchema.describe('the registry device'),
    chirpstack: z
      .strictObject({
        dev_eui: z
          .string()
          .regex(/^[0-9a-fA-F]{16}$/, 'expected a 16-hex-digit DevEUI')
          .transform((s) => s.toLowerCase()),
        application_id: z.guid(),
        device_profile_id: z.guid(),
      })
      .describe("merged into the device's external_refs.chirpstack (other systems' refs are kept)"),
  })
  .meta({ id: 'AutomationDeviceRefs' });

export const deviceRefsResultSchema = z
  .object({
    device_id: z.string(),
    changed: z.boolean().describe('false: the device already held these refs (nothing written)'),
    external_refs: z.record(z.string(), z.unknown()).describe("the device's external_refs after the write"),
  })
  .meta({ id: 'AutomationDeviceRefsResult' });

export type CreateRunBody = z.input<typeof createRunBodySchema>;
export type AppendTimelineBody = z.infer<typeof appendTimelineBodySchema>;
export type AttachArtifactBody = z.infer<typeof attachArtifactBodySchema>;
export type FinishRunBody = z.infer<typeof finishRunBodySchema>;
export type OpenTicketBody = z.input<typeof openTicketBodySchema>;
export type DeviceRefsBody = z.input<typeof deviceRefsBodySchema>;
