import fs from 'node:fs';
import path from 'node:path';
import { Command, Option } from 'commander';
import { formatJson, formatText, lintFiles } from '../../../plugins/remark-runbook/lint.ts';
import { exitWithError } from './errors.ts';

const DEFAULT_PATHS = ['runbooks/', 'docs/'];

/** `fleetbook lint [paths…]`: the site build's runbook checks, every problem of every page in one run. */
export function lintCommand(): Command {
  return new Command('lint')
    .description('Check runbooks, SOPs and tutorials as the site build does (exit 1 on any error, 0 with only warnings)')
    .argument('[paths...]', `files or folders to check; a file named here is always checked as a runbook (default: ${DEFAULT_PATHS.join(' ')})`)
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('--products-dir <dir>', 'the product catalog: product_code of <dir>/*/index.mdx', 'docs/products')
    .action(async (paths: string[], opts: { format: 'text' | 'json'; productsDir: string }) => {
      try {
        const cwd = process.cwd();
        // The default folders may be missing (a site without runbooks yet); paths named by hand may not.
        const targets = paths.length ? paths : DEFAULT_PATHS.filter((p) => fs.existsSync(path.resolve(cwd, p)));
        const result = await lintFiles(targets, { cwd, productsDir: opts.productsDir });
        process.stdout.write(opts.format === 'json' ? formatJson(result) : formatText(result));
        process.exitCode = result.errorCount > 0 ? 1 : 0;
      } catch (err) {
        exitWithError(err);
      }
    });
}
