import path from 'node:path';
import { Command, Option } from 'commander';
import { DEFAULT_JOURNAL, replayJournal, runAutomation } from '../automation/orchestrate.ts';
import { exitWithError } from './errors.ts';

/** `fleetbook run <spec>`: exit 0 when the run succeeded, 1 when it failed, 2 on an invalid spec. */
export function runCommand(): Command {
  return new Command('run')
    .description(
      'Run an execution spec: actions in order, status timeline to the API, a run page in docs/, optionally a git commit',
    )
    .argument('[spec]', 'execution spec (YAML or JSON)')
    .option('--dry-run', 'validate and print the plan; change nothing')
    .option('--commit', 'commit the run page: one commit per run, "run(<project>): <run_id> <state>"')
    .option('--push', 'commit and push (fetch, rebase and retry when the remote moved; never force)')
    .addOption(new Option('--api <url>', 'data API to report to (e.g. http://localhost:3000)').env('FLEETBOOK_API_URL'))
    .addOption(new Option('--token <token>', 'bearer token of the API (role automation)').env('FLEETBOOK_TOKEN'))
    .option('--docs-dir <dir>', 'docs root the run page goes under', 'docs')
    .option('--journal <file>', 'write-back journal (JSONL)', DEFAULT_JOURNAL)
    .addOption(new Option('--git-author <author>', '"Name <email>" of the run commit').env('FLEETBOOK_GIT_AUTHOR'))
    .option('--replay', "only deliver the journal's pending write-backs to --api, then exit")
    .action(async (specFile: string | undefined, opts) => {
      try {
        const out = (line: string) => process.stdout.write(`${line}\n`);
        if (opts.replay) {
          if (!opts.api) throw Object.assign(new Error('--replay needs --api URL'), { exitCode: 2 });
          process.exitCode = await replayJournal({ api: opts.api, token: opts.token, journal: opts.journal, out });
          return;
        }
        if (!specFile)
          throw Object.assign(new Error('missing the execution spec: fleetbook run <spec.yaml>'), { exitCode: 2 });
        const outcome = await runAutomation({
          specFile,
          dryRun: Boolean(opts.dryRun),
          commit: Boolean(opts.commit),
          push: Boolean(opts.push),
          api: opts.api,
          token: opts.token,
          docsDir: path.resolve(opts.docsDir),
          journal: opts.journal,
          gitAuthor: opts.gitAuthor,
          out,
        });
        process.exitCode = outcome.exitCode;
      } catch (err) {
        exitWithError(err);
      }
    });
}
