import fs from 'node:fs';
import path from 'node:path';
import { Command, Option } from 'commander';
import { LEASE_SECONDS, leaseSecondsSchema } from '../contracts/automation-runs.ts';
import { DEFAULT_JOURNAL_DIR, RunnerService } from '../automation/runner-service/service.ts';
import {
  DEFAULT_SCHEDULES_FILE,
  loadSchedules,
  nextSlots,
  type Schedule,
} from '../automation/runner-service/schedules.ts';
import { exitWithError } from './errors.ts';

const positive = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0)
    throw Object.assign(new Error(`${name} expects a positive number, got ${JSON.stringify(v)}`), { exitCode: 2 });
  return n;
};

/** --lease: the API's own schema for a claim's lease, so what the CLI takes the API takes too. */
const leaseSeconds = (v: string) => {
  const parsed = leaseSecondsSchema.safeParse(v.trim() === '' ? NaN : Number(v));
  if (!parsed.success)
    throw Object.assign(new Error(`--lease: ${parsed.error.issues[0]!.message}, got ${JSON.stringify(v)}`), {
      exitCode: 2,
    });
  return parsed.data;
};

/**
 * `fleetbook runner`: claims queued automation runs from the API and runs them (the same code as
 * `fleetbook run`), and fires the schedules of automation/schedules.yaml. Any number of runners
 * may share one API; each slot and each run is taken once.
 */
export function runnerCommand(): Command {
  return new Command('runner')
    .description(
      'Run queued automation runs and scheduled ones (automation/schedules.yaml), as a service; any number of runners may share one API',
    )
    .addOption(new Option('--api <url>', 'data API (e.g. http://localhost:3000)').env('FLEETBOOK_API_URL'))
    .addOption(new Option('--token <token>', 'bearer token of the API (role automation)').env('FLEETBOOK_TOKEN'))
    .addOption(
      new Option('--name <name>', 'runner name shown on claimed runs (default <hostname>-<pid>)').env(
        'FLEETBOOK_RUNNER_NAME',
      ),
    )
    .option('--docs-dir <dir>', 'docs root the run pages go under', 'docs')
    .option('--root <dir>', 'repository root: automation/specs/ and the schedules file are read from here', '.')
    .option('--schedules <file>', 'schedules file (relative to --root)', DEFAULT_SCHEDULES_FILE)
    .option('--no-schedules', 'fire no schedules (only run what is queued)')
    .option('--journal-dir <dir>', 'one write-back journal per run; one runner per folder', DEFAULT_JOURNAL_DIR)
    .option('--commit', 'commit each run page (one commit per run); needs --concurrency 1')
    .option('--push', 'commit and push each run page (rebase and retry when the remote moved)')
    .addOption(new Option('--git-author <author>', '"Name <email>" of the run commits').env('FLEETBOOK_GIT_AUTHOR'))
    .option('--concurrency <n>', 'runs at once', positive('--concurrency'), 1)
    .option('--poll <seconds>', 'how often to look for queued runs and due slots', positive('--poll'), 5)
    .option(
      '--lease <seconds>',
      `a claim lapses this long after the last heartbeat; another runner may then take the run over ` +
        `(whole seconds, ${LEASE_SECONDS.min}–${LEASE_SECONDS.max}; heartbeats every quarter lease)`,
      leaseSeconds,
      LEASE_SECONDS.default,
    )
    .option('--drain', 'exit once nothing is queued or running here and every write-back is delivered (CI, cron)')
    .option('--check', 'validate the schedules file, print the next slots of each schedule, and exit')
    .action(async (opts) => {
      try {
        const out = (line: string) => process.stdout.write(`${line}\n`);
        const root = path.resolve(opts.root);
        let schedules: Schedule[] = [];
        if (opts.schedules !== false) {
          const file = path.resolve(root, opts.schedules as string);
          const explicit = process.argv.includes('--schedules');
          if (fs.existsSync(file) || explicit) {
            const loaded = loadSchedules(file);
            if (!loaded.ok) {
              for (const p of loaded.problems) out(p);
              throw Object.assign(
                new Error(
                  `${path.relative(process.cwd(), file)} is not a valid schedules file (${loaded.problems.length} problem${loaded.problems.length === 1 ? '' : 's'})`,
                ),
                { exitCode: 2 },
              );
            }
            schedules = loaded.schedules;
          }
        }
        if (opts.check) {
          const now = new Date();
          for (const s of schedules) {
            out(
              `${s.id}: ${s.cron} (${s.timezone})${s.enabled ? '' : ' disabled'} → ${s.spec ?? `health_checks of ${s.health_checks!.deployment_state} deployments (${s.health_checks!.project})`}`,
            );
            for (const slot of nextSlots(s, now)) out(`  next ${slot.toISOString()}`);
          }
          out(`${schedules.length} schedule${schedules.length === 1 ? '' : 's'} ok`);
          return;
        }
        if (!opts.api) throw Object.assign(new Error('missing --api URL (or FLEETBOOK_API_URL)'), { exitCode: 2 });
        const service = new RunnerService({
          api: opts.api,
          token: opts.token,
          name: opts.name,
          docsDir: path.resolve(opts.docsDir),
          root,
          schedules,
          journalDir: opts.journalDir,
          commit: Boolean(opts.commit),
          push: Boolean(opts.push),
          gitAuthor: opts.gitAuthor,
          concurrency: opts.concurrency,
          pollMs: opts.poll * 1000,
          leaseS: opts.lease,
          heartbeatMs: Math.max(1000, Math.min(30_000, (opts.lease * 1000) / 4)),
          drain: Boolean(opts.drain),
          out,
        });
        let signals = 0;
        const onSignal = () => {
          if (++signals > 1) process.exit(130);
          out('runner: stopping after the runs in progress (signal again to quit now)');
          void service.stop();
        };
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
        await service.start();
        const s = service.stats;
        out(
          `runner ${service.name}: ${s.claimed} claimed, ${s.succeeded} succeeded, ${s.failed} failed, ${s.schedulesFired} slot${s.schedulesFired === 1 ? '' : 's'} fired${s.resumed ? `, ${s.resumed} picked up after a stop` : ''}${s.pendingWritebacks ? `, ${s.pendingWritebacks} run${s.pendingWritebacks === 1 ? '' : 's'} with write-backs still pending` : ''}`,
        );
        process.exitCode = s.pendingWritebacks ? 1 : 0;
      } catch (err) {
        exitWithError(err);
      }
    });
}
