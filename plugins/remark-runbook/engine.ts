// Runs the rules over analysed pages and turns their reports into messages.
import { fileRules, siteRules } from './rules/index.ts';
import type { Cause, LintMessage, Place, Rule, RunbookFile } from './types.ts';

/** Where each rule id is documented (heading slug of docs/contracts/runbooks.mdx). */
export const RULES_DOC = '/docs/contracts/runbooks';
export const ruleUrl = (id: string) => `${RULES_DOC}#${id.replace(/[^a-z0-9-]/g, '')}`;

export interface RuleEnv {
  products: ReadonlySet<string> | null;
  productsDir: string;
  tutorialsDir: string;
}

/**
 * The message of one rule's report on the page at `path`; `url` is where the rule is documented.
 * The library's engine builds its messages here too.
 */
export function lintMessage(
  rule: Pick<Rule, 'id' | 'severity'>,
  path: string,
  url: string,
  reason: string,
  place: Place,
  cause?: Cause,
): LintMessage {
  return {
    path,
    line: place.start.line,
    column: place.start.column,
    endLine: place.end.line,
    endColumn: place.end.column,
    severity: rule.severity,
    ruleId: rule.id,
    reason,
    url,
    ...(cause
      ? {
          cause: {
            path: cause.path,
            line: cause.place.start.line,
            column: cause.place.start.column,
            reason: cause.reason,
          },
        }
      : {}),
  };
}

function message(rule: Rule, file: RunbookFile, reason: string, place: Place, cause?: Cause): LintMessage {
  return lintMessage(rule, file.path, ruleUrl(rule.id), reason, place, cause);
}

/** Rules that look at one page. */
export function runFileRules(file: RunbookFile, env: RuleEnv): LintMessage[] {
  const out: LintMessage[] = [];
  for (const rule of fileRules) {
    rule.check({
      file,
      products: env.products,
      productsDir: env.productsDir,
      report: (reason, place, extra) => out.push(message(rule, file, reason, place, extra?.cause)),
    });
  }
  return sortMessages(out);
}

/** Rules that look at every runbook of the site at once; `keep` picks the pages to report on. */
export function runSiteRules(
  files: readonly RunbookFile[],
  env: RuleEnv,
  keep: (file: RunbookFile) => boolean = () => true,
): LintMessage[] {
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const out: LintMessage[] = [];
  for (const rule of siteRules) {
    rule.check({
      files: sorted,
      tutorialsDir: env.tutorialsDir,
      report: (file, reason, place, extra) => {
        if (keep(file)) out.push(message(rule, file, reason, place, extra?.cause));
      },
    });
  }
  return sortMessages(out);
}

export function sortMessages(messages: LintMessage[]): LintMessage[] {
  return messages.sort(
    (a, b) =>
      (a.path < b.path ? -1 : a.path > b.path ? 1 : 0) ||
      a.line - b.line ||
      a.column - b.column ||
      (a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : 0) ||
      (a.reason < b.reason ? -1 : a.reason > b.reason ? 1 : 0),
  );
}
