import type { FileRule } from '../types.ts';

export const syntax: FileRule = {
  id: 'runbook/syntax',
  severity: 'error',
  scope: 'file',
  description: 'The frontmatter is valid YAML and the body is valid MDX (nothing else can be checked otherwise).',
  check({ file, report }) {
    for (const p of file.syntax) report(p.reason, p.place);
  },
};
