import { Command, Option } from 'commander';
import type { z } from 'zod';
import {
  ACTIVE_WORK_ITEM_STATES,
  WORK_ITEM_KINDS,
  WORK_ITEM_PRIORITIES,
  WORK_ITEM_STATES,
  workItemCreateSchema,
  workItemUpdateSchema,
  type WorkItem,
  type WorkItemLinksInput,
} from '../contracts/work-items.ts';
import { ApiClientError } from '../kernel/api-client.ts';
import { WorkItemsClient } from '../work-items/client.ts';
import { exitWithError } from './errors.ts';
import { addApiOptions } from './options.ts';

/** Link flags → link fields (the same on list, create and update). */
const LINK_FLAGS = {
  site: 'site_id',
  deployment: 'deployment_id',
  device: 'device_id',
  alert: 'alert_id',
  execution: 'runbook_execution_id',
  item: 'runbook_item_id',
  run: 'automation_run_id',
} as const;
type LinkFlag = keyof typeof LINK_FLAGS;

/** Body field → the flag that sets it, so a refused value names what the user typed. */
const FLAG_OF: Record<string, string> = {
  title: '--title',
  kind: '--kind',
  description: '--description',
  state: '--state',
  owner: '--owner',
  due: '--due',
  priority: '--priority',
  id: '--id',
  if_version: '--if-version',
  ...Object.fromEntries(Object.entries(LINK_FLAGS).map(([flag, field]) => [`links.${field}`, `--${flag}`])),
};

const usageError = (message: string) => Object.assign(new Error(message), { exitCode: 2 });

/** --api, --token and --json. */
const connection = (cmd: Command): Command => addApiOptions(cmd, 'operator or automation to write');

function linkOptions(cmd: Command): Command {
  return cmd
    .option('--site <id>', 'site_…')
    .option('--deployment <id>', 'dep_…')
    .option('--device <id>', 'gw_… or dev_…')
    .option('--alert <id>', 'alr_…')
    .option('--execution <id>', 'run_… (a runbook execution)')
    .option('--item <id>', 'a checklist item of --execution')
    .option('--run <id>', 'arun_… (an automation run)');
}

function linksFrom(opts: Record<string, unknown>): WorkItemLinksInput | undefined {
  const links: Record<string, string> = {};
  for (const [flag, field] of Object.entries(LINK_FLAGS))
    if (typeof opts[flag] === 'string') links[field] = opts[flag] as string;
  return Object.keys(links).length ? links : undefined;
}

/** The contract refuses the body: each problem as `--flag: reason`, exit 2, nothing sent. */
function checked<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((i) => {
    const key = i.path.join('.');
    return `${FLAG_OF[key] ?? (key || 'input')}: ${i.message}`;
  });
  throw usageError(lines.join('\n'));
}

const out = (line: string): void => void process.stdout.write(`${line}\n`);
const pad = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s.padEnd(n));

function printTable(items: WorkItem[]): void {
  out(
    `${pad('ID', 30)} ${pad('STATE', 11)} ${pad('PRIORITY', 8)} ${pad('KIND', 6)} ${pad('OWNER', 14)} ${pad('DUE', 10)} TITLE`,
  );
  for (const i of items) {
    out(
      `${pad(i.id, 30)} ${pad(i.state, 11)} ${pad(i.priority, 8)} ${pad(i.kind, 6)} ${pad(i.owner ?? '-', 14)} ${pad(i.due ?? '-', 10)} ${i.title}`,
    );
  }
}

function printItem(i: WorkItem): void {
  out(
    `${i.id}  ${i.kind} · ${i.state} · ${i.priority}${i.owner ? ` · ${i.owner}` : ''}${i.due ? ` · due ${i.due}` : ''}  (version ${i.version})`,
  );
  out(`  ${i.title}`);
  const links = Object.entries(i.links)
    .filter(([, v]) => v !== null)
    .map(([k, v]) => `${k.replace(/_id$/, '')} ${v}`);
  if (links.length) out(`  links: ${links.join(', ')}`);
  if (i.external_ref)
    out(
      `  tracker: ${i.external_ref.system}${i.external_ref.key ? ` ${i.external_ref.key}` : ''}${i.external_ref.url ? ` ${i.external_ref.url}` : ''}`,
    );
}

