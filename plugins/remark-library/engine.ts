// Runs the library rules over pages and turns their reports into lint messages (the same
// messages, reporters and exit codes as remark-runbook's).
import fs from 'node:fs';
import path from 'node:path';
import { lintMessage, sortMessages } from '../remark-runbook/engine.ts';
import { listPages, siteIndex } from '../remark-runbook/site.ts';
import type { Cause } from '../remark-runbook/types.ts';
import { analyzePage, pageKind } from './analyze.ts';
import type { PluginOptions } from './options.ts';
import { pageRules, siteRules } from './rules/index.ts';
import type { LibraryEnv, LibraryPage, LibraryRule, LintMessage, PageRule, Place } from './types.ts';

/** Where each rule id is documented (heading slug of docs/contracts/library.mdx). */
export const RULES_DOC = '/docs/contracts/library';
export const ruleUrl = (id: string) => `${RULES_DOC}#${id.replace(/[^a-z0-9-]/g, '')}`;

function message(
  rule: Pick<LibraryRule, 'id' | 'severity'>,
  page: LibraryPage,
  reason: string,
  place: Place,
  cause?: Cause,
): LintMessage {
  return lintMessage(rule, page.path, ruleUrl(rule.id), reason, place, cause);
}

export function environment(opts: PluginOptions): LibraryEnv {
  const siteDir = path.resolve(opts.siteDir);
  return {
    siteDir,
    staticDir: opts.staticDir.replace(/^\.\//, '').replace(/\/+$/, ''),
    products: siteIndex(siteDir, {
      runbooksDir: 'runbooks',
      docsDir: 'docs',
      productsDir: opts.productsDir,
    }).products(),
  };
}

/** The rules of one page (and its unreadable YAML or body, as `<kind>/syntax`); `rules` picks fewer. */
export function runPageRules(
  page: LibraryPage,
  env: LibraryEnv,
  rules: readonly PageRule[] = pageRules,
): LintMessage[] {
  const out: LintMessage[] = page.syntax.map((s) =>
    message({ id: `${page.kind}/syntax`, severity: 'error' }, page, s.reason, s.place),
  );
  for (const rule of rules) {
    if (rule.kind !== page.kind) continue;
    rule.check({
      page,
      env,
      report: (reason, place, extra) => out.push(message(rule, page, reason, place, extra?.cause)),
    });
  }
  return sortMessages(out);
}

/** The cross-page rules over every library page; `keep` picks the pages to report on. */
export function runSiteRules(pages: readonly LibraryPage[], keep: (page: LibraryPage) => boolean): LintMessage[] {
  const out: LintMessage[] = [];
  const sorted = [...pages].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  for (const rule of siteRules) {
    rule.check({
      pages: sorted.filter((p) => p.kind === rule.kind),
      report: (page, reason, place, extra) => {
        if (keep(page)) out.push(message(rule, page, reason, place, extra?.cause));
      },
    });
  }
  return sortMessages(out);
}

/** Every library page of the site, frontmatter only (for the cross-page rules). */
export function scanSite(opts: PluginOptions): LibraryPage[] {
  const siteDir = path.resolve(opts.siteDir);
  return [opts.productsDir, opts.promptsDir, opts.templatesDir]
    .flatMap((dir) => listPages(path.join(siteDir, dir)))
    .flatMap((abs) => {
      const rel = path.relative(siteDir, abs).split(path.sep).join('/');
      const kind = pageKind(rel, opts);
      return kind ? [analyzePage(rel, fs.readFileSync(abs, 'utf8'), kind, null)] : [];
    });
}
