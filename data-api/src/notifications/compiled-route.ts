// A policy of the routing tree as compiled from policies.yaml: route.ts builds and walks the
// tree, group.ts groups and flushes by it (and route.ts calls group.ts, so it lives apart).
import type { GROUP_ALL } from '../contracts/notification-policies.ts';

export interface EscalationStep {
  afterMs: number;
  contactPoints: string[];
}

export interface CompiledRoute {
  /** `root`, `root.0`, `root.0.2`: the path in the tree (stable while policies.yaml is). */
  id: string;
  test: (labels: Record<string, string>) => boolean;
  receiverName: string;
  steps: EscalationStep[];
  /** Start the steps again every repeat interval while unacknowledged (else: repeat the last step). */
  cycle: boolean;
  groupBy: string[] | typeof GROUP_ALL;
  groupWaitMs: number;
  groupIntervalMs: number;
  repeatIntervalMs: number;
  muteDuringMaintenance: boolean;
  continue: boolean;
  children: CompiledRoute[];
}
