// The printable checklist: when the frontmatter has gates and the body no task list, append
// one (a heading per gate, `- [ ] text` per item) so the page still reads as a checklist.
import type { Heading, List, ListItem, Root } from 'mdast';
import type { RunbookFrontmatter } from '../../data-api/src/contracts/runbook.ts';

export function checklistNodes(frontmatter: Pick<RunbookFrontmatter, 'gates'>): (Heading | List)[] {
  return frontmatter.gates.flatMap((gate): (Heading | List)[] => [
    { type: 'heading', depth: 2, children: [{ type: 'text', value: gate.title }] },
    {
      type: 'list',
      ordered: false,
      spread: false,
      children: gate.checklist.map((item): ListItem => ({
        type: 'listItem',
        checked: false,
        spread: false,
        children: [{ type: 'paragraph', children: [{ type: 'text', value: item.text }] }],
      })),
    },
  ]);
}

export function appendChecklist(tree: Root, frontmatter: Pick<RunbookFrontmatter, 'gates'>): void {
  tree.children.push(...checklistNodes(frontmatter));
}
