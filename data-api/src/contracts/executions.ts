// Runbook executions, evidence and tutorial progress (domain.md "Work and evidence").
// Shared by the API and the browser (RunbookRunner, ExecutionList): no server-only imports.
// `import * as z` like contracts/runbook.ts, whose schemas this file reuses.
import * as z from 'zod';
import { isoDateTime as timestamp } from './primitives.ts';
import { idSchema } from './ids.ts';
import { pageOf, pageQuery } from './pagination.ts';
import {
  AUTO_CHECK_PROBES,
  EVIDENCE_KINDS,
  RUNBOOK_ID_PATTERN,
  SIGN_OFF_ROLES,
  gateSchema,
  type Expect,
} from './runbook.ts';

export const EXECUTION_STATES = ['in_progress', 'blocked', 'done', 'abandoned'] as const;
export type ExecutionState = (typeof EXECUTION_STATES)[number];
/** Executions in these states accept no more changes (409). */
export const FINAL_STATES: readonly ExecutionState[] = ['done', 'abandoned'];

/** Evidence rows: uploads (photo, file) and links. Values and notes live on the item state. */
export const STORED_EVIDENCE_KINDS = ['photo', 'file', 'link'] as const;

/** Evidence uploads: at most this many bytes (413 above). */
export const MAX_EVIDENCE_BYTES = 10 * 1024 * 1024;

/**
 * A gate as the runner shows it:
 * - `locked`: an earlier gate with `sign_off` is not signed off yet (ticks here are refused, 409);
 * - `open`: items can be ticked;
 * - `awaiting_sign_off`: every item is checked, the sign-off is missing (the execution is `blocked`);
 * - `complete`: every item checked and, when the gate has `sign_off`, signed off.
 */
export const GATE_STATUSES = ['locked', 'open', 'awaiting_sign_off', 'complete'] as const;
export type GateStatus = (typeof GATE_STATUSES)[number];

const runbookId = z.string().regex(RUNBOOK_ID_PATTERN, 'expected a runbook id like rb-site-survey');
export const executionIdSchema = idSchema('execution');
export const evidenceIdSchema = idSchema('evidence');
export const itemIdSchema = z.string().regex(RUNBOOK_ID_PATTERN, 'expected a checklist item id');
export const gateIdSchema = z.string().regex(RUNBOOK_ID_PATTERN, 'expected a gate id');

const progressSchema = z.object({ checked: z.number().int(), total: z.number().int() });

export const evidenceSchema = z
  .object({
    id: evidenceIdSchema,
    execution_id: executionIdSchema,
    gate_id: z.string(),
    item_id: z.string(),
    kind: z.enum(STORED_EVIDENCE_KINDS),
    /** sha-256 of the bytes (uploads), hex. */
    sha256: z.string().nullable(),
    size: z.number().int().nullable(),
    content_type: z.string().nullable(),
    filename: z.string().nullable(),
    /** A `link` item's URL; for uploads, the API path that serves the bytes. */
    url: z.string(),
    by: z.string(),
    at: timestamp,
  })
  .meta({ id: 'Evidence' });

export const itemStateSchema = z
  .object({
    id: z.string(),
    gate_id: z.string(),
    text: z.string(),
    evidence: z.enum(EVIDENCE_KINDS),
    expect: z
      .object({ min: z.number().optional(), max: z.number().optional(), unit: z.string().optional() })
      .nullable(),
    checked: z.boolean(),
    value: z.number().nullable(),
    /** The value is outside `expect`: stored only with a note saying why. */
    flagged: z.boolean(),
    note: z.string().nullable(),
    /** Who made the last change to this item, and when (server time). */
    by: z.string().nullable(),
    at: timestamp.nullable(),
    /** When the person did it on their device (differs from `at` when it was queued offline). */
    client_at: timestamp.nullable(),
    /** Bumped on every change: send it back as `if_version` to refuse a change made on stale data. */
    version: z.number().int(),
    evidence_items: z.array(evidenceSchema),
    /** The item's `auto_check` as the runbook writes it (templates not filled in): POST …/check runs it. */
    auto_check: z
      .object({ probe: z.enum(AUTO_CHECK_PROBES), target: z.string() })
      .nullable()
      .describe('what POST …/check probes, as the runbook writes it; null when the item has no auto_check'),
  })
  .meta({ id: 'ChecklistItemState' });

export const signOffSchema = z.object({ by: z.string(), role: z.string(), at: timestamp, note: z.string().nullable() });

export const gateStateSchema = z
  .object({
    id: z.string(),
    title: z.string(),
    sign_off: z.enum(SIGN_OFF_ROLES).nullable(),
    status: z.enum(GATE_STATUSES),
    progress: progressSchema,
    signed_off: signOffSchema.nullable(),
    items: z.array(itemStateSchema),
  })
  .meta({ id: 'GateState' });

