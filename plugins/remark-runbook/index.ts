// remark-runbook: validates runbook pages (frontmatter v1 + body task list) in the Docusaurus
// build and in `fleetbook lint` — the same code. Entry file only wires: options → analyse →
// rules → vfile messages (→ fail the build) → printable checklist.
import path from 'node:path';
import type { Root } from 'mdast';
import type { VFile } from 'vfile';
import { analyzeFile, isRunbookPage, withBody } from './analyze.ts';
import { appendChecklist } from './checklist.ts';
import { runFileRules, runSiteRules, sortMessages, type RuleEnv } from './engine.ts';
import { validateOptions, type Options, type PluginOptions } from './options.ts';
import { formatLine, summary } from './report.ts';
import { displayPath, siteIndex, type SiteIndex } from './site.ts';
import type { LintMessage, RunbookFile, SyntaxProblem } from './types.ts';
import type {} from './vfile-data.ts';

export type { Options } from './options.ts';

/** Thrown to fail the build: its message is the lint output, so it reads the same as `fleetbook lint`. */
export class RunbookLintError extends Error {
  constructor(text: string) {
    super(text);
    // Non-enumerable, like Error's own: Docusaurus JSON-dumps enumerable fields under "Details".
    Object.defineProperty(this, 'name', { value: 'RunbookLintError', enumerable: false });
    // The stack of a content error is noise: Docusaurus prints it under "Details".
    this.stack = `${this.name}: ${text}`;
  }
}

/** Reports `messages` on `file` as vfile messages (errors are fatal). */
function report(file: VFile, messages: LintMessage[]): void {
  for (const m of messages) {
    const cause = m.cause
      ? Object.assign(new Error(m.cause.reason), { file: m.cause.path, line: m.cause.line, column: m.cause.column })
      : undefined;
    const msg = file.message(m.reason, {
      place: { start: { line: m.line, column: m.column }, end: { line: m.endLine, column: m.endColumn } },
      ruleId: m.ruleId.replace(/^runbook\//, ''),
      source: 'runbook',
      ...(cause ? { cause } : {}),
    });
    msg.fatal = m.severity === 'error';
    msg.url = m.url;
  }
}

/** A build compiles many pages a second: the site scan is reused for this long (ms). */
const SITE_SCAN_MAX_AGE_MS = 1000;

/** The site rules' messages for a whole scan, by page: computed once per scan, not once per page. */
const siteRuleCache = new WeakMap<
  SiteIndex,
  { files: readonly RunbookFile[]; tutorialsDir: string; byPath: Map<string, LintMessage[]> }
>();

/** The site rules read only the frontmatter (and the path): same text at the same offset, same messages. */
const sameFrontmatter = (a: RunbookFile, b: RunbookFile) =>
  a.path === b.path && a.frontmatter?.text === b.frontmatter?.text && a.frontmatter?.start === b.frontmatter?.start;

/**
 * Checks one page: per-file rules, and (crossFile) the site rules against the scanned site
 * with this page's fresh content in it. Returns the messages about this page.
 */
export function checkRunbook(file: RunbookFile, opts: PluginOptions): LintMessage[] {
  const siteDir = path.resolve(opts.siteDir);
  const site = siteIndex(siteDir, opts);
  const env: RuleEnv = { products: site.products(), productsDir: opts.productsDir, tutorialsDir: opts.tutorialsDir };
  const messages = runFileRules(file, env);
  if (opts.crossFile) {
    const all = site.files({ maxAgeMs: SITE_SCAN_MAX_AGE_MS });
    const onDisk = all.find((f) => f.path === file.path);
    if (onDisk && sameFrontmatter(onDisk, file)) {
      // The page is as the scan read it: one run of the site rules serves every page of the scan.
      let cached = siteRuleCache.get(site);
      if (!cached || cached.files !== all || cached.tutorialsDir !== env.tutorialsDir) {
        const byPath = new Map<string, LintMessage[]>();
        for (const m of runSiteRules(all, env)) byPath.set(m.path, [...(byPath.get(m.path) ?? []), m]);
        cached = { files: all, tutorialsDir: env.tutorialsDir, byPath };
        siteRuleCache.set(site, cached);
      }
      messages.push(...(cached.byPath.get(file.path) ?? []).map((m) => ({ ...m })));
    } else {
      const others = all.filter((f) => f.path !== file.path);
      messages.push(...runSiteRules([...others, file], env, (f) => f === file));
    }
  }
  return sortMessages(messages);
}

/**
 * The plugin's work on one page (the transformer, and `fleetbook lint` when the body could not
 * be parsed: `tree` null, `syntax` says why). Returns the analysed runbook, or null when the
 * page is not a runbook.
 */
export function checkPage(
  file: VFile,
  tree: Root | null,
  opts: PluginOptions,
  printed = new Set<string>(),
  syntax: SyntaxProblem[] = [],
): RunbookFile | null {
  if (!file.path) return null;
  const rel = displayPath(path.resolve(opts.siteDir), path.resolve(file.cwd, file.path));
  const source = String(file.value);
  if (!file.data.runbookForce && !isRunbookPage(rel, source, opts.runbooksDir)) return null;

  // The cross-file scan has read this page already (the same bytes): reuse its frontmatter analysis.
  const scanned =
    tree && opts.crossFile
      ? siteIndex(path.resolve(opts.siteDir), opts)
          .files({ maxAgeMs: SITE_SCAN_MAX_AGE_MS })
          .find((f) => f.path === rel && f.source === source)
      : undefined;
  const runbook = scanned ? withBody(scanned, tree!) : analyzeFile(rel, source, tree);
  runbook.syntax.push(...syntax);
  file.data.runbook = runbook;
  const messages = checkRunbook(runbook, opts);
  report(file, messages);

  const warnings = messages.filter((m) => m.severity === 'warning');
  const errors = messages.length - warnings.length;
  if (opts.printWarnings && errors === 0) {
    // Client and server compilations may both run a page: print each warning once.
    const fresh = warnings.map(formatLine).filter((l) => !printed.has(l));
    for (const l of fresh) printed.add(l);
    if (fresh.length) process.stderr.write(`[WARNING] runbook lint:\n${fresh.join('\n')}\n`);
  }
  if (errors && opts.throwOnError) {
    throw new RunbookLintError(
      `runbook lint failed:\n${messages.map(formatLine).join('\n')}\n${summary(errors, warnings.length)}`,
    );
  }
  if (tree && opts.appendChecklist && runbook.parsed?.success && runbook.tasks?.length === 0)
    appendChecklist(tree, runbook.parsed.data);
  return runbook;
}

export default function remarkRunbook(options?: Options) {
  const opts = validateOptions(options);
  const printed = new Set<string>();
  return function transform(tree: Root, file: VFile): void {
    checkPage(file, tree, opts, printed);
  };
}
export { default as remarkRunbookRunner } from './runner.ts';
