// deploy_compose_stack: `docker compose -p <stack> [-f <file>…] up -d`, locally, or on a host
// through `ssh [user@]host -- <command>` (non-interactive: BatchMode, so a missing key fails
// instead of prompting).
import { runProcess, shellQuote } from '../process.ts';
import { deployComposeStackDefinition, type DeployComposeStackWith } from './deploy_compose_stack.schema.ts';
import { ActionError, type ActionContext, type ActionModule } from './types.ts';

/** The argv after `docker`. */
export function composeArgs(w: DeployComposeStackWith): string[] {
  return [
    'compose',
    '-p',
    w.stack,
    ...(w.files ?? []).flatMap((f) => ['-f', f]),
    'up',
    '-d',
    ...(w.pull ? ['--pull', 'always'] : []),
    ...(w.wait ? ['--wait'] : []),
  ];
}

/** The program and argv that run it: docker locally, or ssh with one quoted remote command. */
export function commandFor(w: DeployComposeStackWith): { command: string; args: string[]; display: string } {
  const compose = composeArgs(w);
  if (!w.host) return { command: 'docker', args: compose, display: ['docker', ...compose].map(shellQuote).join(' ') };
  const remote = [...(w.project_dir ? ['cd', shellQuote(w.project_dir), '&&'] : []), 'docker', ...compose.map(shellQuote)].join(' ');
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
  return { command: 'ssh', args, display: ['ssh', ...args.slice(0, -1)].map(shellQuote).join(' ') + ` ${shellQuote(remote)}` };
}

async function execute(ctx: ActionContext<DeployComposeStackWith>) {
  const w = ctx.with;
  const { command, args, display } = commandFor(w);
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
  if (result.code !== 0) {
    const why = result.code === null ? `was killed by ${result.signal}` : `exited with code ${result.code}`;
    const last = result.stderrTail.filter((l) => l.trim()).at(-1);
    const where = w.host ? ` on ${w.host}` : '';
    const sshHint = w.host && result.code === 255 ? ' (ssh could not connect or authenticate)' : '';
    throw new ActionError(`docker compose${where} ${why}${sshHint}${last ? `: ${last}` : ''}`);
  }
  return { outputs: { stack: w.stack, host: w.host ?? 'local' }, summary: `stack ${w.stack} up${w.host ? ` on ${w.host}` : ''}` };
}

export const deployComposeStack: ActionModule<DeployComposeStackWith> = {
  definition: deployComposeStackDefinition,
  execute,
  plan: (w) => [`${w.host ? `on ${w.host} over ssh` : 'locally'}: ${commandFor(w).display}${w.project_dir && !w.host ? ` (in ${w.project_dir})` : ''}`],
};
