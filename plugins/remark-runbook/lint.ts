// The lint core outside Docusaurus (`fleetbook lint`): the remark plugin over each page
// (pass 1, per-file rules), then the cross-file rules once over the whole site (pass 2).
import fs from 'node:fs';
import path from 'node:path';
import { gfmTaskListItemFromMarkdown } from 'mdast-util-gfm-task-list-item';
import { gfmTaskListItem } from 'micromark-extension-gfm-task-list-item';
import remarkFrontmatter from 'remark-frontmatter';
import remarkMdx from 'remark-mdx';
import remarkParse from 'remark-parse';
import { unified, type Processor } from 'unified';
import { VFile } from 'vfile';
import { location } from 'vfile-location';
import { isRunbookPage } from './analyze.ts';
import { runSiteRules, ruleUrl, sortMessages } from './engine.ts';
import remarkRunbook, { checkPage } from './index.ts';
import { DEFAULT_OPTIONS, validateOptions } from './options.ts';
import { toResult, type LintResult } from './report.ts';
import { displayPath, listPages, siteIndex } from './site.ts';
import type { LintMessage, RunbookFile, Severity } from './types.ts';

export { formatJson, formatLine, formatText, summary, type LintResult } from './report.ts';

export interface LintOptions {
  /** The site dir: paths are resolved and shown relative to it (default: process.cwd()). */
  cwd?: string;
  /** Product catalog folder (default `docs/products`). */
  productsDir?: string;
  /** Every page here is a runbook (default `runbooks`). */
  runbooksDir?: string;
  /** Pages here are runbooks when they declare a runbook `kind` (default `docs`). */
  docsDir?: string;
  /** Tutorial tracks folder (default `docs/tutorials`). */
  tutorialsDir?: string;
}

/** A path that does not exist: a usage error (exit code 2), not a lint finding. */
export class LintUsageError extends Error {
  readonly exitCode = 2;
}

function fromVFileMessage(file: RunbookFile, m: VFile['messages'][number]): LintMessage {
  const start = m.place && 'start' in m.place ? m.place.start : m.place;
  const end = m.place && 'end' in m.place ? m.place.end : start;
  const cause = m.cause as (Error & { file?: string; line?: number; column?: number }) | undefined;
  const ruleId = `${m.source}/${m.ruleId}`;
  return {
    path: file.path,
    line: start?.line ?? 1,
    column: start?.column ?? 1,
    endLine: end?.line ?? start?.line ?? 1,
    endColumn: end?.column ?? start?.column ?? 1,
    severity: (m.fatal ? 'error' : 'warning') as Severity,
    ruleId,
    reason: m.reason,
    url: m.url ?? ruleUrl(ruleId),
    ...(cause?.file
      ? { cause: { path: cause.file, line: cause.line ?? 1, column: cause.column ?? 1, reason: cause.message } }
      : {}),
  };
}

/**
 * Of GFM, the rules need task-list items only; tables, autolinks and footnotes were a tenth
 * of the parse time for nothing (the site build still parses full GFM).
 */
function remarkTaskListItems(this: Processor): void {
  const data = this.data();
  (data.micromarkExtensions ??= []).push(gfmTaskListItem());
  (data.fromMarkdownExtensions ??= []).push(gfmTaskListItemFromMarkdown());
}

/** Expands files and folders into the runbook pages to check (a file named explicitly always is one). */
function targetsOf(paths: string[], siteDir: string, runbooksDir: string): string[] {
  const out = new Set<string>();
  for (const p of paths) {
    const abs = path.resolve(siteDir, p);
    let st: fs.Stats;
    try {
      st = fs.statSync(abs);
    } catch {
      throw new LintUsageError(`lint: no such file or folder: ${p}`);
    }
    if (st.isFile()) out.add(abs);
    else
      for (const f of listPages(abs))
        if (isRunbookPage(displayPath(siteDir, f), fs.readFileSync(f, 'utf8'), runbooksDir)) out.add(f);
  }
  return [...out].sort();
}

