import { isValidSemverRange } from '../../../data-api/src/contracts/runbook.ts';
import type { FileRule } from '../types.ts';
import { isObj, q } from './util.ts';

export const invalidSemverRange: FileRule = {
  id: 'runbook/invalid-semver-range',
  severity: 'error',
  scope: 'file',
  description: '`product_versions` is a semver range (`semver.validRange`).',
  check({ file, report }) {
    const v = isObj(file.data) ? file.data.product_versions : undefined;
    if (typeof v !== 'string' || isValidSemverRange(v)) return;
    report(
      `Unexpected semver range ${q(v)}, expected a range such as ">=2.0 <3" or "^1.4"`,
      file.locate(['product_versions']),
    );
  },
};
