import { spawnSync } from 'node:child_process';
import fs from 'node:fs';

const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;

/** utime + stime (ms) of each process still there, from /proc/<pid>/stat (Linux). */
export function procCpuMs(pids: number[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const pid of pids) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(pid, ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK);
    } catch {
      // gone, or not on this machine
    }
  }
  return out;
}

/** CPU ms of a set of processes since this call (a process started since counts whole; one that exited is missed). */
export async function cpuSince(pids: () => Promise<number[]>): Promise<() => Promise<number>> {
  const before = procCpuMs(await pids());
  return async () => {
    let ms = 0;
    for (const [pid, now] of procCpuMs(await pids())) ms += now - (before.get(pid) ?? 0);
    return ms;
  };
}
