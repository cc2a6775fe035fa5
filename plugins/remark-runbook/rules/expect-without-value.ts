import { EVIDENCE_KINDS, expectWithoutValueMessage } from '../../../data-api/src/contracts/runbook.ts';
import type { FileRule } from '../types.ts';
import { itemsOf } from './util.ts';

export const expectWithoutValue: FileRule = {
  id: 'runbook/expect-without-value',
  severity: 'error',
  scope: 'file',
  description: 'Only an item with `evidence: value` has an `expect` range: the runner records and checks no other.',
  check({ file, report }) {
    for (const { gi, item, ii } of itemsOf(file.data)) {
      if (item.expect === undefined || item.evidence === 'value') continue;
      // An unknown evidence kind is runbook/unknown-evidence-kind's to report.
      if (!(EVIDENCE_KINDS as readonly unknown[]).includes(item.evidence)) continue;
      const id = typeof item.id === 'string' ? item.id : `#${ii + 1}`;
      report(
        expectWithoutValueMessage(id, String(item.evidence)),
        file.locate(['gates', gi, 'checklist', ii, 'expect'], 'key'),
      );
    }
  },
};
