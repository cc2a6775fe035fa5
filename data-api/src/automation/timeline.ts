// The status timeline of an automation run (contracts.md: "queued, running, each action
// started / succeeded / failed with timing"). zod only: the API validates the same entries.
import { z } from 'zod';

export const RUN_STATES = ['queued', 'running', 'succeeded', 'failed'] as const;
export type RunState = (typeof RUN_STATES)[number];
/** An action is also `skipped`: after a failure, or an open_ticket_on_failure when nothing failed. */
export const ACTION_STATES = ['queued', 'running', 'succeeded', 'failed', 'skipped'] as const;
export type ActionState = (typeof ACTION_STATES)[number];

export const timelineEntrySchema = z
  .strictObject({
    at: z.iso.datetime({ offset: true }).describe('when the state was entered'),
    action_id: z.string().optional().describe('absent: the entry is about the run'),
    state: z.enum(ACTION_STATES),
    message: z.string().max(4000),
    duration_ms: z.number().int().min(0).describe('time since the subject started running (0 while queued)'),
    attempt: z.number().int().min(1).optional().describe('for retried actions: which attempt'),
  })
  .meta({ id: 'AutomationTimelineEntry' });

export type TimelineEntry = z.infer<typeof timelineEntrySchema>;

export class Timeline {
  readonly entries: TimelineEntry[] = [];

  constructor(
    private readonly clock: () => Date = () => new Date(),
    private readonly onEntry?: (entry: TimelineEntry) => void,
  ) {}

  add(entry: Omit<TimelineEntry, 'at'> & { at?: string }): TimelineEntry {
    const full: TimelineEntry = { at: entry.at ?? this.clock().toISOString(), ...entry };
    // Keep the field order stable (at first) for journals and pages.
    const ordered: TimelineEntry = {
      at: full.at,
      ...(full.action_id !== undefined ? { action_id: full.action_id } : {}),
      state: full.state,
      message: full.message.length > 4000 ? `${full.message.slice(0, 3999)}…` : full.message,
      duration_ms: Math.max(0, Math.round(full.duration_ms)),
      ...(full.attempt !== undefined ? { attempt: full.attempt } : {}),
    };
    this.entries.push(ordered);
    this.onEntry?.(ordered);
    return ordered;
  }

  forAction(actionId: string): TimelineEntry[] {
    return this.entries.filter((e) => e.action_id === actionId);
  }
}
