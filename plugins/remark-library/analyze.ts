// Which pages the library lint checks, and reading one.
import type { Root } from 'mdast';
import { readFrontmatter } from '../remark-runbook/analyze.ts';
import type { LibraryPage, PageKind } from './types.ts';

const trim = (dir: string) => dir.replace(/^\.\//, '').replace(/\/+$/, '');

/** A product page (`<products>/<code>/index.mdx`), a prompt page (under `<prompts>/`), a template (`<templates>/*.mdx`), or neither. */
export function pageKind(
  relPath: string,
  dirs: { productsDir: string; promptsDir: string; templatesDir: string },
): PageKind | null {
  if (!/\.mdx?$/.test(relPath) || relPath.split('/').some((p) => p.startsWith('_'))) return null;
  const products = trim(dirs.productsDir);
  if (relPath.startsWith(`${products}/`) && /^[^/]+\/index\.mdx?$/.test(relPath.slice(products.length + 1)))
    return 'product';
  const prompts = trim(dirs.promptsDir);
  if (relPath.startsWith(`${prompts}/`) && !/(^|\/)index\.mdx?$/.test(relPath)) return 'prompt';
  const templates = trim(dirs.templatesDir);
  if (
    relPath.startsWith(`${templates}/`) &&
    /^[^/]+\.mdx?$/.test(relPath.slice(templates.length + 1)) &&
    !/\/index\.mdx?$/.test(relPath)
  )
    return 'template';
  return null;
}

export function analyzePage(relPath: string, source: string, kind: PageKind, tree: Root | null): LibraryPage {
  return { ...readFrontmatter(relPath, source), kind, tree };
}
