import type { SiteRule } from '../types.ts';
import { didYouMean, isObj, q } from './util.ts';

export const missingRequires: SiteRule = {
  id: 'runbook/missing-requires',
  severity: 'error',
  scope: 'site',
  description: '`requires` names runbooks that exist.',
  check({ files, report }) {
    const ids = new Set(files.flatMap((f) => (isObj(f.data) && typeof f.data.id === 'string' ? [f.data.id] : [])));
    for (const file of files) {
      const requires = isObj(file.data) ? file.data.requires : undefined;
      if (!Array.isArray(requires)) continue;
      requires.forEach((r, i) => {
        if (typeof r === 'string' && !ids.has(r))
          report(
            file,
            `Unexpected requires ${q(r)}, expected the id of an existing runbook${didYouMean(r, ids)}`,
            file.locate(['requires', i]),
          );
      });
    }
  },
};
