import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { commitRun, GitError } from '../../data-api/src/automation/git.ts';
import { regenerateRunIndex } from '../../data-api/src/automation/run-index.ts';
import { readRunIndex, writeRunPage } from '../../data-api/src/automation/run-page.ts';
import type { RunRecord } from '../../data-api/src/automation/runner.ts';
import { specDigest } from '../../data-api/src/automation/spec-file.ts';
import { makeSpec, tempDir } from '../helpers/automation.ts';

// contracts.md "Run pages": one commit per run, `run(<project>): <run_id> <state>`; push rebases
// and retries when the remote moved; never a force push.
const tmp = tempDir('git');
afterAll(tmp.cleanup);
let n = 0;

const ENV = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', HOME: tmp.dir, LC_ALL: 'C' };
function git(cwd: string, ...args: string[]): string {
  return execFileSync(
    'git',
    ['-c', 'user.name=Someone Else', '-c', 'user.email=else@example.com', '-c', 'init.defaultBranch=main', ...args],
    { cwd, env: ENV, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  ).trim();
}

function makeRun(runId: string, startedAt: string, state: 'succeeded' | 'failed' = 'succeeded'): RunRecord {
  const spec = makeSpec([{ id: 'gw', type: 'configure_gateway', with: { region: 'EU868', server: 'cs' } }]);
  return {
    run_id: runId,
    project: spec.project,
    deployment_id: spec.deployment_id,
    product_code: spec.product_code,
    product_version: spec.product_version,
    spec,
    spec_digest: specDigest(spec),
    state,
    started_at: startedAt,
    finished_at: startedAt,
    duration_ms: 1500,
    actions: [
      {
        id: 'gw',
        type: 'configure_gateway',
        state: state === 'succeeded' ? 'succeeded' : 'failed',
        attempts: 1,
        duration_ms: 1500,
        log: ['rendered'],
      },
    ],
    timeline: [],
    artifacts: [],
    tickets: [],
    warnings: [],
  };
}

/** A bare "origin" with one commit (docs/ and a README), and a clone of it. */
function setup(): { bare: string; clone: (name: string) => string } {
  const root = path.join(tmp.dir, `case-${++n}`);
  const bare = path.join(root, 'origin.git');
  fs.mkdirSync(bare, { recursive: true });
  git(bare, 'init', '--bare', '-q', '-b', 'main');
  const seed = path.join(root, 'seed');
  git(root, 'clone', '-q', bare, seed);
  fs.mkdirSync(path.join(seed, 'docs'), { recursive: true });
  fs.writeFileSync(path.join(seed, 'docs/index.mdx'), '# handbook\n');
  fs.writeFileSync(path.join(seed, 'README.md'), 'seed\n');
  git(seed, 'add', '.');
  git(seed, 'commit', '-q', '-m', 'seed');
  git(seed, 'push', '-q', 'origin', 'main');
  return {
    bare,
    clone: (name) => {
      const dir = path.join(root, name);
      git(root, 'clone', '-q', bare, dir);
      return dir;
    },
  };
}

/** A run page written and committed from a clone, as another runner would. */
async function commitFrom(clone: string, run: RunRecord, opts: { push?: boolean; author?: string } = {}) {
  const docs = path.join(clone, 'docs');
  const written = writeRunPage(run, { docsRoot: docs });
  return commitRun({
    cwd: docs,
    files: written.files,
    project: run.project,
    runId: run.run_id,
    state: run.state,
    push: opts.push,
    author: opts.author ?? 'Other Runner <other@example.com>',
    env: ENV,
    backoffMs: 10,
    regenerable: written.indexFiles,
    regenerate: () => void regenerateRunIndex(docs, run.project),
  });
}

describe('git: one commit per run', () => {
  it('commits exactly the run files with the run message and the configured author', async () => {
    const { clone } = setup();
    const a = clone('a');
    const result = await commitRun({
      cwd: path.join(a, 'docs'),
      ...(() => {
        const written = writeRunPage(makeRun('arun_01A', '2025-05-01T10:00:00.000Z', 'failed'), {
          docsRoot: path.join(a, 'docs'),
        });
        return { files: written.files };
      })(),
      project: 'farm-north-lorawan',
      runId: 'arun_01A',
      state: 'failed',
      env: { ...ENV, FLEETBOOK_GIT_AUTHOR: 'Fleet Runner <runner@fleetbook.example>' },
    });
    expect(result).toMatchObject({ message: 'run(farm-north-lorawan): arun_01A failed', pushed: false, attempts: 0 });
    expect(git(a, 'log', '-1', '--format=%s|%an <%ae>|%cn')).toBe(
      'run(farm-north-lorawan): arun_01A failed|Fleet Runner <runner@fleetbook.example>|Fleet Runner',
    );
    expect(git(a, 'show', '--name-only', '--format=', 'HEAD').split('\n').sort()).toEqual([
      'docs/projects/farm-north-lorawan/runs/2025-05-01/arun_01A.mdx',
      'docs/projects/farm-north-lorawan/runs/_category_.json',
      'docs/projects/farm-north-lorawan/runs/index.jsonl',
      'docs/projects/farm-north-lorawan/runs/index.mdx',
    ]);
    expect(git(a, 'rev-parse', 'HEAD')).toBe(result.sha);
    expect(git(a, 'status', '--porcelain')).toBe('');
  });

  it('refuses a work tree with other changes, says which, and leaves the run page in place', async () => {
    const { clone } = setup();
    const a = clone('a');
    fs.writeFileSync(path.join(a, 'README.md'), 'edited by hand\n');
    fs.writeFileSync(path.join(a, 'notes.txt'), 'scratch\n');
    const run = makeRun('arun_01B', '2025-05-01T10:00:00.000Z');
    const before = git(a, 'rev-parse', 'HEAD');
    const err = await commitFrom(a, run).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GitError);
    expect((err as Error).message).toBe(
      "refusing to commit run arun_01B: the work tree has changes outside the run's files (README.md, notes.txt); commit or stash them, then commit the run page by hand or run again",
    );
    expect(git(a, 'rev-parse', 'HEAD')).toBe(before);
    expect(fs.existsSync(path.join(a, 'docs/projects/farm-north-lorawan/runs/2025-05-01/arun_01B.mdx'))).toBe(true);
  });

  it('rejects an author that is not "Name <email>"', async () => {
    const { clone } = setup();
    const a = clone('a');
    await expect(
      commitFrom(a, makeRun('arun_01C', '2025-05-01T10:00:00.000Z'), { author: 'just a name' }),
    ).rejects.toThrow(
      'the git author must look like "Name <email>" (got "just a name"); set FLEETBOOK_GIT_AUTHOR or --git-author',
    );
  });
});

