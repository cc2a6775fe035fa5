// remark-library: validates the product library's pages — product pages (docs/products/<code>/)
// and prompt pages (docs/prompts/) — in the Docusaurus build and in `fleetbook lint`, the same
// code. Entry file only wires: options → analyse → rules → vfile messages (→ fail the build).
import path from 'node:path';
import type { Root } from 'mdast';
import type { VFile } from 'vfile';
import { formatLine, summary } from '../remark-runbook/report.ts';
import { displayPath } from '../remark-runbook/site.ts';
import { analyzePage, pageKind } from './analyze.ts';
import { environment, runPageRules, runSiteRules, scanSite } from './engine.ts';
import { validateOptions, type Options, type PluginOptions } from './options.ts';
import type { LintMessage } from './types.ts';

export type { Options } from './options.ts';

/** Thrown to fail the build: its message is the lint output, as `fleetbook lint` prints it. */
export class LibraryLintError extends Error {
  constructor(text: string) {
    super(text);
    Object.defineProperty(this, 'name', { value: 'LibraryLintError', enumerable: false });
    this.stack = `${this.name}: ${text}`;
  }
}

/** Checks one page as the build sees it; returns its messages (none when it is not a library page). */
export function checkLibraryPage(file: VFile, tree: Root | null, opts: PluginOptions): LintMessage[] {
  if (!file.path) return [];
  const siteDir = path.resolve(opts.siteDir);
  const rel = displayPath(siteDir, path.resolve(file.cwd, file.path));
  const kind = pageKind(rel, opts);
  if (!kind) return [];
  const page = analyzePage(rel, String(file.value), kind, tree);
  const messages = runPageRules(page, environment(opts));
  if (kind === 'prompt') {
    const others = scanSite(opts).filter((p) => p.path !== rel);
    messages.push(...runSiteRules([...others, page], (p) => p === page));
  }
  for (const m of messages) {
    const msg = file.message(m.reason, {
      place: { start: { line: m.line, column: m.column }, end: { line: m.endLine, column: m.endColumn } },
      ruleId: m.ruleId.slice(m.ruleId.indexOf('/') + 1),
      source: m.ruleId.slice(0, m.ruleId.indexOf('/')),
    });
    msg.fatal = m.severity === 'error';
    msg.url = m.url;
  }
  return messages;
}

export default function remarkLibrary(options?: Options) {
  const opts = validateOptions(options);
  return function transform(tree: Root, file: VFile): void {
    const messages = checkLibraryPage(file, tree, opts);
    const errors = messages.filter((m) => m.severity === 'error').length;
    if (errors && opts.throwOnError) {
      throw new LibraryLintError(
        `library lint failed:\n${messages.map(formatLine).join('\n')}\n${summary(errors, messages.length - errors)}`,
      );
    }
  };
}
