// The printable task list of a page, made for reading: `- [ ] Enclosure mounted \{#mount\}` renders
// as "Enclosure mounted" in an item whose id is `task-mount` (a link target: `#task-mount`), the
// marker itself never shown. Each checkbox is named by its item's text (a screen reader says
// "Enclosure mounted, checkbox, not checked"), so the checkbox is drawn here rather than by GFM.
import type { ListItem, Paragraph, PhrasingContent, Root, Text } from 'mdast';
import type { MdxJsxTextElement } from 'mdast-util-mdx-jsx';
import { visit } from 'unist-util-visit';

const ID_MARKER = /\s*\{#([^{}\s]+)\}\s*$/;

const plain = (nodes: PhrasingContent[]): string =>
  nodes
    .map((n) =>
      'value' in n && typeof n.value === 'string'
        ? n.value
        : 'children' in n
          ? plain(n.children as PhrasingContent[])
          : '',
    )
    .join('');

/** Strips `{#id}` from the end of the item's first paragraph; returns the id. */
function takeMarker(para: Paragraph): string | null {
  const last = para.children[para.children.length - 1];
  if (!last || last.type !== 'text') return null;
  const m = ID_MARKER.exec(last.value);
  if (!m) return null;
  (last as Text).value = last.value.slice(0, m.index);
  if (!last.value) para.children.pop();
  return m[1]!;
}

/** On MDX pages: ids to anchors, markers out of the text, labelled checkboxes. */
export function anchorTaskItems(tree: Root): void {
  visit(tree, 'listItem', (item: ListItem) => {
    if (typeof item.checked !== 'boolean') return;
    const para = item.children.find((c): c is Paragraph => c.type === 'paragraph');
    if (!para) return;
    const id = takeMarker(para);
    const label = plain(para.children).trim();
    const box: MdxJsxTextElement = {
      type: 'mdxJsxTextElement',
      name: 'input',
      attributes: [
        { type: 'mdxJsxAttribute', name: 'type', value: 'checkbox' },
        { type: 'mdxJsxAttribute', name: 'className', value: 'task-list-item-checkbox' },
        { type: 'mdxJsxAttribute', name: 'disabled', value: null },
        ...(item.checked ? [{ type: 'mdxJsxAttribute' as const, name: 'defaultChecked', value: null }] : []),
        { type: 'mdxJsxAttribute', name: 'aria-label', value: label || 'task' },
      ],
      children: [],
    };
    para.children.unshift(box, { type: 'text', value: ' ' });
    item.checked = null;
    item.data = {
      ...item.data,
      hProperties: {
        ...(item.data?.hProperties ?? {}),
        className: ['task-list-item'],
        ...(id ? { id: `task-${id}` } : {}),
      },
    };
  });
  // GFM marks lists holding task items; keep its class so the theme styles them the same.
  visit(tree, 'list', (list) => {
    if (
      list.children.some((c) =>
        (c.data?.hProperties as { className?: string[] } | undefined)?.className?.includes('task-list-item'),
      )
    ) {
      list.data = {
        ...list.data,
        hProperties: { ...(list.data?.hProperties ?? {}), className: ['contains-task-list'] },
      };
    }
  });
}
