import type { FileRule } from '../types.ts';
import { at, didYouMean, itemsOf, q } from './util.ts';

export const taskListMismatch: FileRule = {
  id: 'runbook/task-list-mismatch',
  severity: 'error',
  scope: 'file',
  description: 'Each body task-list item ends with the id of a frontmatter item (`- [ ] text \\{#id\\}`), once.',
  check({ file, report }) {
    if (!file.tasks?.length) return;
    const ids = new Set(itemsOf(file.data).flatMap(({ item }) => (typeof item.id === 'string' ? [item.id] : [])));
    if (ids.size === 0) return;
    const marker = file.path.endsWith('.mdx') ? '`\\{#id\\}`' : '`{#id}`';
    const seen = new Map<string, (typeof file.tasks)[number]>();
    for (const task of file.tasks) {
      if (task.id === null) {
        report(
          `Unexpected task-list item without an id, expected it to end with ${marker} naming a checklist item of the frontmatter`,
          task.place,
        );
      } else if (!ids.has(task.id)) {
        report(
          `Unexpected task-list id ${q(task.id)}, expected the id of a checklist item of the frontmatter${didYouMean(task.id, ids)}`,
          task.idPlace ?? task.place,
        );
      } else if (seen.has(task.id)) {
        const first = seen.get(task.id)!;
        const firstPlace = first.idPlace ?? first.place;
        report(
          `Unexpected second task-list item ${q(task.id)}, expected each item once (first at ${at(firstPlace)})`,
          task.idPlace ?? task.place,
          {
            cause: { path: file.path, place: firstPlace, reason: 'first listed here' },
          },
        );
      } else {
        seen.set(task.id, task);
      }
    }
  },
};