async function handle(action: () => Promise<void>): Promise<void> {
  try {
    await action();
  } catch (err) {
    if (err instanceof ApiClientError && err.issues.length) {
      // The API named the fields (body.links.site_id…): say them as flags.
      const lines = err.issues.map(
        (i) => `${FLAG_OF[i.path.replace(/^(body|querystring)\./, '')] ?? i.path}: ${i.message}`,
      );
      exitWithError(Object.assign(new Error(`${err.message}\n${lines.join('\n')}`), { exitCode: 2 }));
    }
    exitWithError(err);
  }
}

/** `fleetbook work list|show|create|update`: tickets and tasks through the data API. */
export function workCommand(): Command {
  const work = new Command('work').description(
    'Work items (tickets and tasks) through the data API: list, show, create, update',
  );

  listSubcommand(work);
  showSubcommand(work);
  createSubcommand(work);
  updateSubcommand(work);
  return work;
}

/** List work items (`fleetbook work list`): the active ones unless told otherwise. */
function listSubcommand(work: Command): void {
  linkOptions(
    connection(
      work
        .command('list')
        .description(`List work items, newest first (default: the active ones, ${ACTIVE_WORK_ITEM_STATES.join(', ')})`)
        .option('--state <states>', `comma list of ${WORK_ITEM_STATES.join(', ')}`)
        .option('--all', 'every state, done and cancelled included')
        .option('--mine', 'only mine: the owner is the token’s name (my work)')
        .option('--owner <name>', 'only this owner')
        .addOption(new Option('--kind <kind>').choices(WORK_ITEM_KINDS))
        .option('--priority <priorities>', `comma list of ${WORK_ITEM_PRIORITIES.join(', ')}`)
        .option('--limit <n>', 'at most this many', '50'),
    ),
  ).action((opts) =>
    handle(async () => {
      const q = new URLSearchParams({ limit: String(opts.limit) });
      if (opts.state) q.set('state', opts.state);
      else if (!opts.all) q.set('state', ACTIVE_WORK_ITEM_STATES.join(','));
      if (opts.mine) q.set('owner', 'me');
      else if (opts.owner) q.set('owner', opts.owner);
      if (opts.kind) q.set('kind', opts.kind);
      if (opts.priority) q.set('priority', opts.priority);
      for (const [flag, field] of Object.entries(LINK_FLAGS))
        if (opts[flag as LinkFlag]) q.set(field, opts[flag as LinkFlag]);
      const page = await new WorkItemsClient(opts).list(q);
      if (opts.json) return out(JSON.stringify(page, null, 2));
      if (page.items.length === 0) return out('no work items');
      printTable(page.items);
      out(
        `${page.items.length} work item${page.items.length === 1 ? '' : 's'}${page.next_cursor ? ` (more: raise --limit)` : ''}`,
      );
    }),
  );
}

/** One work item with its comments and attachments (`fleetbook work show`). */
function showSubcommand(work: Command): void {
  connection(
    work.command('show').description('One work item with its comments and attachments').argument('<id>', 'wi_…'),
  ).action((id: string, opts) =>
    handle(async () => {
      const item = await new WorkItemsClient(opts).get(id);
      if (opts.json) return out(JSON.stringify(item, null, 2));
      printItem(item);
      if (item.description) out(`\n${item.description}\n`);
      for (const c of item.comments) out(`  ${c.created_at} ${c.author}: ${c.body}`);
      for (const a of item.attachments)
        out(`  attachment ${a.filename ?? a.id} (${a.content_type}, ${a.size} bytes) ${a.url}`);
    }),
  );
}

