import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { CLI, ROOT } from './cli.ts';

/**
 * `fleetbook runner` as its own process, as an operator runs it (tests that kill it with -9 and
 * start it again with the same name and journal), a docs repository for it to commit run pages
 * to, and a slow HTTP endpoint that holds a health check (and so the run) for a while.
 */
export interface RunnerProcess {
  child: ChildProcess;
  pid: number;
  output(): string;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  /** kill -9 by default: no goodbye, no flush; resolves once it is gone. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export interface RunnerArgs {
  api: string;
  token: string;
  name: string;
  journalDir: string;
  docsDir: string;
  lease?: number;
  drain?: boolean;
  commit?: boolean;
}

export function spawnRunner(a: RunnerArgs, env: NodeJS.ProcessEnv = process.env): RunnerProcess {
  const args = [
    'runner',
    '--api',
    a.api,
    '--token',
    a.token,
    '--name',
    a.name,
    '--journal-dir',
    a.journalDir,
    '--docs-dir',
    a.docsDir,
    '--no-schedules',
    '--poll',
    '0.2',
  ];
  if (a.lease !== undefined) args.push('--lease', String(a.lease));
  if (a.commit ?? true) args.push('--commit');
  if (a.drain) args.push('--drain');
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: ROOT,
    env: { ...env, FLEETBOOK_GIT_AUTHOR: 'Fleet Runner <runner@fleetbook.example>' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (c) => (out += c));
  child.stderr!.on('data', (c) => (out += c));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    pid: child.pid!,
    output: () => out,
    exited,
    async kill(signal = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

/** Polls `check` every 50 ms until it is true; throws with `what` (and the runner's output) after the timeout. */
export async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 30_000,
  output?: () => string,
): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await new Promise((r) => setTimeout(r, 50))) {
    if (await check()) return;
  }
  throw new Error(`${what}: not within ${timeoutMs / 1000} s${output ? `\n${output()}` : ''}`);
}

const GIT_ENV = { ...process.env, LC_ALL: 'C', GIT_CONFIG_NOSYSTEM: '1' };
export const git = (cwd: string, ...args: string[]) =>
  execFileSync(
    'git',
    ['-c', 'user.name=Seed', '-c', 'user.email=seed@example.com', '-c', 'init.defaultBranch=main', ...args],
    {
      cwd,
      env: GIT_ENV,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  ).trim();

/** A fresh handbook repository (one commit) with an empty docs/; returns the docs folder. */
export function initDocsRepo(repo: string): string {
  fs.mkdirSync(path.join(repo, 'docs'), { recursive: true });
  fs.writeFileSync(path.join(repo, 'docs', 'index.md'), '# Handbook\n');
  git(repo, 'init', '--quiet');
  git(repo, 'add', '.');
  git(repo, 'commit', '--quiet', '-m', 'handbook');
  return path.join(repo, 'docs');
}

/** Every run page of `runId` under a docs root (there must be exactly one). */
export function runPages(docsRoot: string, runId: string): string[] {
  if (!fs.existsSync(docsRoot)) return [];
  return (fs.readdirSync(docsRoot, { recursive: true }) as string[])
    .filter((f) => path.basename(f) === `${runId}.mdx`)
    .map((f) => path.join(docsRoot, f));
}

/** Commits of `runId` in a repository (`run(<project>): <run id> <state>`), newest first. */
export function runCommits(repo: string, runId: string): Array<{ sha: string; subject: string }> {
  const out = git(repo, 'log', '--format=%H %s', '--fixed-strings', `--grep=: ${runId} `);
  return out ? out.split('\n').map((l) => ({ sha: l.slice(0, 40), subject: l.slice(41) })) : [];
}

/** Uncommitted changes of a work tree (porcelain lines). */
export const dirtyFiles = (repo: string) =>
  git(repo, 'status', '--porcelain', '--untracked-files=all').split('\n').filter(Boolean);

/** An HTTP endpoint answering 200 after `delayMs`: a health check that takes that long. */
export async function slowEndpoint(
  delayMs: number,
): Promise<{ url: string; hits: () => number; close(): Promise<void> }> {
  let hits = 0;
  const sockets = new Set<import('node:net').Socket>();
  const server = http.createServer((_req, res) => {
    hits++;
    setTimeout(() => res.end('ok'), delayMs);
  });
  server.on('connection', (s) => (sockets.add(s), s.on('close', () => sockets.delete(s))));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/health`,
    hits: () => hits,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
