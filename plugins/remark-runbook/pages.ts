// `fleetbook lint` over any folder: the pages no other lint claims (notes, architecture, a
// runbook whose `kind` is misspelled) still get their frontmatter read. Broken YAML and an
// unknown `kind` are errors there too, instead of the page passing in silence.
import fs from 'node:fs';
import path from 'node:path';
import { RUNBOOK_KINDS } from '../../data-api/src/contracts/runbook.ts';
import { readFrontmatter } from './analyze.ts';
import { ruleUrl } from './engine.ts';
import { toResult, type LintResult } from './report.ts';
import { displayPath, listPages } from './site.ts';
import type { LintMessage, Place } from './types.ts';
import { didYouMean, isObj, list, q } from './rules/util.ts';

/** Every `kind` a page may declare: the runbook family, and library prompts. */
export const PAGE_KINDS = [...RUNBOOK_KINDS, 'prompt'] as const;

/**
 * Checks the frontmatter of the pages under `paths` that are not in `skip` (display paths of
 * pages another lint has checked): `page/frontmatter` (valid YAML) and `page/unknown-kind`.
 */
export function lintPageFrontmatter(
  paths: string[],
  options: { cwd?: string; skip?: ReadonlySet<string> } = {},
): LintResult {
  const siteDir = path.resolve(options.cwd ?? process.cwd());
  const files = new Set<string>();
  for (const p of paths) {
    const abs = path.resolve(siteDir, p);
    if (!fs.existsSync(abs)) continue; // the runbook lint reports a missing path
    const folder = fs.statSync(abs).isDirectory();
    for (const f of folder ? listPages(abs) : [abs]) {
      // Docusaurus leaves `_partials` out of the site: below the folder named, so do we.
      const partial =
        folder &&
        displayPath(abs, f)
          .split('/')
          .some((s) => s.startsWith('_'));
      if (/\.mdx?$/.test(f) && !partial && !options.skip?.has(displayPath(siteDir, f))) files.add(f);
    }
  }
  const messages: LintMessage[] = [];
  for (const abs of [...files].sort()) {
    const rel = displayPath(siteDir, abs);
    const page = readFrontmatter(rel, fs.readFileSync(abs, 'utf8'));
    const report = (ruleId: string, reason: string, place: Place) =>
      messages.push({
        path: rel,
        line: place.start.line,
        column: place.start.column,
        endLine: place.end.line,
        endColumn: place.end.column,
        severity: 'error',
        ruleId,
        reason,
        url: ruleUrl(ruleId),
      });
    for (const problem of page.syntax) report('page/frontmatter', problem.reason, problem.place);
    if (!isObj(page.data) || page.data.kind === undefined) continue;
    const kind = page.data.kind;
    if (typeof kind === 'string' && (PAGE_KINDS as readonly string[]).includes(kind)) continue;
    const hint = typeof kind === 'string' ? didYouMean(kind, PAGE_KINDS) : '';
    report(
      'page/unknown-kind',
      `Unexpected kind ${q(kind)}, expected one of ${list(PAGE_KINDS)}${hint}`,
      page.locate(['kind']),
    );
  }
  return toResult(
    [...files].sort().map((f) => displayPath(siteDir, f)),
    messages,
  );
}
