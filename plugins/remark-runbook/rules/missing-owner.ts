import type { FileRule } from '../types.ts';
import { isObj } from './util.ts';

export const missingOwner: FileRule = {
  id: 'runbook/missing-owner',
  severity: 'warning',
  scope: 'file',
  description: 'A runbook names the team that owns it (`owner`).',
  check({ file, report }) {
    if (isObj(file.data) && file.data.owner === undefined)
      report('Missing `owner`, expected the team that owns this runbook, e.g. `owner: ops`', file.top());
  },
};
