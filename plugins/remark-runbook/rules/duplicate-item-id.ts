import { findDuplicates } from '../../../data-api/src/contracts/runbook.ts';
import type { FileRule } from '../types.ts';
import { at, itemsOf, q } from './util.ts';

export const duplicateItemId: FileRule = {
  id: 'runbook/duplicate-item-id',
  severity: 'error',
  scope: 'file',
  description: 'Item ids are unique within a runbook, across all its gates.',
  check({ file, report }) {
    const items = itemsOf(file.data);
    for (const d of findDuplicates(items.map((i) => i.item.id))) {
      const a = items[d.first]!;
      const b = items[d.index]!;
      const first = file.locate(['gates', a.gi, 'checklist', a.ii, 'id']);
      report(
        `Unexpected duplicate item id ${q(b.item.id)}, expected unique item ids in a runbook (first at ${at(first)})`,
        file.locate(['gates', b.gi, 'checklist', b.ii, 'id']),
        { cause: { path: file.path, place: first, reason: 'first defined here' } },
      );
    }
  },
};
