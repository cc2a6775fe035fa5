import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { timestamptzParser } from '../../data-api/src/kernel/db/timestamptz.ts';
import { mulberry32 } from '../../data-api/src/demo/fleet.ts';

const pgParse = pg.types.getTypeParser(1184, 'text') as (text: string) => unknown;
const parse = timestamptzParser(pgParse);

/** What a parse gave, comparable with toEqual: a Date's time value (NaN for invalid), else the value. */
const read = (v: unknown) => (v instanceof Date ? { date: v.getTime() } : { value: v });

describe('timestamptzParser reads what pg reads', () => {
  it('for PostgreSQL text in UTC with 0 to 6 fraction digits, at 100,000 random instants', () => {
    const next = mulberry32(1184); // seeded: a failure names a text that fails again
    const from = Date.UTC(1000, 0);
    const span = Date.UTC(9999, 11, 31) - from;
    const wrong: string[] = [];
    for (let i = 0; i < 100_000; i++) {
      const iso = new Date(from + Math.floor(next() * span)).toISOString();
      const digits = Math.floor(next() * 7);
      const fraction =
        digits === 0
          ? ''
          : `.${String(Math.floor(next() * 1e6))
              .padStart(6, '0')
              .slice(0, digits)}`;
      const text = `${iso.slice(0, 10)} ${iso.slice(11, 19)}${fraction}+00`;
      const got = read(parse(text));
      const want = read(pgParse(text));
      if (got.date !== want.date) wrong.push(`${text}: ${got.date} ≠ ${want.date}`);
    }
    expect(wrong).toEqual([]);
  });

  it('for every other shape, by handing it to pg: other zones, early and BC years, infinity, non-digits', () => {
    for (const text of [
      '2026-12-07 09:33:01.5+07',
      '2026-12-07 02:33:01-03:30',
      '2026-12-07 02:33:01+05:45:10',
      '0099-06-01 12:00:00+00',
      '0999-12-31 23:59:59.999+00',
      '2000-01-01 00:00:00+00 BC',
      '12026-01-01 00:00:00+00',
      'infinity',
      '-infinity',
      '2026-1x-07 02:33:01+00',
      '2026-12-07 02:33:01.+00',
    ])
      expect(read(parse(text)), text).toEqual(read(pgParse(text)));
  });

  it('reads real PostgreSQL output the same', () => {
    expect(parse('2026-12-07 02:33:01.123456+00')).toEqual(new Date('2026-12-07T02:33:01.123Z'));
    expect(parse('2024-02-29 23:59:59+00')).toEqual(new Date('2024-02-29T23:59:59.000Z'));
  });
});