describe('git: push when the remote moved (fetch, rebase, retry; never force)', () => {
  it('rebases over a concurrent run of the same project, regenerating the conflicting run index', async () => {
    const { bare, clone } = setup();
    const a = clone('a');
    const b = clone('b');
    // B pushes its run first; A does not have it.
    const other = await commitFrom(b, makeRun('arun_01OTHER', '2025-05-01T09:00:00.000Z'), { push: true });
    expect(other.pushed).toBe(true);

    const logs: string[] = [];
    const docs = path.join(a, 'docs');
    const run = makeRun('arun_01MINE', '2025-05-01T11:00:00.000Z', 'failed');
    const written = writeRunPage(run, { docsRoot: docs });
    const result = await commitRun({
      cwd: docs,
      files: written.files,
      project: run.project,
      runId: run.run_id,
      state: run.state,
      push: true,
      author: 'Fleet Runner <runner@fleetbook.example>',
      env: ENV,
      backoffMs: 10,
      regenerable: written.indexFiles,
      regenerate: () => void regenerateRunIndex(docs, run.project),
      log: (l) => logs.push(l),
    });
    expect(result).toMatchObject({ pushed: true, attempts: 2 });
    // Both runs appended to index.jsonl and rewrote index.mdx: both conflict, both are regenerated.
    expect(
      logs.some((l) =>
        l.startsWith(
          'rebase conflict in docs/projects/farm-north-lorawan/runs/index.jsonl, docs/projects/farm-north-lorawan/runs/index.mdx: regenerating',
        ),
      ),
    ).toBe(true);
    // The remote has both commits, B's first: a fast-forward, not a force push.
    expect(git(bare, 'log', '--format=%s', 'main').split('\n')).toEqual([
      'run(farm-north-lorawan): arun_01MINE failed',
      'run(farm-north-lorawan): arun_01OTHER succeeded',
      'seed',
    ]);
    expect(git(bare, 'rev-parse', 'main')).toBe(result.sha);
    // The index on the remote lists both runs, newest first.
    const index = git(bare, 'show', 'main:docs/projects/farm-north-lorawan/runs/index.mdx');
    expect(index.indexOf('arun\\_01MINE')).toBeGreaterThan(0);
    expect(index.indexOf('arun\\_01OTHER')).toBeGreaterThan(index.indexOf('arun\\_01MINE'));
    expect(readRunIndex(path.join(docs, 'projects/farm-north-lorawan/runs')).map((e) => e.run_id)).toEqual([
      'arun_01MINE',
      'arun_01OTHER',
    ]);
    expect(git(a, 'status', '--porcelain')).toBe('');
  });

  it('retries when another runner pushes in between (during our push)', async () => {
    const { bare, clone } = setup();
    const a = clone('a');
    const b = clone('b');
    // B's run is ready; A's pre-push hook lets B push it once, after A has read the remote.
    const bDocs = path.join(b, 'docs');
    const bRun = makeRun('arun_01RACE', '2025-05-01T08:00:00.000Z');
    const bWritten = writeRunPage(bRun, { docsRoot: bDocs });
    git(b, 'add', '.');
    git(b, 'commit', '-q', '-m', `run(farm-north-lorawan): ${bRun.run_id} succeeded`);
    const marker = path.join(tmp.dir, `raced-${n}`);
    const hook = path.join(a, '.git/hooks/pre-push');
    fs.writeFileSync(
      hook,
      `#!/bin/sh\nif [ ! -e '${marker}' ]; then\n  touch '${marker}'\n  unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE\n  cd '${b}' && git push -q origin main >/dev/null 2>&1\nfi\nexit 0\n`,
    );
    fs.chmodSync(hook, 0o755);
    expect(bWritten.files.length).toBeGreaterThan(0);

    const result = await commitFrom(a, makeRun('arun_01SLOW', '2025-05-01T12:00:00.000Z'), { push: true });
    expect(fs.existsSync(marker)).toBe(true);
    expect(result.pushed).toBe(true);
    expect(result.attempts).toBeGreaterThanOrEqual(2);
    expect(git(bare, 'log', '--format=%s', 'main').split('\n').slice(0, 2)).toEqual([
      'run(farm-north-lorawan): arun_01SLOW succeeded',
      'run(farm-north-lorawan): arun_01RACE succeeded',
    ]);
  });

  it("gives up after the bounded number of attempts with the remote's reason", async () => {
    const { bare, clone } = setup();
    const a = clone('a');
    const hook = path.join(bare, 'hooks/pre-receive');
    fs.writeFileSync(hook, '#!/bin/sh\necho "branch is protected" >&2\nexit 1\n');
    fs.chmodSync(hook, 0o755);
    const docs = path.join(a, 'docs');
    const run = makeRun('arun_01NOPE', '2025-05-01T10:00:00.000Z');
    const written = writeRunPage(run, { docsRoot: docs });
    const err = await commitRun({
      cwd: docs,
      files: written.files,
      project: run.project,
      runId: run.run_id,
      state: run.state,
      push: true,
      env: ENV,
      maxAttempts: 3,
      backoffMs: 5,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GitError);
    expect((err as Error).message).toMatch(
      /^push to origin\/main failed after 3 attempts: \[remote rejected\] \(pre-receive hook declined\); branch is protected; the commit [0-9a-f]{12} is local, push it by hand \(never force\)$/,
    );
    expect(git(bare, 'log', '--format=%s', 'main')).toBe('seed');
  });
});
