import { checkProbeTemplates } from '../../../data-api/src/contracts/probe-template.ts';
import type { FileRule } from '../types.ts';
import { isObj, itemsOf } from './util.ts';

export const badProbeTemplate: FileRule = {
  id: 'runbook/bad-probe-template',
  severity: 'error',
  scope: 'file',
  description:
    "An item's `auto_check` target reads only the execution's site, deployment and device, by fields they have.",
  check({ file, report }) {
    for (const { gi, item, ii } of itemsOf(file.data)) {
      if (!isObj(item.auto_check)) continue;
      for (const [probe, target] of Object.entries(item.auto_check)) {
        if (typeof target !== 'string') continue;
        for (const message of checkProbeTemplates(target))
          report(message, file.locate(['gates', gi, 'checklist', ii, 'auto_check', probe]));
      }
    }
  },
};
