// The rate limits of the API (issue 17): which routes, per whom, how many, and how they are set.
// No server-only imports: the docs and the browser may read the defaults.
import { z } from 'zod';

export interface RateLimit {
  max: number;
  windowMs: number;
}

/** Every limited route group, what it counts per, and its default. */
export const RATE_LIMITED = {
  claim: { routes: ['POST /api/v1/stations/claim'], per: 'client address', default: { max: 30, windowMs: 60_000 } },
  events: { routes: ['POST /api/v1/events'], per: 'station', default: { max: 1200, windowMs: 60_000 } },
  tokens: {
    routes: [
      'POST /api/v1/tokens',
      'GET /api/v1/tokens',
      'DELETE /api/v1/tokens/:id',
      'POST /api/v1/devices/:id/mqtt-token',
    ],
    per: 'caller (token or proxy user)',
    default: { max: 30, windowMs: 60_000 },
  },
} as const satisfies Record<string, { routes: readonly string[]; per: string; default: RateLimit }>;

export type RateLimitName = keyof typeof RATE_LIMITED;

const UNITS: Record<string, number> = {
  s: 1000,
  sec: 1000,
  second: 1000,
  m: 60_000,
  min: 60_000,
  minute: 60_000,
  h: 3_600_000,
  hour: 3_600_000,
};

/** `30/min`, `1200/minute`, `5/10s`, `100/h`; `off` for no limit. */
export const rateLimitSpec = z
  .string()
  .trim()
  .transform((value, ctx): RateLimit | null => {
    if (value === 'off') return null;
    const m = /^(\d+)\s*\/\s*(\d*)\s*([a-z]+)$/.exec(value.toLowerCase());
    const unit = m ? (UNITS[m[3]!.replace(/s$/, '')] ?? UNITS[m[3]!]) : undefined;
    if (!m || !unit || Number(m[1]) < 1) {
      ctx.addIssue({ code: 'custom', message: 'expected a limit like 30/min, 1200/minute, 5/10s or 100/h, or off' });
      return z.NEVER;
    }
    return { max: Number(m[1]), windowMs: (m[2] ? Number(m[2]) : 1) * unit };
  });

export interface RateLimits {
  /** `database`: one count for all replicas (PostgreSQL); `memory`: each replica counts alone. */
  store: 'database' | 'memory';
  limits: Record<RateLimitName, RateLimit | null>;
}

export const defaultRateLimits = (): RateLimits => ({
  store: 'database',
  limits: {
    claim: RATE_LIMITED.claim.default,
    events: RATE_LIMITED.events.default,
    tokens: RATE_LIMITED.tokens.default,
  },
});

/** `30 per minute`, `5 per 10 seconds`, `4 per day`. */
export function describeLimit(limit: RateLimit): string {
  const units: Array<[string, number]> = [
    ['day', 86_400_000],
    ['hour', 3_600_000],
    ['minute', 60_000],
    ['second', 1000],
  ];
  const [unit, ms] = units.find(([, ms]) => limit.windowMs % ms === 0) ?? ['millisecond', 1];
  const n = limit.windowMs / ms;
  return `${limit.max} per ${n === 1 ? unit : `${n} ${unit}s`}`;
}
