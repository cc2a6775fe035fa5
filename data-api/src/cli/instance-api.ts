import type { Kysely } from 'kysely';
import { loadConfig } from '../kernel/config/index.ts';
import { DatabaseInUseError, type Database } from '../kernel/db/index.ts';
import { readLocalInstance, type LocalInstance } from '../kernel/local-instance.ts';
import { withDatabase } from './database.ts';
import { overridesFrom } from './options.ts';

/** One call to the running instance's API: the JSON answer, or an Error with the API's message. */
export type InstanceCall = <T = unknown>(method: string, path: string, body?: unknown) => Promise<T>;

/**
 * Runs `direct` on the database, or — when the embedded database is held by a running fleetbook
 * (`npm start`) — `viaApi` against that fleetbook's API, with the admin token it published for
 * this run (local-instance.ts). `onApi` is told which instance answered.
 */
export async function withDatabaseOrInstance<T>(
  opts: Record<string, unknown>,
  direct: (db: Kysely<Database>) => Promise<T>,
  viaApi: (call: InstanceCall) => Promise<T>,
  onApi: (instance: LocalInstance) => void = () => {},
): Promise<T> {
  try {
    return await withDatabase(opts, direct);
  } catch (err) {
    if (!(err instanceof DatabaseInUseError)) throw err;
    const instance = readLocalInstance(loadConfig(process.env, overridesFrom(opts)).dataDir);
    if (!instance) throw err;
    onApi(instance);
    return viaApi(callerFor(instance));
  }
}

function callerFor(instance: LocalInstance): InstanceCall {
  return async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${instance.url}/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${instance.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    }).catch((err: Error) => {
      throw new Error(
        `the running fleetbook (pid ${instance.pid}) holds the database but its API at ${instance.url} does not answer: ${err.message}`,
      );
    });
    const text = await res.text();
    const json = text ? (JSON.parse(text) as Record<string, unknown>) : null;
    if (!res.ok) throw new Error(String(json?.message ?? json?.error ?? `HTTP ${res.status}`));
    return json as T;
  };
}
