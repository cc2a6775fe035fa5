import { Command } from 'commander';
import { silenceCreateSchema, silenceIdSchema, type Silence } from '../contracts/notifications.ts';
import { ApiClientError } from '../kernel/api-client.ts';
import { SilencesClient } from '../notifications/silence-client.ts';
import { exitWithError } from './errors.ts';
import { addApiOptions } from './options.ts';

// `fleetbook silence add|list|expire`, as `amtool silence add|query|expire` works: matchers as
// arguments (site="site_farm-north" alertname=~"soil_.*"), a duration or an end, a comment;
// through the data API, so a customer-scoped token silences only its customer.

/** Body field → the flag or argument that sets it, so a refused value names what was typed. */
const FLAG_OF: Record<string, string> = {
  matchers: '<matchers…>',
  starts_at: '--start',
  ends_at: '--end',
  duration: '--duration',
  comment: '--comment',
};
const flagOf = (path: string) => {
  const key = path.replace(/^(body|querystring|params)\./, '');
  const [head, index] = key.split('.');
  return head === 'matchers' && index !== undefined ? `matcher ${Number(index) + 1}` : (FLAG_OF[head ?? ''] ?? key);
};
const usageError = (message: string) => Object.assign(new Error(message), { exitCode: 2 });
const out = (line: string): void => void process.stdout.write(`${line}\n`);
const pad = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s.padEnd(n));

/** --api, --token and --json. */
const connection = (cmd: Command): Command => addApiOptions(cmd, 'operator to add or expire');

function printTable(items: Silence[]): void {
  out(`${pad('ID', 30)} ${pad('STATE', 8)} ${pad('ENDS', 20)} ${pad('CREATED BY', 14)} ${pad('MATCHERS', 50)} COMMENT`);
  for (const s of items)
    out(
      `${pad(s.id, 30)} ${pad(s.state, 8)} ${pad(s.ends_at.slice(0, 19).replace('T', ' '), 20)} ${pad(s.created_by, 14)} ${pad(s.matchers.join(' '), 50)} ${s.comment}`,
    );
}

async function handle(action: () => Promise<void>): Promise<void> {
  try {
    await action();
  } catch (err) {
    if (err instanceof ApiClientError && err.issues.length)
      exitWithError(
        Object.assign(
          new Error(`${err.message}\n${err.issues.map((i) => `${flagOf(i.path)}: ${i.message}`).join('\n')}`),
          { exitCode: 2 },
        ),
      );
    exitWithError(err);
  }
}

/** A time as typed: an ISO timestamp, or `now`. */
const when = (value: string | undefined) =>
  value === undefined ? undefined : value === 'now' ? new Date().toISOString() : value;

export function silenceCommand(): Command {
  const silence = new Command('silence').description(
    'Silences through the data API (like amtool silence): add, list, expire',
  );

  connection(
    silence
      .command('add')
      .description('Silence the alerts that match every matcher, for a duration or until --end (operator token)')
      .argument('<matchers...>', 'label matchers: site="site_farm-north" alertname=~"soil_.*" severity!="info"')
      .option('-d, --duration <duration>', 'how long, e.g. 30m, 2h, 1d (default 1h unless --end)')
      .option('--start <time>', 'ISO timestamp (default now)')
      .option('--end <time>', 'ISO timestamp (instead of --duration)')
      .requiredOption('-c, --comment <text>', 'why (shown with the silenced alerts)'),
  ).action((matchers: string[], opts) =>
    handle(async () => {
      const parsed = silenceCreateSchema.safeParse({
        matchers,
        comment: opts.comment,
        ...(opts.start ? { starts_at: when(opts.start) } : {}),
        ...(opts.end ? { ends_at: when(opts.end) } : { duration: opts.duration ?? '1h' }),
        ...(opts.end && opts.duration ? { duration: opts.duration } : {}),
      });
      // The contract refuses it: each problem as `--flag: reason`, exit 2, nothing sent.
      if (!parsed.success)
        throw usageError(parsed.error.issues.map((i) => `${flagOf(i.path.join('.'))}: ${i.message}`).join('\n'));
      const created = await new SilencesClient(opts).create(parsed.data);
      if (opts.json) return out(JSON.stringify(created, null, 2));
      out(created.id);
      process.stderr.write(`silenced until ${created.ends_at} (${created.state}): ${created.matchers.join(' ')}\n`);
    }),
  );

  connection(
    silence
      .command('list')
      .alias('query')
      .description('List silences (default: pending and active)')
      .option('--expired', 'the expired ones too')
      .option('--state <states>', 'comma list of pending, active, expired'),
  ).action((opts) =>
    handle(async () => {
      const states = opts.state ?? (opts.expired ? 'pending,active,expired' : 'pending,active');
      const page = await new SilencesClient(opts).list(states);
      if (opts.json) return out(JSON.stringify(page, null, 2));
      if (!page.items.length) return out('no silences');
      printTable(page.items);
    }),
  );

  connection(
    silence.command('expire').description('End silences now (operator token)').argument('<ids...>', 'sil_…'),
  ).action((ids: string[], opts) =>
    handle(async () => {
      for (const id of ids) {
        const ok = silenceIdSchema.safeParse(id);
        if (!ok.success) throw usageError(`${id}: ${ok.error.issues[0]!.message}`);
      }
      const client = new SilencesClient(opts);
      const done: Silence[] = [];
      for (const id of ids) done.push(await client.expire(id));
      if (opts.json) return out(JSON.stringify({ items: done }, null, 2));
      for (const s of done) out(`expired ${s.id}`);
    }),
  );
  return silence;
}
