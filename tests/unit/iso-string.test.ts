import { describe, expect, it } from 'vitest';
import { iso, isoString } from '../../data-api/src/kernel/db/values.ts';
import { mulberry32 } from '../../data-api/src/demo/fleet.ts';

describe('isoString writes what Date#toISOString writes', () => {
  it('at the edges: epoch, leap days, century years, the ends of its range and past them', () => {
    const edges = [
      '1970-01-01T00:00:00.000Z',
      '1969-12-31T23:59:59.999Z',
      '2000-02-29T12:00:00.500Z',
      '1900-02-28T23:59:59.999Z',
      '1900-03-01T00:00:00.000Z',
      '2100-03-01T00:00:00.001Z',
      '2024-12-31T23:59:59.999Z',
      '1000-01-01T00:00:00.000Z',
      '0999-12-31T23:59:59.999Z',
      '9999-12-31T23:59:59.999Z',
      '+010000-01-01T00:00:00.000Z',
      '-000001-06-15T08:30:00.000Z',
    ].map((s) => new Date(s));
    for (const d of edges) expect(isoString(d)).toBe(d.toISOString());
  });

  it('at 200,000 random instants between the years 1000 and 9999 and beyond', () => {
    const next = mulberry32(18); // seeded: a failure names a time value that fails again
    const span = Date.UTC(10_500, 0) - Date.UTC(500, 0);
    const wrong: string[] = [];
    for (let i = 0; i < 200_000; i++) {
      const d = new Date(Date.UTC(500, 0) + Math.floor(next() * span));
      if (isoString(d) !== d.toISOString()) wrong.push(`${d.getTime()}: ${isoString(d)} ≠ ${d.toISOString()}`);
    }
    expect(wrong).toEqual([]);
  });

  it('refuses an invalid date as toISOString does; iso passes null through and reads strings', () => {
    expect(() => isoString(new Date(NaN))).toThrow(RangeError);
    expect(iso(null)).toBeNull();
    expect(iso('2026-12-07T02:33:01.123+07:00')).toBe('2026-12-06T19:33:01.123Z');
  });
});
