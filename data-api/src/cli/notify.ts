import path from 'node:path';
import { Command, Option } from 'commander';
import { readContactPointsFile } from '../notifications/channels/contact-points-file.ts';
import { sendTestMessage } from '../notifications/channels/test-message.ts';
import { exitWithError } from './errors.ts';

const plural = (n: number) => (n === 1 ? '' : 's');

/** `fleetbook notify test <contact-point>`: one real message through one contact point. */
export function notifyCommand(): Command {
  const notify = new Command('notify').description('Notifications: try a contact point');
  notify
    .command('test')
    .description(
      'Send a test message to a contact point of notifications/contact-points.yaml and print what the receiver ' +
        'answered (exit 1 when it was not delivered)',
    )
    .argument('<contact-point>', 'the name of the contact point')
    .option('--file <file>', 'the contact points file', 'notifications/contact-points.yaml')
    .addOption(
      new Option('--status <status>', 'send it as a firing or a resolved notification')
        .choices(['firing', 'resolved'])
        .default('firing'),
    )
    .option(
      '--url <url>',
      'the handbook the message links to (default: FLEETBOOK_PUBLIC_URL, else http://localhost:3000)',
    )
    .action(async (name: string, opts: { file: string; status: 'firing' | 'resolved'; url?: string }) => {
      try {
        const file = path.resolve(opts.file);
        const read = readContactPointsFile(file, path.relative(process.cwd(), file) || opts.file);
        if (!read.ok) {
          for (const p of read.problems) process.stdout.write(`${p}\n`);
          process.stderr.write(
            `fleetbook: ${opts.file} is not valid (${read.problems.length} problem${plural(read.problems.length)})\n`,
          );
          process.exitCode = 1;
          return;
        }
        const point = read.points.find((p) => p.name === name);
        if (!point) {
          const known = read.points.map((p) => p.name).join(', ') || 'none';
          throw new Error(`no contact point ${name} in ${opts.file} (it has: ${known})`);
        }
        const handbookUrl = opts.url ?? process.env.FLEETBOOK_PUBLIC_URL ?? 'http://localhost:3000';
        process.stdout.write(`${point.name} (${point.type}): sending a ${opts.status} test message…\n`);
        const { result, ms } = await sendTestMessage(point, { handbookUrl, status: opts.status });
        if (result.ok) {
          process.stdout.write(
            `delivered in ${ms} ms; the receiver answered: ${result.detail ?? `HTTP ${result.status}`}\n`,
          );
          return;
        }
        process.stdout.write(
          `not delivered after ${ms} ms (the outbox would ${result.retryable ? '' : 'not '}retry): ${result.detail}\n`,
        );
        process.exitCode = 1;
      } catch (err) {
        exitWithError(err);
      }
    });
  return notify;
}
