import type { FileRule } from '../types.ts';
import { itemsOf, q } from './util.ts';

export const itemNotInBody: FileRule = {
  id: 'runbook/item-not-in-body',
  severity: 'error',
  scope: 'file',
  description: 'When the body writes the checklist as a task list, every frontmatter item is in it.',
  check({ file, report }) {
    if (!file.tasks?.length) return;
    const listed = new Set(file.tasks.map((t) => t.id));
    const mdx = file.path.endsWith('.mdx');
    for (const { gi, item, ii } of itemsOf(file.data)) {
      if (typeof item.id !== 'string' || listed.has(item.id)) continue;
      const text = typeof item.text === 'string' ? `${item.text} ` : '';
      const line = `- [ ] ${text}${mdx ? `\\{#${item.id}\\}` : `{#${item.id}}`}`;
      report(
        `Missing item ${q(item.id)} in the body's task list, expected a line \`${line}\``,
        file.locate(['gates', gi, 'checklist', ii, 'id']),
      );
    }
  },
};
