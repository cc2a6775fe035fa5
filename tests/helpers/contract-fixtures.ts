// Records in the API's contract shape, for tests that feed the browser's data layer what the API
// would send (parsed by the contract itself, so a fixture cannot drift from it).
import type { Execution, ItemState } from '../../data-api/src/contracts/executions.ts';
import { deviceSchema, type Device } from '../../data-api/src/contracts/registry.ts';
import type { QueueEntry } from '../../src/runbook/queue.ts';

/** A Device (contracts/registry.ts) with every field the API sends; `patch` overrides any. */
export const contractDevice = (id: string, patch: Partial<Device> = {}): Device =>
  deviceSchema.parse({
    id,
    deployment_id: null,
    site_id: null,
    customer_id: null,
    product_code: 'pump-ctl',
    product_version: null,
    role: 'sensor',
    serial: null,
    name: id,
    status: 'up',
    last_seen: null,
    desired_state: {},
    desired_version: 0,
    observed_state: {},
    external_refs: {},
    heartbeat_interval_s: 60,
    tags: [],
    secrets_set: [],
    created_at: '2026-01-01T00:00:00.000Z',
    updated_at: '2026-01-01T00:00:00.000Z',
    ...patch,
  });

/** A checklist item's state (contracts/executions.ts) as the API sends it, unticked; its text is its id unless `patch` says. */
export const contractItem = (id: string, gate: string, patch: Partial<ItemState> = {}): ItemState => ({
  id,
  gate_id: gate,
  text: id,
  evidence: 'none',
  expect: null,
  checked: false,
  value: null,
  flagged: false,
  note: null,
  by: null,
  at: null,
  client_at: null,
  version: 0,
  evidence_items: [],
  auto_check: null,
  ...patch,
});

/** An execution in progress (contracts/executions.ts) as the API sends it; `patch` gives its gates and any other field. */
export const contractExecution = (patch: Partial<Execution> = {}): Execution => ({
  id: 'run_1',
  runbook: { id: 'rb-x', version: 1, title: 'X', kind: 'runbook', url: '/runbooks/rb-x' },
  deployment_id: 'dep_1',
  site_id: 'site_1',
  customer_id: 'cus_1',
  state: 'in_progress',
  progress: { checked: 0, total: 0 },
  current_gate: null,
  started_by: 'alice',
  started_at: '2026-01-01T00:00:00.000Z',
  finished_by: null,
  finished_at: null,
  abandon_reason: null,
  version: 0,
  updated_at: '2026-01-01T00:00:00.000Z',
  gates: [],
  ...patch,
});

/** An action waiting in the runner's offline queue (src/runbook/queue.ts), queued by alice, not yet tried. */
export const queuedAction = (seq: number, action: QueueEntry['action']): QueueEntry => ({
  seq,
  action_id: `a${seq}`.padEnd(33, '0'),
  created_at: '2026-01-01T00:00:01.000Z',
  by: 'alice',
  action,
  attempts: 0,
  last_error: null,
});
