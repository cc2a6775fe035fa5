import fs from 'node:fs';
import path from 'node:path';
import type { Kysely } from 'kysely';
import { createToken } from './auth/service.ts';
import { forgetTokens } from './auth/token-cache.ts';
import type { Database } from './db/index.ts';

/**
 * How `fleetbook token …` (and other CLI commands) reach a running embedded fleetbook: PGlite
 * is one process's database, so while `npm start` runs the CLI goes through its API instead.
 * The running instance writes `<data dir>/instance.json` (mode 0600): its URL and an admin
 * token made for this run only, deleted at stop and replaced at the next start. Whoever can
 * read the data dir can open the database itself when fleetbook is stopped: the file gives
 * them nothing more, and nobody else can read it.
 */
export interface LocalInstance {
  pid: number;
  url: string;
  token: string;
  started_at: string;
}

/** The token's name: one per data dir, listed by `fleetbook token list` while the instance runs. */
export const LOCAL_CLI_TOKEN_NAME = 'fleetbook CLI (local instance)';

export const instanceFile = (dataDir: string) => path.join(dataDir, 'instance.json');

/** Publishes this process as the data dir's running instance; returns what undoes it at stop. */
export async function publishLocalInstance(
  db: Kysely<Database>,
  dataDir: string,
  url: string,
): Promise<() => Promise<void>> {
  // A crashed run left its token behind: it is nobody's now.
  await db.deleteFrom('api_tokens').where('name', '=', LOCAL_CLI_TOKEN_NAME).execute();
  forgetTokens();
  const created = await createToken(db, { name: LOCAL_CLI_TOKEN_NAME, role: 'admin' });
  const file = instanceFile(dataDir);
  const body: LocalInstance = { pid: process.pid, url, token: created.token, started_at: new Date().toISOString() };
  fs.mkdirSync(dataDir, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(body, null, 2) + '\n', { mode: 0o600 });
  fs.renameSync(tmp, file);
  return async () => {
    fs.rmSync(file, { force: true });
    await db.deleteFrom('api_tokens').where('id', '=', created.id).execute();
    forgetTokens();
  };
}

/** The running instance of a data dir, or null (none, or its process is gone). */
export function readLocalInstance(dataDir: string): LocalInstance | null {
  let instance: LocalInstance;
  try {
    instance = JSON.parse(fs.readFileSync(instanceFile(dataDir), 'utf8')) as LocalInstance;
  } catch {
    return null;
  }
  try {
    process.kill(instance.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return null;
  }
  return instance;
}