const runbookRefSchema = z.object({
  id: z.string(),
  version: z.number().int(),
  title: z.string(),
  kind: z.string(),
  /** The runbook page on the site (`/runbooks/rb-site-survey`). */
  url: z.string().nullable(),
});

export const executionSummarySchema = z
  .object({
    id: executionIdSchema,
    runbook: runbookRefSchema,
    deployment_id: z.string(),
    site_id: z.string(),
    customer_id: z.string(),
    state: z.enum(EXECUTION_STATES),
    progress: progressSchema,
    /** The first gate that is not complete (null when all are). */
    current_gate: z.string().nullable(),
    started_by: z.string(),
    started_at: timestamp,
    finished_by: z.string().nullable(),
    finished_at: timestamp.nullable(),
    abandon_reason: z.string().nullable(),
    /** Bumped on every change to the execution or one of its items. */
    version: z.number().int(),
    updated_at: timestamp,
  })
  .meta({ id: 'ExecutionSummary' });

export const executionSchema = executionSummarySchema
  .extend({ gates: z.array(gateStateSchema) })
  .meta({ id: 'Execution' });

export const activitySchema = z
  .object({
    id: z.number().int(),
    action: z.string(),
    gate_id: z.string().nullable(),
    item_id: z.string().nullable(),
    by: z.string(),
    at: timestamp,
    client_at: timestamp.nullable(),
    detail: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'ExecutionActivity' });

/** What an item action answers: the item as it is now, and the execution's header. */
export const itemActionResultSchema = z
  .object({
    execution: executionSummarySchema,
    item: itemStateSchema,
    /** The same `action_id` was applied before: nothing changed this time. */
    duplicate: z.boolean(),
  })
  .meta({ id: 'ItemActionResult' });

/** What POST …/items/:item_id/check answers: the probe's verdict and the item as it is now. */
export const autoCheckResultSchema = z
  .object({
    passed: z.boolean(),
    probe: z.enum(AUTO_CHECK_PROBES),
    /** As the runbook writes it: `{{site.network_server}}:1700`. */
    template: z.string(),
    /** What was probed, templates filled in: `10.1.2.3:1700`. */
    target: z.string(),
    /** What the probe saw: `PULL_ACK in 12 ms`, `no answer within 5 s`. */
    detail: z.string(),
    /** The note a passing probe wrote on the item (null when it failed). */
    note: z.string().nullable(),
    at: timestamp,
    execution: executionSummarySchema,
    /** Checked when the probe passed (and the item needs no other evidence); unchanged when it failed. */
    item: itemStateSchema,
  })
  .meta({ id: 'AutoCheckResult' });

/* ------------------------------------------------------------------ requests */

export const clientMeta = {
  /** A client-chosen id (e.g. a UUID): the same action sent twice (an offline queue retrying) is applied once. */
  action_id: z
    .string()
    .min(8)
    .max(100)
    .regex(/^[A-Za-z0-9_-]+$/, 'expected a url-safe action id')
    .optional(),
  /** When the person did it on their device: kept beside the server time. */
  client_at: timestamp.optional(),
};
const ifVersion = z
  .number()
  .int()
  .min(0)
  .optional()
  .describe('the item version the change was made on; a stale one gets 409 with the current item');
const note = z.string().trim().min(1, 'must not be empty').max(4000, 'at most 4000 characters');

export const executionCreateSchema = z.strictObject({
  id: executionIdSchema.optional(),
  runbook_id: runbookId,
  deployment_id: idSchema('deployment'),
});

export const tickSchema = z.strictObject({ if_version: ifVersion, note: note.optional(), ...clientMeta });
export const untickSchema = z.strictObject({ if_version: ifVersion, ...clientMeta });
export const valueSchema = z.strictObject({
  value: z.number({ error: 'expected a number' }).finite(),
  note: note.optional().describe('required when the value is outside `expect`'),
  if_version: ifVersion,
  ...clientMeta,
});
export const noteSchema = z.strictObject({ note, if_version: ifVersion, ...clientMeta });
/** Probes are not queued offline (they say something about now): no action_id, no client_at. */
export const autoCheckRequestSchema = z.strictObject({ if_version: ifVersion });
export const linkSchema = z.strictObject({
  url: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }).max(2000),
  if_version: ifVersion,
  ...clientMeta,
});
export const signOffRequestSchema = z.strictObject({ note: note.optional(), ...clientMeta });
export const finishSchema = z.strictObject({ ...clientMeta });
export const abandonSchema = z.strictObject({ reason: note, ...clientMeta });

