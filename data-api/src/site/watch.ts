// The running site follows the repository (issue 16): a change under the content folders
// starts a background build after a quiet period (debounce), and with FLEETBOOK_GIT_PULL the
// repository is pulled (fast-forward only) on an interval, so a run page committed elsewhere or
// a runbook merged upstream shows up without a restart. The previous build stays served until
// the new one is complete (SiteBuilder swaps it in atomically).
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { SITE_SOURCES, type SiteBuilder } from './build.ts';

export interface SiteWatchOptions {
  debounceMs: number;
  /** 0: never pull. */
  gitPullMs: number;
  log: (msg: string) => void;
}

export interface SiteWatch {
  close(): void;
}

/** Paths that change during a build or are not site sources. */
const IGNORED = /(^|\/)(node_modules|\.docusaurus|\.git|build)(\/|$)|~$|\.swp$|\.tmp$/;

export function watchSite(builder: SiteBuilder, opts: SiteWatchOptions): SiteWatch {
  const root = builder.root;
  const watchers: fs.FSWatcher[] = [];
  let timer: NodeJS.Timeout | null = null;
  let changed = new Set<string>();
  let closed = false;

  const schedule = (rel: string) => {
    if (closed || IGNORED.test(rel)) return;
    changed.add(rel);
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      const files = [...changed];
      changed = new Set();
      opts.log(
        `site sources changed (${files.slice(0, 3).join(', ')}${files.length > 3 ? ` and ${files.length - 3} more` : ''}): rebuilding in the background`,
      );
      void builder.build();
    }, opts.debounceMs);
  };

  for (const rel of SITE_SOURCES) {
    const target = path.join(root, rel);
    if (!fs.existsSync(target)) continue;
    const isDir = fs.statSync(target).isDirectory();
    try {
      const w = fs.watch(target, { recursive: isDir }, (_event, name) =>
        schedule(isDir ? `${rel}/${String(name ?? '')}` : rel),
      );
      w.on('error', (err) => opts.log(`site watch on ${rel} stopped: ${err.message}`));
      watchers.push(w);
    } catch (err) {
      opts.log(`cannot watch ${rel}: ${(err as Error).message}`);
    }
  }

  let pulling: NodeJS.Timeout | null = null;
  if (opts.gitPullMs > 0) {
    let busy = false;
    pulling = setInterval(() => {
      if (busy || closed) return;
      busy = true;
      gitPull(root)
        .then((r) => {
          if (r.changed) {
            opts.log(`git pull: ${r.before.slice(0, 12)} → ${r.after.slice(0, 12)}`);
            schedule('(git pull)');
          }
        })
        .catch((err: Error) => opts.log(`git pull failed (the site keeps its build): ${err.message}`))
        .finally(() => {
          busy = false;
        });
    }, opts.gitPullMs);
    pulling.unref();
  }

  return {
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      if (pulling) clearInterval(pulling);
      for (const w of watchers) w.close();
    },
  };
}

function git(root: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      args,
      { cwd: root, env: { ...process.env, GIT_TERMINAL_PROMPT: '0' }, timeout: 120_000 },
      (err, stdout, stderr) => {
        if (err)
          reject(
            new Error(
              String(stderr || err.message)
                .trim()
                .split('\n')
                .slice(-2)
                .join(' '),
            ),
          );
        else resolve(String(stdout).trim());
      },
    );
  });
}

/** `git pull --ff-only`: never a merge commit, never a rebase of local work. */
export async function gitPull(root: string): Promise<{ changed: boolean; before: string; after: string }> {
  const before = await git(root, ['rev-parse', 'HEAD']);
  await git(root, ['pull', '--ff-only', '--quiet']);
  const after = await git(root, ['rev-parse', 'HEAD']);
  return { changed: before !== after, before, after };
}
