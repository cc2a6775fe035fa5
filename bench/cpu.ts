import { existsSync, readFileSync } from 'node:fs';
import { sql } from 'kysely';
import pg from 'pg';
import type { DatabaseHandle } from '../data-api/src/kernel/db/index.ts';

/**
 * CPU time read around a measured run, so a figure is per request and survives load: on two
 * shared cores, latency moves with whatever else runs, the CPU a request costs much less.
 */

/** Linux's USER_HZ: /proc reports utime and stime in these ticks (100 on x86 and arm64). */
const TICKS_PER_S = 100;

/** utime + stime in ms from a /proc …/stat line (fields 14 and 15; the name in parentheses may hold spaces). */
function statCpuMs(path: string): number | null {
  try {
    const text = readFileSync(path, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_S;
  } catch {
    return null; // gone, or not on this machine
  }
}

/** utime + stime (ms) of each of these processes still there. */
export function procCpuMs(pids: number[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const pid of pids) {
    const ms = statCpuMs(`/proc/${pid}/stat`);
    if (ms !== null) out.set(pid, ms);
  }
  return out;
}

/** CPU ms of a set of processes since this call (a process started since counts whole; one that exited is missed). */
export async function cpuSince(pids: () => Promise<number[]>): Promise<() => Promise<number>> {
  const before = procCpuMs(await pids());
  return async () => cpuBetween(before, procCpuMs(await pids()));
}

/**
 * CPU ms of this process's main thread alone (Linux; null elsewhere): the in-process API's
 * share, without the load generator's worker thread next to it.
 */
export const mainThreadCpuMs = (): number | null => statCpuMs(`/proc/self/task/${process.pid}/stat`);

/** CPU ms of this whole process (every thread). */
export function processCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/**
 * CPU ms of the PostgreSQL backends serving one database (same host, Linux): what the queries of
 * a run cost the server. Sampled by pid; a backend that started between two samples counts from 0.
 */
export async function pgBackendsCpuMs(baseUrl: string, database: string): Promise<Map<number, number>> {
  const client = new pg.Client({ connectionString: baseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number }>(
      'select pid from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
      [database],
    );
    return procCpuMs(rows.map((r) => r.pid));
  } finally {
    await client.end();
  }
}

/**
 * The PostgreSQL processes a run's database work costs on this machine: the backends of this
 * database and the server's background processes (WAL writer, checkpointer…), which write what
 * the backends commit. Empty for PGlite, and for a server on another machine (its pids are not
 * postgres processes here).
 */
export async function databaseServerPids(database: DatabaseHandle): Promise<number[]> {
  if (database.kind !== 'pg') return [];
  const { rows } = await sql<{
    pid: number;
  }>`select pid from pg_stat_activity where datname = current_database() or datname is null`.execute(database.db);
  return rows
    .map((r) => Number(r.pid))
    .filter(
      (pid) => existsSync(`/proc/${pid}/comm`) && readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'postgres',
    );
}

/** The CPU ms the processes of `before` and `after` spent between the two samples. */
export function cpuBetween(before: Map<number, number>, after: Map<number, number>): number {
  let total = 0;
  for (const [pid, ms] of after) total += ms - (before.get(pid) ?? 0);
  return total;
}

/** A run's CPU as ms per request, or null when it was not measured. */
export const perRequest = (cpuMs: number | null, requests: number): number | null =>
  cpuMs === null || requests === 0 ? null : cpuMs / requests;
