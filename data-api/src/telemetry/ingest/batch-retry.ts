// Writing one batch until it is written: a database that is down is waited for (with backoff);
// a batch the database refuses (a data error) is split in halves until the one message at
// fault is found, and that one is dead-lettered instead.
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { parseTopic } from '../../contracts/mqtt.ts';
import type { Database } from '../../kernel/db/index.ts';
import type { Decoded } from './decode.ts';
import type { RegistryCache } from './registry-cache.ts';
import { writeBatch, type DeviceStateThrottle, type IncomingMessage, type WriteResult } from './writer.ts';
import type { ReadingsHook } from './readings.ts';

export interface BatchWriterDeps {
  db: Kysely<Database>;
  cache: RegistryCache;
  throttle: DeviceStateThrottle;
  onReadings?: ReadingsHook;
  log?: Logger;
  /** Counts a failed write (stats and /metrics). */
  dbError(): void;
  /** The ingest is stopping: with the database gone, give up (the messages stay unacknowledged). */
  closing(): boolean;
}

/** Writes a batch (empty: the held device states only); null when it was given up. */
export type BatchWriter = (take: IncomingMessage[]) => Promise<WriteResult | null>;

export function batchWriter(deps: BatchWriterDeps): BatchWriter {
  const { log } = deps;

  async function writeWithRetry(take: IncomingMessage[]): Promise<WriteResult | null> {
    let delay = 100;
    for (;;) {
      try {
        return await writeBatch(deps.db, deps.cache, take, deps.throttle, deps.onReadings);
      } catch (err) {
        deps.dbError();
        if (isDataError(err)) return bisect(take, err as Error);
        log?.error({ err: (err as Error).message, retry_ms: delay }, 'ingest write failed; retrying');
        if (deps.closing() && delay > 3000) return null; // stopping with the database gone: leave them unacknowledged
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, 5000);
      }
    }
  }

  async function bisect(take: IncomingMessage[], err: Error): Promise<WriteResult | null> {
    if (take.length === 0) {
      log?.error({ err: err.message }, 'device state write refused by the database');
      return null;
    }
    if (take.length === 1) {
      const p = take[0]!;
      log?.warn({ err: err.message, topic: p.decoded.topic }, 'database refused a message: dead-lettered');
      return writeWithRetry([{ ...p, decoded: poisoned(p.decoded, err) }]);
    }
    const half = Math.ceil(take.length / 2);
    const a = await writeWithRetry(take.slice(0, half));
    const b = await writeWithRetry(take.slice(half));
    if (!a || !b) return a ?? b;
    return merged(a, b);
  }

  return writeWithRetry;
}

/** The message the database refused, as one dead letter saying why. */
function poisoned(decoded: Decoded, err: Error): Decoded {
  return {
    topic: decoded.topic,
    items: [],
    deadLetters: [
      {
        reason: 'validation',
        detail: `rejected by the database: ${err.message}`,
        topic: decoded.topic,
        site_id: parseTopic(decoded.topic)?.site_id ?? null,
        device_id: parseTopic(decoded.topic)?.device_id ?? null,
        payload: decoded.items[0]?.raw() ?? decoded.deadLetters[0]?.payload ?? '',
      },
    ],
  };
}

function merged(a: WriteResult, b: WriteResult): WriteResult {
  const deadLetters = { ...a.deadLetters };
  for (const [k, v] of Object.entries(b.deadLetters))
    deadLetters[k as keyof typeof deadLetters] = (deadLetters[k as keyof typeof deadLetters] ?? 0) + v!;
  return {
    rows: a.rows + b.rows,
    inserted: a.inserted + b.inserted,
    duplicates: a.duplicates + b.duplicates,
    deadLetters,
    cameUp: [...a.cameUp, ...b.cameUp],
    samples: [...a.samples, ...b.samples],
  };
}

/** SQLSTATE classes the database will refuse again on retry: data, integrity, syntax. */
function isDataError(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' && /^(22|23|42|2B)/.test(code);
}
