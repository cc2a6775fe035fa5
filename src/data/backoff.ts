// Pure (no DOM): reconnect delays.

export interface BackoffOptions {
  /** First delay (attempt 0). */
  baseMs: number;
  /** Never wait longer than this. */
  maxMs: number;
  factor: number;
  /** ± share of the delay, so many pages do not reconnect in lockstep. */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 500, maxMs: 5_000, factor: 2, jitter: 0.2 };

/** Exponential backoff with jitter: 500 ms, 1 s, 2 s, 4 s, 5 s, 5 s… (±20 %). */
export function backoffDelay(
  attempt: number,
  options: Partial<BackoffOptions> = {},
  random: () => number = Math.random,
): number {
  const o = { ...DEFAULT_BACKOFF, ...options };
  const raw = Math.min(o.maxMs, o.baseMs * o.factor ** Math.max(0, attempt));
  const spread = raw * o.jitter * (2 * random() - 1);
  return Math.max(0, Math.min(o.maxMs, Math.round(raw + spread)));
}
