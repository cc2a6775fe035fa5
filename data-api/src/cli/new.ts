import path from 'node:path';
import { Command } from 'commander';
import { formatLine, summary } from '../../../plugins/remark-runbook/report.ts';
import { createPage } from '../site/library/create-page.ts';
import { exitWithError } from './errors.ts';

/** `fleetbook new <template>`: a page from docs/templates/, in the right folder, checked at once. */
export function newCommand(): Command {
  return new Command('new')
    .description(
      'Create a page from a template of docs/templates (project, runbook, sop, postmortem, decision), lint-clean',
    )
    .argument('<template>', 'template name, e.g. runbook')
    .requiredOption('--title <title>', 'the page title; the file name and ids derive from it')
    .option('--product <code>', 'product code of the catalog')
    .option('--project <slug>', 'project (folder of docs/projects)')
    .option('--owner <team>', 'owning team', 'ops')
    .option('--site-dir <dir>', 'the handbook', '.')
    .option('--force', 'overwrite a page that exists')
    .action(
      async (
        template: string,
        opts: { title: string; product?: string; project?: string; owner: string; siteDir: string; force?: boolean },
      ) => {
        try {
          const siteDir = path.resolve(opts.siteDir);
          const { created, lint } = await createPage({ template, ...opts, siteDir });
          const lines = [
            `created ${path.relative(process.cwd(), path.join(siteDir, created.path))}${created.id ? ` (${created.id})` : ''}: ${summary(lint.errorCount, lint.warningCount)}`,
            ...lint.messages.map(formatLine),
          ];
          process.stdout.write(lines.join('\n') + '\n');
          process.exitCode = lint.errorCount ? 1 : 0;
        } catch (err) {
          exitWithError(err);
        }
      },
    );
}
