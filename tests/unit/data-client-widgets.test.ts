// Pure helpers behind the widgets: each answer is parsed with its contract's own schema
// (data-api/src/contracts), then mapped; an answer of another shape is refused, never guessed.
// Fleet counts are the API's (GET /fleet/health: tests/integration/fleet-health.test.ts).
import { describe, expect, it } from 'vitest';
import { automationRunPage, automationRunSchema } from '../../data-api/src/contracts/automation-runs.ts';
import { telemetrySeries } from '../../data-api/src/contracts/telemetry.ts';
import { uptimeQuery, uptimeSchema } from '../../data-api/src/contracts/uptime.ts';
import { ContractMismatchError, parseAnswer } from '../../src/data/parse.ts';
import { uptimeByGroup } from '../../src/widgets/FleetHealth/uptime.ts';
import { uptimePath } from '../../src/widgets/FleetHealth/query.ts';
import { uptimeCsvName } from '../../data-api/src/contracts/uptime.ts';
import { actionStates, toRunView } from '../../src/widgets/RunTimeline/runs.ts';
import { appendSample, autoBucket, seriesPoints } from '../../src/widgets/TelemetryChart/series.ts';
import { parseDuration, timeAgo } from '../../src/widgets/shared/format.ts';

describe('FleetHealth uptime', () => {
  const item = { name: null, up_s: 90, down_s: 10, devices: 2 };
  it('reads /api/v1/uptime items by id; a group with nothing monitored has no figure (no data, not 0 %)', () => {
    const body = {
      group_by: 'site',
      from: '2026-01-01T00:00:00Z',
      to: '2026-01-31T00:00:00Z',
      items: [
        { ...item, id: 'site_a', uptime_pct: 99.5 },
        { ...item, id: 'site_b', uptime_pct: null },
      ],
    };
    const m = uptimeByGroup(parseAnswer(uptimeSchema, '/uptime', body));
    expect([...m]).toEqual([['site_a', 99.5]]);
  });
  it('asks /uptime for the devices the counts are of: the filters, and product grouping too', () => {
    const from = Date.parse('2026-01-01T00:00:00Z');
    const to = Date.parse('2026-01-31T00:00:00Z');
    const read = (path: string) => Object.fromEntries(new URLSearchParams(path.split('?')[1]));
    // A product page: <FleetHealth groupBy="site" product="lorawan-gw" window="30d"> (its CSV
    // button downloads the same path).
    const page = uptimePath({ groupBy: 'site', product: 'lorawan-gw' }, from, to);
    expect(page.split('?')[0]).toBe('/uptime');
    expect(read(page)).toEqual({
      group_by: 'site',
      product_code: 'lorawan-gw',
      from: '2026-01-01T00:00:00.000Z',
      to: '2026-01-31T00:00:00.000Z',
    });
    const byProduct = uptimePath({ groupBy: 'product', customer: 'cus_a', site: 'site_a' }, from, to);
    expect(read(byProduct)).toMatchObject({ group_by: 'product', customer_id: 'cus_a', site_id: 'site_a' });
    // Queries the API's own contract accepts.
    for (const path of [page, byProduct]) expect(uptimeQuery.safeParse(read(path)).error, path).toBeUndefined();
  });
  it('names the CSV after its grouping and filters, in safe characters, so two selections do not overwrite', () => {
    expect(uptimeCsvName({ group_by: 'site' })).toBe('uptime-by-site');
    expect(uptimeCsvName({ group_by: 'site', product_code: 'lorawan-gw' })).toBe('uptime-by-site-product-lorawan-gw');
    expect(uptimeCsvName({ group_by: 'product', customer_id: 'cus_acme', site_id: 'site_farm-north' })).toBe(
      'uptime-by-product-customer-cus_acme-site-site_farm-north',
    );
    // Whatever a page passes, nothing that a file system or a shell would read specially.
    expect(uptimeCsvName({ group_by: 'site', product_code: '../a b/c:d*"é' })).toBe('uptime-by-site-product-a-b-c-d');
    expect(uptimeCsvName({ group_by: 'site', site_id: '///' })).toBe('uptime-by-site');
    expect(uptimeCsvName({ group_by: 'site', site_id: 'site_a' })).not.toBe(
      uptimeCsvName({ group_by: 'site', site_id: 'site_b' }),
    );
  });
  it('refuses an answer of another shape, naming the field', () => {
    const body = { group_by: 'site', from: 'x', to: 'y', items: [{ site_id: 'site_b', uptime: 0.5 }] };
    expect(() => parseAnswer(uptimeSchema, '/uptime', body)).toThrow(ContractMismatchError);
    expect(() => parseAnswer(uptimeSchema, '/uptime', body)).toThrow(
      /\/uptime does not match its contract: items\.0\.id: /,
    );
  });
});

