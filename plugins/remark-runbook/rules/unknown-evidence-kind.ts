import { EVIDENCE_KINDS } from '../../../data-api/src/contracts/runbook.ts';
import type { FileRule } from '../types.ts';
import { itemsOf, list, q } from './util.ts';

export const unknownEvidenceKind: FileRule = {
  id: 'runbook/unknown-evidence-kind',
  severity: 'error',
  scope: 'file',
  description: 'Each item asks for a known kind of evidence.',
  check({ file, report }) {
    for (const { gi, item, ii } of itemsOf(file.data)) {
      if (item.evidence === undefined || (EVIDENCE_KINDS as readonly unknown[]).includes(item.evidence)) continue;
      report(
        `Unexpected evidence kind ${q(item.evidence)}, expected one of ${list(EVIDENCE_KINDS)}`,
        file.locate(['gates', gi, 'checklist', ii, 'evidence']),
      );
    }
  },
};