/** Create a ticket or a task (`fleetbook work create`). */
function createSubcommand(work: Command): void {
  linkOptions(
    connection(
      work
        .command('create')
        .description('Create a ticket or a task (operator or automation token)')
        .requiredOption('--title <title>', 'what needs doing')
        .addOption(new Option('--kind <kind>').choices(WORK_ITEM_KINDS).default('task'))
        .option('--description <text>')
        .option('--owner <name>', 'who does it (a token name or SSO user)')
        .option('--due <date>', 'YYYY-MM-DD')
        .addOption(new Option('--priority <priority>').choices(WORK_ITEM_PRIORITIES).default('normal'))
        .addOption(new Option('--state <state>').choices(WORK_ITEM_STATES).default('open'))
        .option('--id <id>', 'choose the id (wi_…): a retry then answers 409 instead of creating twice'),
    ),
  ).action((opts) =>
    handle(async () => {
      const body = checked(workItemCreateSchema, {
        title: opts.title,
        kind: opts.kind,
        state: opts.state,
        priority: opts.priority,
        ...(opts.id ? { id: opts.id } : {}),
        ...(opts.description ? { description: opts.description } : {}),
        ...(opts.owner ? { owner: opts.owner } : {}),
        ...(opts.due ? { due: opts.due } : {}),
        ...(linksFrom(opts) ? { links: linksFrom(opts) } : {}),
      });
      const item = await new WorkItemsClient(opts).create(body);
      if (opts.json) return out(JSON.stringify(item, null, 2));
      out(`created ${item.id}`);
      printItem(item);
    }),
  );
}

/** Change a work item and/or comment on it (`fleetbook work update`). */
function updateSubcommand(work: Command): void {
  linkOptions(
    connection(
      work
        .command('update')
        .description('Change a work item, and/or comment on it (operator or automation token)')
        .argument('<id>', 'wi_…')
        .addOption(new Option('--state <state>').choices(WORK_ITEM_STATES))
        .option('--title <title>')
        .addOption(new Option('--kind <kind>').choices(WORK_ITEM_KINDS))
        .option('--description <text>')
        .option('--owner <name>', 'give it to someone')
        .option('--unassign', 'remove the owner')
        .option('--due <date>', 'YYYY-MM-DD')
        .option('--clear-due', 'remove the due date')
        .addOption(new Option('--priority <priority>').choices(WORK_ITEM_PRIORITIES))
        .option('--if-version <n>', 'refuse (409) unless the item is still at this version')
        .option('--comment <text>', 'add a comment (after the change)'),
    ),
  ).action((id: string, opts) =>
    handle(async () => {
      if (opts.owner && opts.unassign) throw usageError('--owner and --unassign: give one of them');
      if (opts.due && opts.clearDue) throw usageError('--due and --clear-due: give one of them');
      const raw: Record<string, unknown> = {
        ...(opts.state ? { state: opts.state } : {}),
        ...(opts.title ? { title: opts.title } : {}),
        ...(opts.kind ? { kind: opts.kind } : {}),
        ...(opts.description ? { description: opts.description } : {}),
        ...(opts.owner ? { owner: opts.owner } : opts.unassign ? { owner: null } : {}),
        ...(opts.due ? { due: opts.due } : opts.clearDue ? { due: null } : {}),
        ...(opts.priority ? { priority: opts.priority } : {}),
        ...(linksFrom(opts) ? { links: linksFrom(opts) } : {}),
        ...(opts.ifVersion !== undefined ? { if_version: Number(opts.ifVersion) } : {}),
      };
      const change = Object.keys(raw).some((k) => k !== 'if_version');
      if (!change && !opts.comment)
        throw usageError('nothing to change: give --state, --owner, --due, --priority, a link, … or --comment');
      const body = checked(workItemUpdateSchema, raw);
      const client = new WorkItemsClient(opts);
      const item = change ? await client.update(id, body) : null;
      const comment = opts.comment ? await client.comment(id, opts.comment) : null;
      if (opts.json)
        return out(JSON.stringify({ ...(item ? { item } : {}), ...(comment ? { comment } : {}) }, null, 2));
      if (item) {
        out(`updated ${item.id}`);
        printItem(item);
      }
      if (comment) out(`commented on ${id} as ${comment.author}`);
    }),
  );
}
