// deploy_compose_stack: `docker compose -p <stack> [-f <file>…] config -q`, then `… up -d`,
// locally, or on a host through `ssh [user@]host -- <command>` (non-interactive: BatchMode, so a
// missing key fails instead of prompting). `config -q` is Compose's own check of the files on
// the host, with the host's environment and .env: a schema error, a missing required variable
// (`${VAR:?message}`) or a missing file stops the action with Compose's message before `up`
// touches a running stack.
import { runProcess, shellQuote } from '../process.ts';
import {
  deployComposeStackDefinition,
  type DeployComposeStackWith,
} from '../../contracts/actions/deploy_compose_stack.ts';
import { ActionError, type ActionContext, type ActionModule } from './types.ts';

type Step = 'config' | 'up';

/** The argv after `docker`: the check (`config -q`) or the deployment (`up -d`). */
export function composeArgs(w: DeployComposeStackWith, step: Step = 'up'): string[] {
  const base = ['compose', '-p', w.stack, ...(w.files ?? []).flatMap((f) => ['-f', f])];
  if (step === 'config') return [...base, 'config', '-q'];
  return [...base, 'up', '-d', ...(w.pull ? ['--pull', 'always'] : []), ...(w.wait ? ['--wait'] : [])];
}

/** The program and argv that run it: docker locally, or ssh with one quoted remote command. */
export function commandFor(
  w: DeployComposeStackWith,
  step: Step = 'up',
): { command: string; args: string[]; display: string } {
  const compose = composeArgs(w, step);
  if (!w.host) return { command: 'docker', args: compose, display: ['docker', ...compose].map(shellQuote).join(' ') };
  const remote = [
    ...(w.project_dir ? ['cd', shellQuote(w.project_dir), '&&'] : []),
    'docker',
    ...compose.map(shellQuote),
  ].join(' ');
  const args = [
    '-o',
    'BatchMode=yes',
    '-o',
    'ConnectTimeout=15',
    ...(w.port ? ['-p', String(w.port)] : []),
    ...(w.identity_file ? ['-i', w.identity_file] : []),
    w.user ? `${w.user}@${w.host}` : w.host,
    '--',
    remote,
  ];
  return {
    command: 'ssh',
    args,
    display: ['ssh', ...args.slice(0, -1)].map(shellQuote).join(' ') + ` ${shellQuote(remote)}`,
  };
}

/** Runs one step; resolves with the failure text, or undefined when it exited 0. */
async function runStep(ctx: ActionContext<DeployComposeStackWith>, step: Step): Promise<string | undefined> {
  const w = ctx.with;
  const { command, args, display } = commandFor(w, step);
  ctx.log(`$ ${display}`);
  let result;
  try {
    result = await runProcess(command, args, {
      cwd: w.host ? undefined : w.project_dir,
      env: ctx.env,
      signal: ctx.signal,
      onLine: (line) => ctx.log(line),
    });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ActionError(`${command} is not installed (not found on PATH)`);
    throw new ActionError(`${command} could not start: ${(err as Error).message}`);
  }
  if (ctx.signal.aborted) throw new ActionError(`${command} was stopped (timeout)`);
  if (result.code === 0) return undefined;
  const why = result.code === null ? `was killed by ${result.signal}` : `exited with code ${result.code}`;
  const last = result.stderrTail.filter((l) => l.trim()).at(-1);
  const sshHint = w.host && result.code === 255 ? ' (ssh could not connect or authenticate)' : '';
  return `${why}${sshHint}${last ? `: ${last}` : ''}`;
}

async function execute(ctx: ActionContext<DeployComposeStackWith>) {
  const w = ctx.with;
  const where = w.host ? ` on ${w.host}` : '';
  const refused = await runStep(ctx, 'config');
  if (refused !== undefined) {
    throw new ActionError(`docker compose config${where} ${refused}; the stack was not started`);
  }
  ctx.log('compose files valid (docker compose config -q)');
  const failed = await runStep(ctx, 'up');
  if (failed !== undefined) throw new ActionError(`docker compose${where} ${failed}`);
  return { outputs: { stack: w.stack, host: w.host ?? 'local' }, summary: `stack ${w.stack} up${where}` };
}

export const deployComposeStack: ActionModule<DeployComposeStackWith> = {
  definition: deployComposeStackDefinition,
  execute,
  plan: (w) => {
    const where = `${w.host ? `on ${w.host} over ssh` : 'locally'}`;
    const dir = w.project_dir && !w.host ? ` (in ${w.project_dir})` : '';
    return [
      `${where}: ${commandFor(w, 'config').display}${dir}, stopping if Compose refuses the files`,
      `then ${commandFor(w).display}`,
    ];
  },
};
