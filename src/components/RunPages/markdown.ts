// A committed run page (MDX written by data-api/src/automation/run-page.ts) drawn in the browser.
// Run pages are MDX of a narrow, known shape: frontmatter, one MDX comment, CommonMark with GFM
// tables (each in its scroll frame, `<div className="fb-table-frame" …>`; older pages: bare),
// fenced code (text, yaml, mermaid) and the state mark `<span className="fb-state …" />`
// (older pages: `<StateIcon state="…" />`); every character of data is backslash-escaped. So
// CommonMark + GFM parses them exactly; no raw HTML is ever rendered (only the state mark and the
// table frame are recognised), and code blocks and mermaid use the theme's own components.
import { fromMarkdown } from 'mdast-util-from-markdown';
import { gfmFromMarkdown } from 'mdast-util-gfm';
import { gfm } from 'micromark-extension-gfm';
import type { Root, RootContent } from 'mdast';
import { TABLE_FRAME_CLOSE, TABLE_FRAME_OPEN } from '../../../data-api/src/automation/table-frame.ts';

const STATE_MARK =
  /^<(?:span\s+className="fb-state fb-state--([a-z]+)"[^>]*\/?>(?:<\/span>)?|StateIcon\s+state="([a-z]+)"\s*\/>)$/;

/** The state mark of a run page (an inline HTML node): its state, or null. */
export function stateOfMark(html: string): string | null {
  const m = STATE_MARK.exec(html.trim());
  return m ? (m[1] ?? m[2])! : null;
}

/** The page's markdown: frontmatter and MDX comments taken out. */
export function runPageMarkdown(mdx: string): string {
  return mdx.replace(/^---\n[\s\S]*?\n---\n/, '').replace(/^\{\/\*[\s\S]*?\*\/\}[ \t]*$/gm, '');
}

declare module 'mdast' {
  interface TableData {
    /** The name of the table's scroll frame (data-api/src/automation/table-frame.ts), when the page gave it one. */
    frame?: string;
  }
}

export function parseRunPage(mdx: string): Root {
  const root = fromMarkdown(runPageMarkdown(mdx), { extensions: [gfm()], mdastExtensions: [gfmFromMarkdown()] });
  // A table frame parses as three siblings (its opening line, the table, `</div>`): one table, named.
  const children: RootContent[] = [];
  for (let i = 0; i < root.children.length; i++) {
    const [open, table, close] = root.children.slice(i, i + 3);
    const label = open?.type === 'html' ? TABLE_FRAME_OPEN.exec(open.value.trim())?.[1] : undefined;
    if (label && table?.type === 'table' && close?.type === 'html' && close.value.trim() === TABLE_FRAME_CLOSE) {
      children.push({ ...table, data: { ...table.data, frame: label } });
      i += 2;
    } else children.push(root.children[i]!);
  }
  return { ...root, children };
}

/** A link of the page, as the built site has it: `.mdx` files are routes, the rest files beside the page. */
export function siteHref(href: string, pageUrl: string): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(href) || href.startsWith('#')) return href.replace(/^pathname:\/\//, '');
  const url = new URL(href, `http://site${pageUrl}`);
  const p = url.pathname.replace(/\/index\.mdx$/, '').replace(/\.mdx$/, '');
  return `${p}${url.hash}`;
}
