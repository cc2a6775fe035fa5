// The status timeline of an automation run on the wire (contracts.md: "queued, running, each action
// started / succeeded / failed with timing"). zod only: the runner writes and the API validates the same entries.
import { z } from 'zod';
import { isoDateTime } from './primitives.ts';

export const RUN_STATES = ['queued', 'running', 'succeeded', 'failed'] as const;
export type RunState = (typeof RUN_STATES)[number];
/** An action is also `skipped`: after a failure, or an open_ticket_on_failure when nothing failed. */
export const ACTION_STATES = ['queued', 'running', 'succeeded', 'failed', 'skipped'] as const;
export type ActionState = (typeof ACTION_STATES)[number];

export const SKIP_REASONS = ['condition', 'dependency_failed', 'nothing_failed'] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

/** Why an action was skipped: its `when` (and the value it gave), a failed dependency, or (tickets) no failure. */
export const skipSchema = z
  .strictObject({
    reason: z.enum(SKIP_REASONS),
    condition: z.string().max(1000).optional().describe('the `when` as JSON (cut at 200 characters)'),
    value: z.unknown().optional().describe('what the condition evaluated to'),
    action_id: z.string().optional().describe('dependency_failed: the action that failed'),
  })
  .meta({ id: 'AutomationSkip' });
export type SkipInfo = z.infer<typeof skipSchema>;

export const timelineEntrySchema = z
  .strictObject({
    at: isoDateTime.describe('when the state was entered'),
    action_id: z.string().optional().describe('absent: the entry is about the run'),
    state: z.enum(ACTION_STATES),
    message: z.string().max(4000),
    duration_ms: z.number().int().min(0).describe('time since the subject started running (0 while queued)'),
    attempt: z.number().int().min(1).optional().describe('for retried actions: which attempt'),
    skip: skipSchema.optional().describe('for skipped actions: why'),
  })
  .meta({ id: 'AutomationTimelineEntry' });

export type TimelineEntry = z.infer<typeof timelineEntrySchema>;
