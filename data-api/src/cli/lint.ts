import fs from 'node:fs';
import path from 'node:path';
import { Command, Option } from 'commander';
import { isLibraryPage, lintLibrary } from '../../../plugins/remark-library/lint.ts';
import { formatJson, formatText, lintFiles, type LintResult } from '../../../plugins/remark-runbook/lint.ts';
import { sortMessages } from '../../../plugins/remark-runbook/engine.ts';
import { lintPageFrontmatter } from '../../../plugins/remark-runbook/pages.ts';
import { exitWithError } from './errors.ts';

const DEFAULT_PATHS = ['runbooks/', 'docs/'];

/** One result of the runbook lint and the library lint: every message, sorted. */
function merge(...results: Array<LintResult | null>): LintResult {
  const all = results.filter((r): r is LintResult => r !== null);
  const messages = sortMessages(all.flatMap((r) => r.messages));
  const errorCount = messages.filter((m) => m.severity === 'error').length;
  return {
    files: [...new Set(all.flatMap((r) => r.files))].sort(),
    messages,
    errorCount,
    warningCount: messages.length - errorCount,
  };
}

/** `fleetbook lint [paths…]`: the site build's runbook checks, every problem of every page in one run. */
export function lintCommand(): Command {
  return new Command('lint')
    .description(
      'Check runbooks, SOPs, tutorials, product, prompt and template pages as the site build does (exit 1 on any error, 0 with only warnings)',
    )
    .argument(
      '[paths...]',
      `files or folders to check; a file named here is checked as a runbook unless it is a product, prompt or template page (default: ${DEFAULT_PATHS.join(' ')})`,
    )
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('--products-dir <dir>', 'the product catalog: product_code of <dir>/*/index.mdx', 'docs/products')
    .action(async (paths: string[], opts: { format: 'text' | 'json'; productsDir: string }) => {
      try {
        const cwd = process.cwd();
        // The default folders may be missing (a site without runbooks yet); paths named by hand may not.
        const targets = paths.length ? paths : DEFAULT_PATHS.filter((p) => fs.existsSync(path.resolve(cwd, p)));
        const exists = (p: string) => fs.existsSync(path.resolve(cwd, p));
        // A product, prompt or template page named by hand is the library lint's, never checked as a runbook.
        const libraryFile = (p: string) =>
          exists(p) &&
          fs.statSync(path.resolve(cwd, p)).isFile() &&
          isLibraryPage(path.relative(cwd, path.resolve(cwd, p)).split(path.sep).join('/'), {
            productsDir: opts.productsDir,
          });
        const runbookTargets = targets.filter((p) => !libraryFile(p));
        const library = await lintLibrary(targets.filter(exists), { cwd, productsDir: opts.productsDir });
        const runbooks =
          runbookTargets.length || !targets.length
            ? await lintFiles(runbookTargets, { cwd, productsDir: opts.productsDir })
            : null;
        // Every other page of those paths: its frontmatter must parse, and a `kind` must be one we know.
        const claimed = new Set([...(library?.files ?? []), ...(runbooks?.files ?? [])]);
        const pages = lintPageFrontmatter(targets, { cwd, skip: claimed });
        const result = merge(library, runbooks, pages);
        process.stdout.write(opts.format === 'json' ? formatJson(result) : formatText(result));
        process.exitCode = result.errorCount > 0 ? 1 : 0;
      } catch (err) {
        exitWithError(err);
      }
    });
}
