import { findDuplicates } from '../../../data-api/src/contracts/runbook.ts';
import type { FileRule } from '../types.ts';
import { at, gatesOf, q } from './util.ts';

export const duplicateGateId: FileRule = {
  id: 'runbook/duplicate-gate-id',
  severity: 'error',
  scope: 'file',
  description: 'Gate ids are unique within a runbook.',
  check({ file, report }) {
    const gates = gatesOf(file.data);
    for (const d of findDuplicates(gates.map((g) => g.gate.id))) {
      const first = file.locate(['gates', gates[d.first]!.gi, 'id']);
      report(
        `Unexpected duplicate gate id ${q(gates[d.index]!.gate.id)}, expected unique gate ids (first at ${at(first)})`,
        file.locate(['gates', gates[d.index]!.gi, 'id']),
        { cause: { path: file.path, place: first, reason: 'first defined here' } },
      );
    }
  },
};
