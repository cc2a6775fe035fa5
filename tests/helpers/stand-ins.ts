import fs from 'node:fs';
import path from 'node:path';

/**
 * Recording stand-ins for programs the runner calls (`docker`, `ssh`): put `dir` first on PATH.
 * Each call appends `{ cmd, argv, cwd }` as a JSON line to `<dir>/calls.jsonl`, prints the
 * configured lines, and exits with the configured code. `failTimes` makes the first n calls
 * exit with `failCode` (for retries).
 */
export interface StandInBehaviour {
  stdout?: string[];
  stderr?: string[];
  exitCode?: number;
  failTimes?: number;
  failCode?: number;
  /** Sleep this long before exiting (for timeouts). */
  sleepMs?: number;
  /**
   * Another behaviour (replacing this one) when the arguments contain this text (e.g. `'config -q'` for `docker compose
   * … config -q`, also inside ssh's remote command); its `failTimes` counts those calls only.
   */
  byArgs?: Record<string, Omit<StandInBehaviour, 'byArgs'>>;
}

export interface StandIns {
  dir: string;
  /** PATH with the stand-ins first. */
  path: string;
  calls(): Array<{ cmd: string; argv: string[]; cwd: string }>;
}

export function createStandIns(dir: string, programs: Record<string, StandInBehaviour>): StandIns {
  fs.mkdirSync(dir, { recursive: true });
  const record = path.join(dir, 'calls.jsonl');
  for (const [cmd, b] of Object.entries(programs)) {
    const script = `#!${process.execPath}
const fs = require('node:fs');
const record = ${JSON.stringify(record)};
fs.appendFileSync(record, JSON.stringify({ cmd: ${JSON.stringify(cmd)}, argv: process.argv.slice(2), cwd: process.cwd() }) + '\\n');
const all = ${JSON.stringify(b)};
const joined = process.argv.slice(2).join(' ');
const key = Object.keys(all.byArgs ?? {}).find((k) => joined.includes(k));
const b = key ? all.byArgs[key] : all;
const count = fs.readFileSync(record, 'utf8').split('\\n').filter((l) => l.includes('"cmd":${JSON.stringify(cmd)}'))
  .map((l) => JSON.parse(l).argv.join(' '))
  .filter((a) => (key ? a.includes(key) : !Object.keys(all.byArgs ?? {}).some((k) => a.includes(k)))).length;
for (const l of b.stdout ?? []) process.stdout.write(l + '\\n');
for (const l of b.stderr ?? []) process.stderr.write(l + '\\n');
const failing = count <= (b.failTimes ?? 0);
setTimeout(() => process.exit(failing ? (b.failCode ?? 1) : (b.exitCode ?? 0)), b.sleepMs ?? 0);
`;
    const file = path.join(dir, cmd);
    fs.writeFileSync(file, script);
    fs.chmodSync(file, 0o755);
  }
  return {
    dir,
    path: `${dir}${path.delimiter}${process.env.PATH ?? ''}`,
    calls: () =>
      fs.existsSync(record)
        ? fs
            .readFileSync(record, 'utf8')
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l))
        : [],
  };
}
