// Reads one page once: frontmatter YAML with positions, the schema's verdict, the body's task list.
import type { ListItem, Nodes, Paragraph, Root } from 'mdast';
import { visit } from 'unist-util-visit';
import { location } from 'vfile-location';
import { isMap, isScalar, isSeq, parseDocument, type Node as YamlNode } from 'yaml';
import { runbookFrontmatterSchema } from '../../data-api/src/contracts/runbook.ts';
import { safeParseNotingKeys } from '../../data-api/src/contracts/unknown-keys.ts';
import type { DataPath, Frontmatter, Place, Point, RunbookFile, SyntaxProblem, TaskItem } from './types.ts';

const RUNBOOK_KIND_LINE = /^kind:[ \t]*["']?(runbook|sop|tutorial)["']?[ \t]*(#.*)?$/m;
const OVERVIEW_KEY_LINE = /^(kind|gates):/m;
const INDEX_NAMES = new Set(['index.md', 'index.mdx', 'readme.md', 'readme.mdx']);

/** The frontmatter block at the very start of a page (`---` … `---`), as remark-frontmatter sees it. */
export function splitFrontmatter(source: string): { fenceStart: number; start: number; end: number } | null {
  const open = /^---[ \t]*(\r?\n|$)/.exec(source);
  if (!open) return null;
  const start = open[0].length;
  const close = /^---[ \t]*\r?$/m;
  close.lastIndex = 0;
  const rest = source.slice(start);
  const m = close.exec(rest);
  if (!m) return null;
  return { fenceStart: 0, start, end: start + m.index };
}

/** Does the frontmatter declare `kind: runbook | sop | tutorial`? (Text check: works on broken YAML too.) */
export function declaresRunbookKind(source: string): boolean {
  const fm = splitFrontmatter(source);
  return fm !== null && RUNBOOK_KIND_LINE.test(source.slice(fm.start, fm.end));
}

/**
 * Is this page a runbook? Every page of the runbooks folder is, except `_partials` and an
 * overview index page (index/README) that declares neither `kind` nor `gates`; elsewhere, a
 * page is a runbook when it declares `kind: runbook | sop | tutorial`.
 */
export function isRunbookPage(relPath: string, source: string, runbooksDir: string): boolean {
  const parts = relPath.split('/');
  if (parts.some((p) => p.startsWith('_'))) return false;
  const dir = runbooksDir.replace(/^\.\//, '').replace(/\/+$/, '');
  if (dir === '.' || relPath.startsWith(`${dir}/`)) {
    if (!INDEX_NAMES.has(parts[parts.length - 1]!.toLowerCase())) return true;
    const fm = splitFrontmatter(source);
    return fm !== null && OVERVIEW_KEY_LINE.test(source.slice(fm.start, fm.end));
  }
  return declaresRunbookKind(source);
}

function yamlReason(code: string, message: string): string {
  const what = message.replace(/\s+at line \d+, column \d+[\s\S]*$/, '').replace(/\.$/, '');
  return `Unexpected YAML (${what}), expected valid YAML frontmatter`;
}

/** A page's frontmatter as YAML with positions: what every lint of the plugin family starts from. */
export type FrontmatterPage = Pick<
  RunbookFile,
  'path' | 'source' | 'frontmatter' | 'data' | 'syntax' | 'point' | 'locate' | 'top'
> & {
  span(a: number, b: number): Place;
};

/** Reads the frontmatter of `source` with positions; `data` is undefined when missing or unreadable. */
export function readFrontmatter(path: string, source: string): FrontmatterPage {
  const loc = location(source);
  const point = (offset: number): Point => {
    const o = Math.max(0, Math.min(offset, source.length));
    const p = loc.toPoint(o);
    return p ? { line: p.line, column: p.column, offset: o } : { line: 1, column: 1, offset: 0 };
  };
  const span = (a: number, b: number): Place => ({ start: point(a), end: point(Math.max(a, b)) });

  const syntax: SyntaxProblem[] = [];
  let frontmatter: Frontmatter | null = null;
  let data: unknown;
  const split = splitFrontmatter(source);
  if (split) {
    const text = source.slice(split.start, split.end);
    const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true });
    frontmatter = { fenceStart: split.fenceStart, start: split.start, text, doc };
    if (doc.errors.length) {
      for (const e of doc.errors)
        syntax.push({
          reason: yamlReason(e.code, e.message),
          place: span(split.start + e.pos[0], split.start + e.pos[1]),
        });
    } else if (doc.contents === null) {
      data = {};
    } else {
      data = doc.toJS({ maxAliasCount: 1000 });
    }
  }

  const top = (): Place => {
    const c = frontmatter?.doc.contents;
    if (frontmatter && c?.range) return span(frontmatter.start + c.range[0], frontmatter.start + c.range[0]);
    return span(0, split ? split.start : 0);
  };

  const locate = (path: DataPath, target: 'key' | 'value' = 'value'): Place => {
    if (!frontmatter) return top();
    let node: YamlNode | null = frontmatter.doc.contents as YamlNode | null;
    let found: [number, number] | null = node?.range ? [node.range[0], node.range[1]] : null;
    for (let i = 0; i < path.length && node; i++) {
      const seg = path[i]!;
      const last = i === path.length - 1;
      if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
        if (!pair) break;
        const key = pair.key as YamlNode;
        if (last && target === 'key' && key.range)
          return span(frontmatter.start + key.range[0], frontmatter.start + key.range[1]);
        const value = pair.value as YamlNode | null;
        if (!value?.range) {
          // `key:` with nothing after it: point at the key.
          if (key.range) found = [key.range[0], key.range[1]];
          node = null;
          break;
        }
        node = value;
      } else if (isSeq(node) && typeof seg === 'number') {
        const item = node.items[seg] as YamlNode | undefined;
        if (!item?.range) break;
        node = item;
      } else break;
      found = [node.range![0], node.range![1]];
    }
    return found ? span(frontmatter.start + found[0], frontmatter.start + found[1]) : top();
  };

  return { path, source, frontmatter, data, syntax, point, locate, top, span };
}

