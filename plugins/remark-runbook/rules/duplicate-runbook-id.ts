import type { RunbookFile, SiteRule } from '../types.ts';
import { isObj, q } from './util.ts';

export const duplicateRunbookId: SiteRule = {
  id: 'runbook/duplicate-runbook-id',
  severity: 'error',
  scope: 'site',
  description: 'Runbook ids are unique across the whole site (the first file, by path, keeps the id).',
  check({ files, report }) {
    const owners = new Map<string, RunbookFile>();
    for (const file of files) {
      const id = isObj(file.data) ? file.data.id : undefined;
      if (typeof id !== 'string') continue;
      const owner = owners.get(id);
      if (!owner) {
        owners.set(id, file);
        continue;
      }
      const first = owner.locate(['id']);
      report(
        file,
        `Unexpected duplicate runbook id ${q(id)}, expected an id unique across runbooks (first in ${owner.path}:${first.start.line}:${first.start.column})`,
        file.locate(['id']),
        {
          cause: { path: owner.path, place: first, reason: 'first defined here' },
        },
      );
    }
  },
};
