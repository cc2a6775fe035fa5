// The library lint outside Docusaurus (`fleetbook lint`): product and prompt pages of the given
// files and folders, each parsed once, then the cross-page rules over the whole site.
import fs from 'node:fs';
import path from 'node:path';
import remarkFrontmatter from 'remark-frontmatter';
import remarkMdx from 'remark-mdx';
import remarkParse from 'remark-parse';
import { unified } from 'unified';
import { location } from 'vfile-location';
import { sortMessages } from '../remark-runbook/engine.ts';
import { toResult, type LintResult } from '../remark-runbook/report.ts';
import { displayPath, listPages } from '../remark-runbook/site.ts';
import { analyzePage, pageKind } from './analyze.ts';
import { environment, runPageRules, runSiteRules, scanSite } from './engine.ts';
import { validateOptions, type Options } from './options.ts';
import type { LibraryPage, LintMessage } from './types.ts';

/** Is this file (relative to the site) a page the library lint checks? */
export function isLibraryPage(relPath: string, options: Options = {}): boolean {
  return pageKind(relPath, validateOptions(options)) !== null;
}

export async function lintLibrary(paths: string[], options: Options & { cwd?: string } = {}): Promise<LintResult> {
  const { cwd, ...rest } = options;
  const opts = validateOptions({ ...rest, siteDir: cwd ?? process.cwd() });
  const siteDir = path.resolve(opts.siteDir);
  const targets = new Set<string>();
  for (const p of paths) {
    const abs = path.resolve(siteDir, p);
    const files = fs.statSync(abs).isDirectory() ? listPages(abs) : [abs];
    for (const f of files) if (pageKind(displayPath(siteDir, f), opts)) targets.add(f);
  }
  const env = environment(opts);
  const messages: LintMessage[] = [];
  const checked: LibraryPage[] = [];
  const parsers = {
    mdx: unified().use(remarkParse).use(remarkFrontmatter, ['yaml']).use(remarkMdx).freeze(),
    md: unified().use(remarkParse).use(remarkFrontmatter, ['yaml']).freeze(),
  };
  for (const abs of [...targets].sort()) {
    const rel = displayPath(siteDir, abs);
    const source = fs.readFileSync(abs, 'utf8');
    let page: LibraryPage;
    try {
      page = analyzePage(
        rel,
        source,
        pageKind(rel, opts)!,
        (abs.endsWith('.mdx') ? parsers.mdx : parsers.md).parse(source),
      );
    } catch (err) {
      const e = err as { reason?: string; message?: string; line?: number; column?: number };
      page = analyzePage(rel, source, pageKind(rel, opts)!, null);
      const offset = e.line ? (location(source).toOffset({ line: e.line, column: e.column ?? 1 }) ?? 0) : 0;
      page.syntax.push({
        reason: `Unexpected MDX (${(e.reason ?? e.message ?? String(err)).replace(/\.$/, '')}), expected a valid MDX body`,
        place: page.span(offset, offset),
      });
    }
    checked.push(page);
    messages.push(...runPageRules(page, env));
  }
  const mine = new Set(checked.map((p) => p.path));
  const site = [...scanSite(opts).filter((p) => !mine.has(p.path)), ...checked];
  messages.push(...runSiteRules(site, (p) => mine.has(p.path)));
  return toResult(
    [...targets].sort().map((t) => displayPath(siteDir, t)),
    sortMessages(messages),
  );
}
