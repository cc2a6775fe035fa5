// One commit per run: `run(<project>): <run_id> <state>`, holding the run page, its full log,
// its artifacts and the regenerated run index, and nothing else. A work tree with other changes
// is refused (the run itself is already recorded). `push`: `git push`; when the remote moved,
// fetch, rebase, retry (bounded, with backoff); never a force push. A rebase conflict in the
// run index (two runs of one project) is resolved by regenerating the index from the pages.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { sleep } from './http.ts';

export class GitError extends Error {
  readonly exitCode = 1;
  constructor(message: string) {
    super(message);
    this.name = 'GitError';
  }
}

export const DEFAULT_GIT_AUTHOR = 'fleetbook automation <automation@fleetbook.invalid>';

interface GitResult {
  code: number;
  stdout: string;
  stderr: string;
}

function git(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<GitResult> {
  return new Promise((resolve) => {
    execFile('git', args, { cwd, env, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err
        ? typeof (err as { code?: unknown }).code === 'number'
          ? (err as { code: number }).code
          : 127
        : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) || (err && code === 127 ? err.message : '') });
    });
  });
}

export function parseAuthor(author: string): { name: string; email: string } {
  const m = /^\s*(.+?)\s*<([^<>\s]+@[^<>\s]+)>\s*$/.exec(author);
  if (!m)
    throw new GitError(
      `the git author must look like "Name <email>" (got ${JSON.stringify(author)}); set FLEETBOOK_GIT_AUTHOR or --git-author`,
    );
  return { name: m[1]!, email: m[2]! };
}

export interface CommitRunOptions {
  /** Any folder inside the work tree (e.g. the docs root). */
  cwd: string;
  /** Absolute paths this run wrote: the only changes allowed in the work tree. */
  files: string[];
  project: string;
  runId: string;
  state: string;
  /** "Name <email>"; default FLEETBOOK_GIT_AUTHOR, then the repository's identity, then fleetbook automation. */
  author?: string;
  push?: boolean;
  /** Default: the branch's upstream remote, else origin. */
  remote?: string;
  maxAttempts?: number;
  backoffMs?: number;
  /** Files that a rebase conflict may be resolved in by regenerating them (the run index). */
  regenerable?: string[];
  /** Rewrites the regenerable files from the work tree (called mid-rebase). */
  regenerate?: () => void;
  log?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}

export interface CommitRunResult {
  sha: string;
  message: string;
  pushed: boolean;
  /** Push attempts (0 without push). */
  attempts: number;
}

function toPosix(p: string): string {
  return p.split(path.sep).join('/');
}

/**
 * A run file's path as git names it: relative to the work tree's top, which is a real path, so
 * the file's links are resolved too. A file that does not exist resolves through its directory.
 */
function pathInRepo(top: string, file: string): string {
  return toPosix(
    path.relative(
      top,
      fs.existsSync(file) ? fs.realpathSync(file) : path.join(fs.realpathSync(path.dirname(file)), path.basename(file)),
    ),
  );
}

/** `git status --porcelain -z` → paths (renames give both). */
function statusPaths(out: string): string[] {
  const parts = out.split('\0').filter(Boolean);
  const paths: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    const entry = parts[i]!;
    const xy = entry.slice(0, 2);
    paths.push(entry.slice(3));
    if (xy[0] === 'R' || xy[0] === 'C') paths.push(parts[++i]!);
  }
  return paths;
}

