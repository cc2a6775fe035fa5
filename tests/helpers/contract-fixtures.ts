// Records in the API's contract shape, for tests that feed the browser's data layer what the API
// would send (parsed by the contract itself, so a fixture cannot drift from it).
import { deviceSchema, type Device } from '../../data-api/src/contracts/registry.ts';

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