export const executionListQuery = {
  deployment_id: idSchema('deployment').optional(),
  runbook_id: runbookId.optional(),
  site_id: idSchema('site').optional(),
  customer_id: idSchema('customer').optional(),
  product_code: z
    .string()
    .max(64)
    .optional()
    .describe("the deployment's product: executions on deployments of this product (not the runbook's product_code)"),
  per_deployment: z.coerce
    .number({ error: 'expected a number' })
    .int('expected a whole number')
    .min(1, 'expected at least 1')
    .max(50, 'expected at most 50')
    .optional()
    .describe("only each deployment's newest N executions (a board showing the latest few per deployment)"),
  state: z
    .string()
    .regex(
      new RegExp(`^(${EXECUTION_STATES.join('|')})(,(${EXECUTION_STATES.join('|')}))*$`),
      `expected one or more of ${EXECUTION_STATES.join(', ')}, comma-separated`,
    )
    .optional()
    .describe('one state or a comma list, e.g. in_progress,blocked'),
};

/* ------------------------------------------------------------------ runbook catalog */

export const runbookInfoSchema = z
  .object({
    id: z.string(),
    title: z.string(),
    kind: z.string(),
    version: z.number().int(),
    owner: z.string().nullable(),
    product_code: z.string().nullable(),
    product_versions: z.string().nullable(),
    estimated_minutes: z.number().int().nullable(),
    requires: z.array(z.string()),
    track: z.string().nullable(),
    step: z.number().int().nullable(),
    path: z.string(),
    url: z.string(),
    gates: z.array(gateSchema),
  })
  .meta({ id: 'RunbookInfo' });

/* ------------------------------------------------------------------ sign-off leads */

export const leadSchema = z
  .object({ name: z.string(), granted_by: z.string(), granted_at: timestamp })
  .meta({ id: 'RunbookLead' });
export const whoamiSchema = z
  .object({
    name: z.string(),
    role: z.string(),
    kind: z.string(),
    /** May sign off gates whose `sign_off` is `lead`. */
    lead: z.boolean(),
  })
  .meta({ id: 'RunbookWhoami' });

/* ------------------------------------------------------------------ tutorials */

export const tutorialStepSchema = z.object({
  step: z.number().int(),
  id: z.string(),
  title: z.string(),
  url: z.string(),
  estimated_minutes: z.number().int().nullable(),
  completed_at: timestamp.nullable(),
});
export const tutorialTrackSchema = z
  .object({
    track: z.string(),
    person: z.string(),
    steps: z.array(tutorialStepSchema),
    progress: progressSchema,
  })
  .meta({ id: 'TutorialTrack' });
export const tutorialProgressSchema = z
  .object({ person: z.string(), tracks: z.array(tutorialTrackSchema) })
  .meta({ id: 'TutorialProgress' });

export const executionSummaryPage = pageOf(executionSummarySchema, 'ExecutionSummary');

export type Evidence = z.infer<typeof evidenceSchema>;
export type ItemState = z.infer<typeof itemStateSchema>;
export type GateState = z.infer<typeof gateStateSchema>;
export type ExecutionSummary = z.infer<typeof executionSummarySchema>;
export type Execution = z.infer<typeof executionSchema>;
export type Activity = z.infer<typeof activitySchema>;
export type ItemActionResult = z.infer<typeof itemActionResultSchema>;
export type AutoCheckResult = z.infer<typeof autoCheckResultSchema>;
export type RunbookInfo = z.infer<typeof runbookInfoSchema>;
export type Whoami = z.infer<typeof whoamiSchema>;
export type TutorialTrack = z.infer<typeof tutorialTrackSchema>;
export type TutorialProgress = z.infer<typeof tutorialProgressSchema>;

/* ------------------------------------------------------------------ shared rules */

/** Is `value` outside `expect` (min and max inclusive)? */
export function outOfRange(value: number, expect: Pick<Expect, 'min' | 'max'> | null | undefined): boolean {
  if (!expect) return false;
  return (expect.min !== undefined && value < expect.min) || (expect.max !== undefined && value > expect.max);
}

/** `11.5–12.5 V`, `≥ 4 m`, `≤ 10 ohm`. */
export function formatExpect(expect: Pick<Expect, 'min' | 'max' | 'unit'> | null | undefined): string {
  if (!expect) return '';
  const unit = expect.unit ? ` ${expect.unit}` : '';
  if (expect.min !== undefined && expect.max !== undefined) return `${expect.min}–${expect.max}${unit}`;
  if (expect.min !== undefined) return `≥ ${expect.min}${unit}`;
  return `≤ ${expect.max}${unit}`;
}

/**
 * Gate statuses in order (runbooks.md): a gate with `sign_off` that is not signed off locks
 * every gate after it. The server answers with these; the runner recomputes them over its
 * optimistic (queued) ticks with the same function.
 */
