import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  executionSpecSchema,
  type ExecutionSpec,
  type ExecutionSpecInput,
} from '../../data-api/src/contracts/execution-spec.ts';

type ActionInput = ExecutionSpecInput['actions'][number];

/** A validated execution spec around the given actions (the rest as in contracts.md). */
export function makeSpec(
  actions: Array<Record<string, unknown>>,
  overrides: Partial<ExecutionSpecInput> = {},
): ExecutionSpec {
  return executionSpecSchema.parse({
    spec_version: 1,
    project: 'farm-north-lorawan',
    deployment_id: 'dep_farm-north',
    product_code: 'lorawan-gw',
    product_version: '2.1.0',
    targets: { gateways: ['gw_farm-north-1'], devices: [], stations: [] },
    actions: actions as ActionInput[],
    ...overrides,
  });
}

/** A fresh temp folder, removed by the returned cleanup. */
export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), `fleetbook-${prefix}-`)));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
