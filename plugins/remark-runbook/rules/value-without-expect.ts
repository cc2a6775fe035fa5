import type { FileRule } from '../types.ts';
import { itemsOf, q } from './util.ts';

export const valueWithoutExpect: FileRule = {
  id: 'runbook/value-without-expect',
  severity: 'error',
  scope: 'file',
  description: 'An item with `evidence: value` says what it expects (`expect: { min, max, unit }`).',
  check({ file, report }) {
    for (const { gi, item, ii } of itemsOf(file.data)) {
      if (item.evidence !== 'value' || item.expect !== undefined) continue;
      const name = typeof item.id === 'string' ? ` ${q(item.id)}` : '';
      report(
        `Unexpected \`value\` item${name} without \`expect\`, expected \`expect: { min, max, unit }\``,
        file.locate(['gates', gi, 'checklist', ii, 'evidence']),
      );
    }
  },
};