/** Parses `source` (and reads `tree`, when the body was parsed) into a RunbookFile. */
export function analyzeFile(path: string, source: string, tree: Root | null = null): RunbookFile {
  const { span, ...page } = readFrontmatter(path, source);
  const parsed = page.data === undefined ? null : safeParseNotingKeys(runbookFrontmatterSchema, page.data);
  return { ...page, parsed, tasks: tree ? readTaskList(tree, source, span) : null, tree };
}

/**
 * A page the site scan already analysed (frontmatter only), now with its body: the YAML and the
 * schema are not run again. Only for the very same source.
 */
export function withBody(file: RunbookFile, tree: Root): RunbookFile {
  const span = (a: number, b: number): Place => ({ start: file.point(a), end: file.point(Math.max(a, b)) });
  return { ...file, syntax: [...file.syntax], tasks: readTaskList(tree, file.source, span), tree };
}

/** Plain text of a node (mdast-util-to-string, minus the dependency). */
function toText(node: Nodes): string {
  if ('value' in node && typeof node.value === 'string')
    return node.type === 'mdxTextExpression' ? `{${node.value}}` : node.value;
  if ('children' in node) return (node.children as Nodes[]).map(toText).join('');
  return '';
}

const ID_MARKER = /\{#([^{}\s]+)\}\s*$/;

function readTaskList(tree: Root, source: string, span: (a: number, b: number) => Place): TaskItem[] {
  const items: TaskItem[] = [];
  visit(tree, 'listItem', (node: ListItem) => {
    if (typeof node.checked !== 'boolean') return;
    const start = node.position?.start.offset ?? 0;
    const para = node.children.find((c): c is Paragraph => c.type === 'paragraph');
    const full = para ? toText(para) : '';
    const m = ID_MARKER.exec(full);
    const id = m ? m[1]! : null;
    const text = (m ? full.slice(0, m.index) : full).trim();
    let idPlace: Place | null = null;
    const paraEnd = para?.position?.end.offset;
    if (id && paraEnd !== undefined) {
      // The marker in the source: `{#id}` (Markdown) or `\{#id\}` (MDX escapes the braces).
      const at = source.lastIndexOf(`#${id}`, paraEnd);
      if (at > 0) {
        let from = at - 1;
        if (from > 0 && source[from - 1] === '\\') from -= 1;
        idPlace = span(from, paraEnd);
      }
    }
    const lineEnd = source.indexOf('\n', start);
    items.push({ id, text, place: span(start, lineEnd === -1 ? source.length : lineEnd), idPlace });
  });
  return items;
}
