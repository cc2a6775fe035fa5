// The runner's recorder of a run's timeline (the entries' schema is contracts/automation-timeline.ts).
import type { TimelineEntry } from '../contracts/automation-timeline.ts';

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
      ...(full.skip !== undefined ? { skip: full.skip } : {}),
    };
    this.entries.push(ordered);
    this.onEntry?.(ordered);
    return ordered;
  }

  forAction(actionId: string): TimelineEntry[] {
    return this.entries.filter((e) => e.action_id === actionId);
  }
}
