import { SIGN_OFF_ROLES } from '../../../data-api/src/contracts/runbook.ts';
import type { FileRule } from '../types.ts';
import { gatesOf, list, q } from './util.ts';

export const unknownSignOffRole: FileRule = {
  id: 'runbook/unknown-sign-off-role',
  severity: 'error',
  scope: 'file',
  description: 'A gate’s `sign_off` names a known role (`lead` is the field team lead).',
  check({ file, report }) {
    for (const { gate, gi } of gatesOf(file.data)) {
      if (gate.sign_off === undefined || (SIGN_OFF_ROLES as readonly unknown[]).includes(gate.sign_off)) continue;
      report(
        `Unexpected sign-off role ${q(gate.sign_off)}, expected one of ${list(SIGN_OFF_ROLES)}`,
        file.locate(['gates', gi, 'sign_off']),
      );
    }
  },
};
