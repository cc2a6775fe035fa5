// The small shapes every contract is built from, written once: timestamps, dates, on/off flags and URLs.
import * as z from 'zod';

/** The instants a timestamp may name: years 1 to 9999 in UTC (what PostgreSQL and toISOString both write plainly). */
const FIRST_INSTANT = Date.parse('0001-01-01T00:00:00Z');
const LAST_INSTANT = Date.parse('9999-12-31T23:59:59.999Z');

/**
 * An ISO 8601 date-time with its offset (`Z` or `+02:00`), as every timestamp on the wire. Year
 * 0000, 0001/9999 pushed past the calendar by an offset, or an offset no time zone has (-23:14)
 * is refused here: it would otherwise reach the database as a date it cannot read.
 *
 * One message per field: each check aborts, so a value that is not a date-time is not also told
 * it is out of range, and an object's own checks (from before to) do not run on it either.
 */
export const isoDateTime = z.iso
  .datetime({ offset: true, error: 'expected an ISO 8601 date-time, e.g. 2026-11-01T00:00:00Z', abort: true })
  .refine(
    (v) => {
      const at = Date.parse(v);
      return at >= FIRST_INSTANT && at <= LAST_INSTANT;
    },
    { error: 'expected a date-time between the years 1 and 9999 (UTC)', abort: true },
  )
  // Real time zones span -12:00 to +14:00; PostgreSQL refuses an offset past ±15:59.
  .refine((v) => Math.abs(offsetMinutes(v)) <= 14 * 60, {
    error: 'expected a UTC offset between -14:00 and +14:00',
    abort: true,
  })
  .describe('ISO 8601 timestamp');

function offsetMinutes(v: string): number {
  const m = /([+-])(\d{2}):?(\d{2})$/.exec(v);
  return m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : 0;
}

/**
 * A [from, to) window of a query, `to` defaulting to now: `from` must be before it. A `from` later
 * than now without a `to` names a window that ends before it starts, refused like a `to` before
 * `from`. For `.refine(fromBeforeTo, FROM_BEFORE_TO)` on the query's object.
 */
export const fromBeforeTo = (q: { from?: string; to?: string }): boolean =>
  !q.from || Date.parse(q.from) < (q.to ? Date.parse(q.to) : Date.now());
export const FROM_BEFORE_TO = { message: 'from must be before to (default: now)', path: ['from'] };

/** A calendar date, YYYY-MM-DD. */
export const isoDate = z.iso.date({ error: 'expected a date YYYY-MM-DD' }).describe('YYYY-MM-DD');

/**
 * An on/off setting from the environment or a command-line flag: a boolean, or one of the
 * spellings people type (`1/0`, `true/false`, `yes/no`, `on/off`; empty is off).
 */
export const envFlag = z
  .union([z.boolean(), z.enum(['1', '0', 'true', 'false', 'yes', 'no', 'on', 'off', ''])])
  .transform((v) => v === true || v === '1' || v === 'true' || v === 'yes' || v === 'on');

/** A boolean in a query string: `true` or `false`, nothing else. */
export const queryFlag = z.enum(['true', 'false']).transform((v) => v === 'true');

/** A URL with one of `protocols` (`https:`, `mqtt:`, …) and a host; the error shows `example`. */
export function urlSchema(protocols: string[], example: string) {
  return z.string().refine(
    (value) => {
      try {
        const url = new URL(value);
        return protocols.includes(url.protocol) && url.hostname !== '';
      } catch {
        return false;
      }
    },
    { message: `expected a URL like ${example}` },
  );
}