describe('TelemetryChart series', () => {
  const series = (points: unknown[]) => ({
    device_id: 'dev_a',
    metric: 'temp_c',
    from: 'a',
    to: 'b',
    bucket: '5m',
    bucket_s: 300,
    sources: ['raw'],
    points,
  });
  it('reads the API’s points (t, avg, min, max, count), oldest first', () => {
    const body = series([
      { t: '2026-01-01T00:05:00Z', avg: 2, min: 1, max: 3, count: 4 },
      { t: '2026-01-01T00:00:00Z', avg: 1, min: 1, max: 1, count: 1 },
    ]);
    expect(seriesPoints(parseAnswer(telemetrySeries, '/devices/dev_a/telemetry', body))).toEqual([
      { t: Date.parse('2026-01-01T00:00:00Z'), v: 1, min: 1, max: 1, n: 1 },
      { t: Date.parse('2026-01-01T00:05:00Z'), v: 2, min: 1, max: 3, n: 4 },
    ]);
  });
  it('refuses a bare array or other field names instead of guessing', () => {
    expect(() => parseAnswer(telemetrySeries, '/t', [[1_700_000_000, 5]])).toThrow(ContractMismatchError);
    expect(() => parseAnswer(telemetrySeries, '/t', series([{ ts: '2026-01-01T00:00:00Z', value: 5 }]))).toThrow(
      /points\.0\.t: /,
    );
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
    deployment_id: 'dep_1',
    site_id: 'site_1',
    customer_id: 'cus_1',
    product_code: 'pump-ctl',
    product_version: '1.5.0',
    state: 'failed',
    source: 'runner',
    spec_ref: 'inline',
    spec_digest: 'sha256:0',
    schedule_id: null,
    fire_time: null,
    dry_run: false,
    created_by: 'ci',
    created_at: '2026-01-01T00:00:00Z',
    started_at: '2026-01-01T00:00:00Z',
    finished_at: '2026-01-01T00:00:04Z',
    duration_ms: 4000,
    page_path: null,
    commit_sha: null,
    pushed: false,
    claimed_by: null,
    claimed_at: null,
    lease_expires_at: null,
    resumes: 0,
    error: null,
    timeline: [
      { at: '2026-01-01T00:00:02Z', action_id: 'vm', state: 'succeeded', message: 'ok', duration_ms: 2000 },
      { at: '2026-01-01T00:00:00Z', state: 'running', message: 'run', duration_ms: 0 },
      { at: '2026-01-01T00:00:01Z', action_id: 'vm', state: 'running', message: '', duration_ms: 0 },
      { at: '2026-01-01T00:00:03Z', action_id: 'checks', state: 'failed', message: 'http 502', duration_ms: 900 },
    ],
    artifacts: [],
    tickets: [],
  };
  it('orders the timeline and gives each action its last state', () => {
    const v = toRunView(parseAnswer(automationRunSchema, '/automation-runs/arun_1', { ...run, spec: {} }));
    expect(v.timeline[0]!.state).toBe('running');
    expect(actionStates(v.timeline)).toEqual([
      { action: 'vm', state: 'succeeded', message: 'ok', duration_ms: 2000, at: '2026-01-01T00:00:02Z' },
      { action: 'checks', state: 'failed', message: 'http 502', duration_ms: 900, at: '2026-01-01T00:00:03Z' },
    ]);
  });
  it('reads a page of runs; a row of another shape is refused', () => {
    expect(
      parseAnswer(automationRunPage, '/automation-runs', { items: [run], next_cursor: null })
        .items.map(toRunView)
        .map((r) => r.id),
    ).toEqual(['arun_1']);
    expect(() =>
      parseAnswer(automationRunPage, '/automation-runs', { items: [run, { nope: 1 }], next_cursor: null }),
    ).toThrow(/items\.1\.id: /);
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
