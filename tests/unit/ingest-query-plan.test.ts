import { describe, expect, it } from 'vitest';
import { formatBucket, parseBucket, planQuery } from '../../data-api/src/telemetry/service.ts';

// contracts.md: queries read the finest level that covers the range (raw, then 1-minute,
// then 1-hour rollups), and a reading is counted in exactly one segment.
const DAY = 86_400_000;
const now = new Date('2026-11-28T12:00:00Z');
const retention = { rawDays: 30, rollup1mDays: 90, rollup1hDays: 730, deadLetterDays: 30 };

describe('telemetry query planning', () => {
  it('parses buckets, and picks an automatic one that keeps at most ~500 points', () => {
    expect(parseBucket('raw', 3600)).toBe(0);
    expect(parseBucket('90s', 3600)).toBe(90);
    expect(parseBucket('1d', 3600)).toBe(86_400);
    expect(parseBucket('auto', 3600)).toBe(10);
    expect(parseBucket('auto', 86_400)).toBe(300);
    expect(parseBucket('auto', 365 * 86_400)).toBe(86_400);
    expect([0, 30, 60, 3600, 86_400, 90].map(formatBucket)).toEqual(['raw', '30s', '1m', '1h', '1d', '90s']);
  });

  it('reads raw only when raw retention covers the start', () => {
    const plan = planQuery(new Date(now.getTime() - 7 * DAY), now, 60, retention, now);
    expect(plan).toEqual({
      bucketS: 60,
      segments: [{ level: 'raw', from: new Date(now.getTime() - 7 * DAY), to: now }],
    });
  });

  it('splits an older range at bucket boundaries, coarsening the bucket to the level read', () => {
    const from = new Date(now.getTime() - 400 * DAY);
    const plan = planQuery(from, now, 60, retention, now);
    expect(plan.bucketS).toBe(3600);
    expect(plan.segments.map((s) => s.level)).toEqual(['1h', '1m', 'raw']);
    // Contiguous, no overlap, boundaries on whole hours.
    expect(plan.segments[0]!.from).toEqual(from);
    expect(plan.segments[0]!.to).toEqual(plan.segments[1]!.from);
    expect(plan.segments[1]!.to).toEqual(plan.segments[2]!.from);
    expect(plan.segments[2]!.to).toEqual(now);
    for (const s of plan.segments.slice(1)) expect(s.from.getTime() % 3_600_000).toBe(0);
    // A bucket that is not a multiple of the coarsest level is rounded up to one.
    expect(planQuery(new Date(now.getTime() - 60 * DAY), now, 90, retention, now).bucketS).toBe(120);
  });
});
