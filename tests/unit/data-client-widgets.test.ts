// Pure helpers behind the widgets: telemetry series, uptime and run answers normalised (the
// endpoints are built beside the widgets; the widgets must not break). Fleet counts are the
// API's now (GET /fleet/health: tests/integration/fleet-health.test.ts).
import { describe, expect, it } from 'vitest';
import { normaliseUptime } from '../../src/widgets/FleetHealth/uptime.ts';
import { actionStates, toRunList, toRunView } from '../../src/widgets/RunTimeline/runs.ts';
import { appendSample, autoBucket, normaliseSeries } from '../../src/widgets/TelemetryChart/series.ts';
import { parseDuration, timeAgo } from '../../src/widgets/shared/format.ts';

describe('FleetHealth uptime', () => {
  it('reads /api/v1/uptime items by id and uptime_pct', () => {
    const m = normaliseUptime({ group_by: 'site', items: [{ id: 'site_a', name: 'A', uptime_pct: 99.5 }, { site_id: 'site_b', uptime: 0.5 }] }, 'site');
    expect([...m]).toEqual([['site_a', 99.5], ['site_b', 50]]);
    expect(normaliseUptime(null, 'site').size).toBe(0);
  });
});

describe('TelemetryChart series', () => {
  it('reads the API’s points (t, avg, min, max, count)', () => {
    const body = { metric: 'temp_c', points: [{ t: '2026-01-01T00:05:00Z', avg: 2, min: 1, max: 3, count: 4 }, { t: '2026-01-01T00:00:00Z', avg: 1, min: 1, max: 1, count: 1 }] };
    expect(normaliseSeries(body, 'temp_c')).toEqual([
      { t: Date.parse('2026-01-01T00:00:00Z'), v: 1, min: 1, max: 1, n: 1 },
      { t: Date.parse('2026-01-01T00:05:00Z'), v: 2, min: 1, max: 3, n: 4 },
    ]);
    expect(normaliseSeries([[1_700_000_000, 5]], 'x')).toEqual([{ t: 1_700_000_000_000, v: 5 }]);
  });

  it('folds live samples into the current bucket (running average) or opens a new one', () => {
    let pts = appendSample([], 60_000, 10, 60_000, 0);
    pts = appendSample(pts, 90_000, 20, 60_000, 0);
    expect(pts).toEqual([{ t: 60_000, v: 15, min: 10, max: 20, n: 2 }]);
    pts = appendSample(pts, 125_000, 7, 60_000, 0);
    expect(pts.map((p) => p.t)).toEqual([60_000, 120_000]);
    // Old points fall off the window; late samples for older buckets wait for the next REST read.
    expect(appendSample(pts, 130_000, 1, 60_000, 100_000).map((p) => p.t)).toEqual([120_000]);
    expect(appendSample(pts, 10_000, 1, 60_000, 0)).toEqual(pts);
  });

  it('picks about 120 buckets over the range', () => {
    expect(autoBucket(parseDuration('24h')!)).toBe('15m');
    expect(autoBucket(parseDuration('1h')!)).toBe('1m');
    expect(autoBucket(parseDuration('30d')!)).toBe('6h');
  });
});

describe('RunTimeline answers', () => {
  const run = {
    id: 'arun_1',
    project: 'farm-north-lorawan',
    state: 'failed',
    timeline: [
      { at: '2026-01-01T00:00:02Z', action_id: 'vm', state: 'succeeded', message: 'ok', duration_ms: 2000 },
      { at: '2026-01-01T00:00:00Z', state: 'running', message: 'run', duration_ms: 0 },
      { at: '2026-01-01T00:00:01Z', action_id: 'vm', state: 'running', message: '', duration_ms: 0 },
      { at: '2026-01-01T00:00:03Z', action_id: 'checks', state: 'failed', message: 'http 502', duration_ms: 900 },
    ],
  };
  it('orders the timeline and gives each action its last state', () => {
    const v = toRunView(run)!;
    expect(v.timeline[0]!.state).toBe('running');
    expect(actionStates(v.timeline)).toEqual([
      { action: 'vm', state: 'succeeded', message: 'ok', duration_ms: 2000, at: '2026-01-01T00:00:02Z' },
      { action: 'checks', state: 'failed', message: 'http 502', duration_ms: 900, at: '2026-01-01T00:00:03Z' },
    ]);
  });
  it('accepts { run, timeline } and { items } envelopes', () => {
    expect(toRunView({ run: { id: 'arun_2', state: 'running' }, timeline: run.timeline })!.timeline).toHaveLength(4);
    expect(toRunList({ items: [run, { nope: 1 }] }).map((r) => r.id)).toEqual(['arun_1']);
  });
});

describe('formatting', () => {
  it('says how long ago, in words a person reads', () => {
    const now = Date.parse('2026-01-01T12:00:00Z');
    expect(timeAgo(null, now)).toBe('never');
    expect(timeAgo('2026-01-01T11:59:30Z', now)).toBe('30 s ago');
    expect(timeAgo('2026-01-01T11:15:00Z', now)).toBe('45 min ago');
    expect(timeAgo('2026-01-01T10:00:00Z', now)).toBe('2 h ago');
    expect(timeAgo('2025-12-29T12:00:00Z', now)).toBe('3 d ago');
  });
});