export async function commitRun(opts: CommitRunOptions): Promise<CommitRunResult> {
  const baseEnv: NodeJS.ProcessEnv = { ...(opts.env ?? process.env), GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' };
  const log = opts.log ?? (() => {});
  const top0 = await git(['rev-parse', '--show-toplevel'], opts.cwd, baseEnv);
  if (top0.code !== 0) throw new GitError(`cannot commit the run page: ${opts.cwd} is not inside a git work tree`);
  const top = fs.realpathSync(top0.stdout.trim());
  const allowed = new Set(opts.files.map((f) => pathInRepo(top, f)));
  const run = (args: string[], env = baseEnv) => git(args, top, env);

  const env = await identityEnv(opts.author, top, baseEnv);

  const status = await run(['status', '--porcelain=v1', '-z', '--untracked-files=all']);
  if (status.code !== 0) throw new GitError(`git status failed: ${status.stderr.trim()}`);
  const outside = statusPaths(status.stdout).filter((p) => !allowed.has(p));
  if (outside.length > 0) {
    const list = outside.slice(0, 8).join(', ') + (outside.length > 8 ? ` and ${outside.length - 8} more` : '');
    throw new GitError(
      `refusing to commit run ${opts.runId}: the work tree has changes outside the run's files (${list}); commit or stash them, then commit the run page by hand or run again`,
    );
  }

  const existing = [...allowed].filter((p) => fs.existsSync(path.join(top, p)));
  const add = await run(['add', '--', ...existing]);
  if (add.code !== 0) throw new GitError(`git add failed: ${add.stderr.trim()}`);
  const message = `run(${opts.project}): ${opts.runId} ${opts.state}`;
  // No pathspec: `git commit -- <paths>` builds a temporary index from HEAD and recomputes every
  // tree of the repository (its cost grew with the number of run pages). The status check above
  // leaves nothing but the run's files staged, so committing the index commits exactly those.
  const commit = await run(['commit', '--quiet', '-m', message], env);
  if (commit.code !== 0) throw new GitError(`git commit failed: ${(commit.stderr || commit.stdout).trim()}`);
  const head = async () => (await run(['rev-parse', 'HEAD'])).stdout.trim();
  log(`committed ${(await head()).slice(0, 12)} ${message}`);
  if (!opts.push) return { sha: await head(), message, pushed: false, attempts: 0 };
  return pushRunCommit(opts, top, message, env);
}

/** Identity: explicit, then FLEETBOOK_GIT_AUTHOR, then the repository's, then ours. */
async function identityEnv(
  author: string | undefined,
  top: string,
  baseEnv: NodeJS.ProcessEnv,
): Promise<NodeJS.ProcessEnv> {
  const authorText = author ?? baseEnv.FLEETBOOK_GIT_AUTHOR;
  let identity: { name: string; email: string } | undefined = authorText ? parseAuthor(authorText) : undefined;
  if (!identity) {
    const email = await git(['config', 'user.email'], top, baseEnv);
    if (email.code !== 0 || !email.stdout.trim()) identity = parseAuthor(DEFAULT_GIT_AUTHOR);
  }
  return identity
    ? {
        ...baseEnv,
        GIT_AUTHOR_NAME: identity.name,
        GIT_AUTHOR_EMAIL: identity.email,
        GIT_COMMITTER_NAME: identity.name,
        GIT_COMMITTER_EMAIL: identity.email,
      }
    : baseEnv;
}

/** `run(<project>): <run id> ` + state: how a run's commit is found again after its runner stopped. */
const runCommitPrefix = (project: string, runId: string) => `run(${project}): ${runId} `;

/**
 * The commit a run already made in this work tree's history (its runner stopped between the
 * commit and the finish write-back), or null. A picked-up run commits only when there is none.
 */
export async function findRunCommit(
  cwd: string,
  project: string,
  runId: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ sha: string; message: string } | null> {
  if (!fs.existsSync(cwd)) return null;
  const found = await git(
    ['log', '-n', '1', '--format=%H%x09%s', '--fixed-strings', `--grep=${runCommitPrefix(project, runId)}`],
    cwd,
    { ...env, LC_ALL: 'C' },
  );
  if (found.code !== 0) return null;
  const [sha, ...subject] = found.stdout.trim().split('\t');
  const message = subject.join('\t');
  return sha && message.startsWith(runCommitPrefix(project, runId)) ? { sha, message } : null;
}

/** Pushes a run's commit made earlier (by a runner that stopped before it could push); a no-op when the remote has it. */
export async function pushExistingRunCommit(opts: CommitRunOptions & { message: string }): Promise<CommitRunResult> {
  const baseEnv: NodeJS.ProcessEnv = { ...(opts.env ?? process.env), GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' };
  const top0 = await git(['rev-parse', '--show-toplevel'], opts.cwd, baseEnv);
  if (top0.code !== 0) throw new GitError(`cannot push the run page: ${opts.cwd} is not inside a git work tree`);
  const top = fs.realpathSync(top0.stdout.trim());
  return pushRunCommit(opts, top, opts.message, await identityEnv(opts.author, top, baseEnv));
}

async function pushRunCommit(
  opts: CommitRunOptions,
  top: string,
  message: string,
  env: NodeJS.ProcessEnv,
): Promise<CommitRunResult> {
  const log = opts.log ?? (() => {});
  const run = (args: string[], e = env) => git(args, top, e);
  const head = async () => (await run(['rev-parse', 'HEAD'])).stdout.trim();
  const branchRes = await run(['symbolic-ref', '--quiet', '--short', 'HEAD']);
  if (branchRes.code !== 0) throw new GitError('cannot push: HEAD is detached (check out a branch first)');
  const branch = branchRes.stdout.trim();
  const remote = opts.remote ?? ((await run(['config', `branch.${branch}.remote`])).stdout.trim() || 'origin');
  const merge = (await run(['config', `branch.${branch}.merge`])).stdout.trim();
  const target = merge.startsWith('refs/heads/') ? merge.slice('refs/heads/'.length) : branch;
  const tracking = `refs/remotes/${remote}/${target}`;
  const maxAttempts = opts.maxAttempts ?? 5;
  const backoffMs = opts.backoffMs ?? 500;
  const regenerable = new Set((opts.regenerable ?? []).map((f) => pathInRepo(top, f)));

  let lastError = '';
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const push = await run(['push', '--porcelain', remote, `HEAD:refs/heads/${target}`], env);
    if (push.code === 0) {
      log(`pushed to ${remote}/${target}${attempt > 1 ? ` (attempt ${attempt})` : ''}`);
      return { sha: await head(), message, pushed: true, attempts: attempt };
    }
    lastError = pushFailure(push);
    if (attempt === maxAttempts) break;
    const wait = backoffMs * 2 ** (attempt - 1) + Math.floor(Math.random() * backoffMs);
    log(
      `push rejected (${lastError || 'unknown reason'}); fetching ${remote}/${target} and rebasing, retry in ${wait} ms`,
    );
    await sleep(wait);
    const fetch = await run(['fetch', '--quiet', remote, `+refs/heads/${target}:${tracking}`], env);
    if (fetch.code !== 0) {
      lastError = `fetch failed: ${fetch.stderr.trim()}`;
      continue; // e.g. the remote branch does not exist yet, or the network is down: just retry
    }
    await rebaseOnto(tracking, run, env, regenerable, opts.regenerate, log);
  }
  throw new GitError(
    `push to ${remote}/${target} failed after ${maxAttempts} attempts: ${lastError}; the commit ${(await head()).slice(0, 12)} is local, push it by hand (never force)`,
  );
}

/** Why a push failed, from `git push --porcelain`: the ref status and what the remote said. */
function pushFailure(push: GitResult): string {
  const lines = `${push.stdout}\n${push.stderr}`
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const refs = lines.filter((l) => l.startsWith('!')).map((l) => l.split('\t').slice(2).join(' ').trim());
  const remote = lines
    .filter((l) => l.startsWith('remote:'))
    .map((l) => l.slice('remote:'.length).trim())
    .filter(Boolean);
  const reason = [...refs, ...remote].join('; ');
  return (
    reason ||
    lines
      .filter((l) => !l.startsWith('To ') && l !== 'Done')
      .slice(-2)
      .join(' ') ||
    `git push exited with ${push.code}`
  );
}

async function rebaseOnto(
  upstream: string,
  run: (args: string[], env?: NodeJS.ProcessEnv) => Promise<GitResult>,
  env: NodeJS.ProcessEnv,
  regenerable: Set<string>,
  regenerate: (() => void) | undefined,
  log: (line: string) => void,
): Promise<void> {
  const editorEnv = { ...env, GIT_EDITOR: 'true' };
  let res = await run(['rebase', upstream], editorEnv);
  for (let guard = 0; res.code !== 0 && guard < 20; guard++) {
    const conflicted = (await run(['diff', '--name-only', '--diff-filter=U'])).stdout.split('\n').filter(Boolean);
    if (conflicted.length === 0 || !regenerate || !conflicted.every((f) => regenerable.has(f))) {
      await run(['rebase', '--abort']);
      throw new GitError(
        `rebase onto ${upstream} failed${conflicted.length ? ` with conflicts in ${conflicted.join(', ')}` : `: ${res.stderr.trim()}`}; nothing was pushed`,
      );
    }
    log(`rebase conflict in ${conflicted.join(', ')}: regenerating from the run pages`);
    regenerate();
    await run(['add', '--', ...conflicted]);
    res = await run(['rebase', '--continue'], editorEnv);
  }
  if (res.code !== 0) {
    await run(['rebase', '--abort']);
    throw new GitError(`rebase onto ${upstream} did not finish: ${res.stderr.trim()}`);
  }
}
