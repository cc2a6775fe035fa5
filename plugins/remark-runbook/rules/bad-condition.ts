import {
  CHECKLIST_CONDITION_ROOTS,
  CONDITION_FIELDS,
  checkCondition,
} from '../../../data-api/src/contracts/condition.ts';
import type { FileRule } from '../types.ts';
import { itemsOf } from './util.ts';

export const badCondition: FileRule = {
  id: 'runbook/bad-condition',
  severity: 'error',
  scope: 'file',
  description:
    "A checklist item's `when` is JSONLogic with known operators, reading deployment, site or product fields.",
  check({ file, report }) {
    for (const { gi, item, ii } of itemsOf(file.data)) {
      if (item.when === undefined) continue;
      for (const issue of checkCondition(item.when, { roots: CHECKLIST_CONDITION_ROOTS, fields: CONDITION_FIELDS })) {
        report(issue.message, file.locate(['gates', gi, 'checklist', ii, 'when', ...issue.path]));
      }
    }
  },
};
