import type { FileRule } from '../types.ts';
import { isObj } from './util.ts';

export const missingEstimate: FileRule = {
  id: 'runbook/missing-estimate',
  severity: 'warning',
  scope: 'file',
  description: 'A runbook says how long it takes (`estimated_minutes`).',
  check({ file, report }) {
    if (isObj(file.data) && file.data.estimated_minutes === undefined)
      report(
        'Missing `estimated_minutes`, expected how long the runbook takes, e.g. `estimated_minutes: 90`',
        file.top(),
      );
  },
};
