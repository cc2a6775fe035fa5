import type { SiteRule } from '../types.ts';
import { firstClaims, idClaims, q } from './util.ts';

export const duplicateRunbookId: SiteRule = {
  id: 'runbook/duplicate-runbook-id',
  severity: 'error',
  scope: 'site',
  description: 'Runbook ids are unique across the whole site (the first file, by path, keeps the id).',
  check({ files, report }) {
    firstClaims(
      idClaims(files),
      'id',
      report,
      (id, first) =>
        `Unexpected duplicate runbook id ${q(id)}, expected an id unique across runbooks (first in ${first})`,
    );
  },
};
