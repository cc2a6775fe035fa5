// Pure: AlertStats' props → its read of /alerts/stats, and how its figures are written.
import type { AlertStats } from '../../../data-api/src/contracts/alerts.ts';

export const ALERT_STATS_WINDOWS = { '7d': 7, '30d': 30, '90d': 90 } as const;
export type AlertStatsWindow = keyof typeof ALERT_STATS_WINDOWS;

export interface AlertStatsSelection {
  window: AlertStatsWindow;
  severity?: AlertStats['by_severity'][number]['severity'];
  site?: string;
  customer?: string;
}

/**
 * `/alerts/stats` over the `window` days before `now`, rounded down to the minute so the path
 * (and the read) is the same between renders. No `to`: the API counts up to the moment it
 * answers, so a re-read after an alert event includes that alert.
 */
export function alertStatsPath(f: AlertStatsSelection, now: number): string {
  const days = ALERT_STATS_WINDOWS[f.window] ?? ALERT_STATS_WINDOWS['7d'];
  const from = Math.floor(now / 60_000) * 60_000 - days * 86_400_000;
  const q = new URLSearchParams({ from: new Date(from).toISOString() });
  if (f.severity) q.set('severity', f.severity);
  if (f.site) q.set('site_id', f.site);
  if (f.customer) q.set('customer_id', f.customer);
  return `/alerts/stats?${q.toString()}`;
}

/** Seconds as people say them: `45 s`, `4 min`, `2.5 h`, `3 d`; `—` when there is no figure. */
export function formatSeconds(s: number | null | undefined): string {
  if (s === null || s === undefined || !Number.isFinite(s)) return '—';
  if (s < 90) return `${Math.round(s)} s`;
  const min = s / 60;
  if (min < 90) return `${Math.round(min)} min`;
  const h = s / 3600;
  if (h < 48) return `${h < 10 ? Number(h.toFixed(1)) : Math.round(h)} h`;
  const d = s / 86_400;
  return `${d < 10 ? Number(d.toFixed(1)) : Math.round(d)} d`;
}
