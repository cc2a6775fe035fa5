// AlertStats' pure parts: the read it makes of GET /alerts/stats (accepted by the API's own
// contract) and how it writes durations. Its figures are the API's (tests/integration/alerts-stats.test.ts).
import { describe, expect, it } from 'vitest';
import { alertStatsQuery, alertStatsSchema } from '../../data-api/src/contracts/alerts.ts';
import { parseAnswer } from '../../src/data/parse.ts';
import { alertStatsPath, formatSeconds } from '../../src/widgets/AlertStats/stats.ts';

const query = (path: string) => Object.fromEntries(new URL(path, 'http://x').searchParams);

describe('AlertStats read', () => {
  const now = Date.parse('2026-12-07T12:34:56.789Z');

  it('asks for the window before now, from the minute, and leaves `to` to the API (so a re-read counts new alerts)', () => {
    expect(alertStatsPath({ window: '7d' }, now)).toBe('/alerts/stats?from=2026-11-30T12%3A34%3A00.000Z');
    expect(query(alertStatsPath({ window: '90d' }, now))).toEqual({ from: '2026-09-08T12:34:00.000Z' });
    // The same minute, the same path: no re-read on every render.
    expect(alertStatsPath({ window: '30d' }, now + 1000)).toBe(alertStatsPath({ window: '30d' }, now));
  });

  it('carries the filters under the API’s names, and the API’s contract accepts every window', () => {
    const path = alertStatsPath({ window: '30d', severity: 'critical', site: 'site_a', customer: 'cus_b' }, now);
    expect(query(path)).toEqual({
      from: '2026-11-07T12:34:00.000Z',
      severity: 'critical',
      site_id: 'site_a',
      customer_id: 'cus_b',
    });
    for (const window of ['7d', '30d', '90d'] as const) {
      const q = query(alertStatsPath({ window, severity: 'info', site: 'site_a', customer: 'cus_b' }, Date.now()));
      expect(alertStatsQuery.safeParse(q).error, window).toBeUndefined();
    }
  });

  it('reads an answer with the contract: null times stay null (no acknowledgement is not 0 s)', () => {
    const f = {
      opened: 2,
      acknowledged: 0,
      resolved: 1,
      auto_resolved: 1,
      escalated: 0,
      ack_median_s: null,
      ack_p90_s: null,
      resolve_median_s: 90,
    };
    const body = { from: 'a', to: 'b', total: f, by_severity: [{ severity: 'warning', ...f }] };
    expect(parseAnswer(alertStatsSchema, '/alerts/stats', body).total.ack_median_s).toBeNull();
    expect(() => parseAnswer(alertStatsSchema, '/alerts/stats', { ...body, total: { opened: 2 } })).toThrow();
  });
});

describe('AlertStats durations', () => {
  it('writes seconds as people say them', () => {
    expect(formatSeconds(null)).toBe('—');
    expect(formatSeconds(0)).toBe('0 s');
    expect(formatSeconds(45.4)).toBe('45 s');
    expect(formatSeconds(89)).toBe('89 s');
    expect(formatSeconds(240)).toBe('4 min');
    expect(formatSeconds(264)).toBe('4 min');
    expect(formatSeconds(89 * 60)).toBe('89 min');
    expect(formatSeconds(2.5 * 3600)).toBe('2.5 h');
    expect(formatSeconds(30 * 3600)).toBe('30 h');
    expect(formatSeconds(3 * 86_400)).toBe('3 d');
    expect(formatSeconds(12.4 * 86_400)).toBe('12 d');
  });
});
