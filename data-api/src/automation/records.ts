// What a run records of each action and each artifact: the run record (runner.ts) and the
// progress file (progress.ts) both hold them, so they live apart from either.
import type { SkipInfo, ActionState } from '../contracts/automation-timeline.ts';

export interface ActionRecord {
  id: string;
  type: string;
  state: ActionState;
  attempts: number;
  started_at?: string;
  finished_at?: string;
  duration_ms: number;
  summary?: string;
  error?: string;
  /** Log lines, scrubbed of resolved secret values. */
  log: string[];
  outputs?: Record<string, unknown>;
  /** Effective dependencies (the previous action in a spec without depends_on). */
  needs?: string[];
  /** For skipped actions: why (the condition and its value, or the failed dependency). */
  skip?: SkipInfo;
}

export interface ArtifactRecord {
  action_id: string;
  name: string;
  /** Absolute path of the file. */
  file: string;
  content_type: string;
  size: number;
  sha256: string;
}