/** Lints runbook pages; every problem of every page in one result, sorted by file and position. */
export async function lintFiles(paths: string[], options: LintOptions = {}): Promise<LintResult> {
  const siteDir = path.resolve(options.cwd ?? process.cwd());
  const dirs = {
    siteDir,
    runbooksDir: options.runbooksDir ?? DEFAULT_OPTIONS.runbooksDir,
    docsDir: options.docsDir ?? DEFAULT_OPTIONS.docsDir,
    productsDir: options.productsDir ?? DEFAULT_OPTIONS.productsDir,
    tutorialsDir: options.tutorialsDir ?? DEFAULT_OPTIONS.tutorialsDir,
  };
  const pluginOptions = {
    ...dirs,
    crossFile: false,
    appendChecklist: false,
    throwOnError: false,
    printWarnings: false,
  };
  const targets = targetsOf(paths, siteDir, dirs.runbooksDir);

  // Pass 1: each page through the remark plugin (parse errors become runbook/syntax messages).
  // One frozen processor per syntax, reused for every page (building one per page recombines
  // the micromark extensions each time).
  const processorFor = (mdx: boolean) => {
    const p = unified().use(remarkParse).use(remarkFrontmatter, ['yaml']).use(remarkTaskListItems);
    if (mdx) p.use(remarkMdx);
    return p.use(remarkRunbook, pluginOptions).freeze();
  };
  const processors = { mdx: processorFor(true), md: processorFor(false) };
  const checked = new Map<string, RunbookFile>();
  const messages: LintMessage[] = [];
  for (const abs of targets) {
    const source = fs.readFileSync(abs, 'utf8');
    const vfile = new VFile({ path: abs, cwd: siteDir, value: source, data: { runbookForce: true } });
    const processor = abs.endsWith('.mdx') ? processors.mdx : processors.md;
    try {
      await processor.run(processor.parse(vfile), vfile);
    } catch (err) {
      // The body is not valid MDX: check the frontmatter alone, and say where the body broke.
      const e = err as { reason?: string; message?: string; line?: number; column?: number };
      const offset = e.line ? (location(source).toOffset({ line: e.line, column: e.column ?? 1 }) ?? 0) : 0;
      const at = location(source).toPoint(offset) ?? { line: 1, column: 1, offset: 0 };
      const point = { line: at.line, column: at.column, offset };
      const line = source.split('\n')[at.line - 1] ?? '';
      const hint = /(^|[^\\])\{#/.test(line) ? ' (in MDX, write a task id as `\\{#id\\}`)' : '';
      const reason = `Unexpected MDX (${(e.reason ?? e.message ?? String(err)).replace(/\.$/, '')}), expected a valid MDX body${hint}`;
      vfile.messages.length = 0;
      checkPage(vfile, null, validateOptions(pluginOptions), undefined, [
        { reason, place: { start: point, end: point } },
      ]);
    }
    const file = vfile.data.runbook;
    if (!file) continue;
    // The rules are done with the body: keeping 1,000 syntax trees only feeds the GC.
    file.tree = null;
    checked.set(abs, file);
    messages.push(...vfile.messages.map((m) => fromVFileMessage(file, m)));
  }

  // Pass 2: the cross-file rules, once, over the site with the checked pages in it
  // (pages checked in pass 1 are not read and parsed a second time).
  const site = siteIndex(siteDir, dirs);
  for (const [abs, f] of checked) site.prime(abs, f);
  const all = new Map(site.files().map((f) => [path.resolve(siteDir, f.path), f] as const));
  for (const [abs, f] of checked) all.set(abs, f);
  const mine = new Set(checked.values());
  messages.push(
    ...runSiteRules(
      [...all.values()],
      { products: null, productsDir: dirs.productsDir, tutorialsDir: dirs.tutorialsDir },
      (f) => mine.has(f),
    ),
  );

  return toResult(
    targets.map((t) => displayPath(siteDir, t)),
    sortMessages(messages),
  );
}