export function computeGateStatuses(
  gates: readonly { id: string; sign_off?: string | null; checklist: readonly { id: string }[] }[],
  isChecked: (itemId: string) => boolean,
  isSigned: (gateId: string) => boolean,
): { id: string; status: GateStatus; progress: { checked: number; total: number } }[] {
  let locked = false;
  return gates.map((g) => {
    const total = g.checklist.length;
    const checked = g.checklist.filter((i) => isChecked(i.id)).length;
    const needsSignOff = !!g.sign_off && !isSigned(g.id);
    const status: GateStatus = locked
      ? 'locked'
      : checked < total
        ? 'open'
        : needsSignOff
          ? 'awaiting_sign_off'
          : 'complete';
    if (needsSignOff) locked = true;
    return { id: g.id, status, progress: { checked, total } };
  });
}

/** The execution state that follows from its gates (final states aside). */
export function liveState(statuses: readonly { status: GateStatus }[]): 'in_progress' | 'blocked' {
  return statuses.some((s) => s.status === 'awaiting_sign_off') ? 'blocked' : 'in_progress';
}

const tutorialTrackName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'expected a track name (the folder under docs/tutorials/)');
export const tutorialTrackParams = z.object({ track: tutorialTrackName });
export const tutorialStepParams = z.object({
  track: tutorialTrackName,
  step: z.coerce.number().int().min(1).max(1000),
});
export const tutorialPersonQuery = z.strictObject({
  person: z.string().min(1).max(200).optional().describe('admins only: another person'),
});

/* ------------------------------------------------------------------ routes: params, queries, answers */

export const executionParams = z.object({ id: executionIdSchema });
export const itemParams = z.object({ id: executionIdSchema, item_id: itemIdSchema });
export const gateParams = z.object({ id: executionIdSchema, gate_id: gateIdSchema });
export const evidenceParams = z.object({ id: executionIdSchema, evidence_id: evidenceIdSchema });

/** The bytes of an upload served back (evidence, a work item's attachment), in the type sniffed from them. */
export const uploadBytesSchema = z.string().meta({
  format: 'binary',
  description:
    'The bytes as uploaded, with the content type sniffed from them at upload (Content-Type), ETag the sha-256 ' +
    '(304 for a matching If-None-Match), X-Content-Type-Options: nosniff and a sandboxing CSP; photos inline, files ' +
    'as attachment (Content-Disposition with the file name).',
});
export const leadParams = z.object({ name: z.string().min(1).max(200) });

/** A 409 on an item may carry the item as it is now (stale `if_version`): "changed by X at T". */
export const conflictSchema = z
  .object({ error: z.string(), message: z.string().optional(), current: itemStateSchema.optional() })
  .meta({ id: 'ExecutionConflict' });

export const uploadQuery = z.strictObject({
  kind: z
    .enum(['photo', 'file'])
    .default('photo')
    .describe('photo: JPEG, PNG, WebP or HEIC by magic bytes; file: the allow-list'),
  ...clientMeta,
  // A query string carries text: the version is coerced (the JSON bodies take a number).
  if_version: z.coerce.number().int().min(0).optional(),
});

export const evidenceUploadResultSchema = itemActionResultSchema
  .extend({ evidence: evidenceSchema.nullable() })
  .meta({ id: 'EvidenceUploadResult' });

export const activityQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(1000).default(200),
  after: z.coerce.number().int().min(0).optional().describe('activity id: return what came after it'),
});
export const activityListSchema = z.object({ items: z.array(activitySchema) });

export const runbookListQuery = z.strictObject({
  kind: z.enum(['runbook', 'sop', 'tutorial']).optional(),
  product_code: z.string().max(64).optional(),
});
export const runbookListSchema = z.object({ items: z.array(runbookInfoSchema) });
export const runbookParams = z.object({ runbook_id: z.string().max(64) });
export const leadListSchema = z.object({ items: z.array(leadSchema) });
export const executionListQuerySchema = z.strictObject({ ...pageQuery, ...executionListQuery });

/** The payload of an `execution.*` change event (stream topic `execution:<id>`): the header, and the item an item action changed. */
export const executionChangePayloadSchema = z.looseObject({
  execution_id: executionIdSchema,
  deployment_id: z.string(),
  runbook_id: z.string(),
  state: z.enum(EXECUTION_STATES),
  version: z.number().int(),
  progress: progressSchema,
  current_gate: z.string().nullable(),
  by: z.string(),
  at: timestamp,
  gate_id: z.string().optional(),
  item: itemStateSchema.optional(),
});
export type ExecutionChangePayload = z.infer<typeof executionChangePayloadSchema>;
