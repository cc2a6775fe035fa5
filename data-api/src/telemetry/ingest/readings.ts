// The readings a batch stored and the hook that receives them: the live feed (telemetry/live.ts)
// and the notifications evaluator read them without importing the writer and what it imports.
import type { Transaction } from 'kysely';
import type { Database } from '../../kernel/db/index.ts';
import type { DeviceInfo } from './registry-cache.ts';

/**
 * A reading as this batch stored it. It has the fields of the wire's LiveSample (contracts/stream.ts)
 * in their order, ts in epoch seconds as the row has it: the live feed sends it as it is, and only
 * what wants a date string (an alert rule's `when:`) formats one.
 */
export interface StoredReading {
  device_id: string;
  site_id: string | null;
  customer_id: string | null;
  /** epoch seconds */
  ts: number;
  status: string | null;
  metrics: Record<string, number>;
}

/**
 * Called inside the batch's transaction with the readings it stored (repeats left out) and
 * the registry facts of their devices: alert rules are evaluated on the readings as they are
 * stored, and their transitions commit (or not) with them. (The notifications evaluator.)
 */
export type ReadingsHook = (
  trx: Transaction<Database>,
  readings: StoredReading[],
  device: (id: string) => DeviceInfo | null,
) => Promise<void>;
