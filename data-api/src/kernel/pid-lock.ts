import fs from 'node:fs';

/**
 * A folder one process may use at a time (PGlite's data dir, a runner's journal dir): a pid
 * file created exclusively; a stale one (its process is gone) is taken over. Returns the
 * release function. `reentrant`: this same process may take it again.
 */
export function acquirePidLock(
  lockFile: string,
  inUse: (pid: number) => Error,
  cannot: () => Error,
  options: { reentrant?: boolean } = {},
): () => void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
      return () => fs.rmSync(lockFile, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number(fs.readFileSync(lockFile, 'utf8'));
      if (pid && !(options.reentrant && pid === process.pid) && isAlive(pid)) throw inUse(pid);
      fs.rmSync(lockFile, { force: true });
    }
  }
  throw cannot();
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
