// Pure: telemetry answers → points, and live samples folded into buckets.
import type { TelemetrySeries } from '../../../data-api/src/contracts/telemetry.ts';

export interface Point {
  /** Bucket start (or sample time), epoch ms. */
  t: number;
  v: number;
  min?: number;
  max?: number;
  /** Samples in the bucket (live folding keeps the average right). */
  n?: number;
}

/** `GET /devices/:id/telemetry` (parsed with its contract) → points, oldest first. */
export function seriesPoints(series: TelemetrySeries): Point[] {
  return series.points
    .map((p) => ({ t: Date.parse(p.t), v: p.avg, min: p.min, max: p.max, n: p.count }))
    .sort((a, b) => a.t - b.t);
}

/** Folds one live sample into the series: into its bucket (running average), or a new one; drops points older than `fromMs`. */
export function appendSample(
  points: readonly Point[],
  tMs: number,
  value: number,
  bucketMs: number,
  fromMs: number,
): Point[] {
  const start = bucketMs > 0 ? Math.floor(tMs / bucketMs) * bucketMs : tMs;
  const out = points.filter((p) => p.t >= fromMs);
  const last = out[out.length - 1];
  if (last && last.t === start) {
    const n = (last.n ?? 1) + 1;
    out[out.length - 1] = {
      t: start,
      v: last.v + (value - last.v) / n,
      min: Math.min(last.min ?? last.v, value),
      max: Math.max(last.max ?? last.v, value),
      n,
    };
  } else if (!last || start > last.t) {
    out.push({ t: start, v: value, min: value, max: value, n: 1 });
  } else {
    return out; // late sample for an older bucket: the next REST read has it
  }
  return out;
}

/** About 120 points over the range, on a round bucket. */
export function autoBucket(rangeMs: number): string {
  const target = rangeMs / 120;
  const steps: Array<[number, string]> = [
    [60_000, '1m'],
    [300_000, '5m'],
    [900_000, '15m'],
    [3_600_000, '1h'],
    [21_600_000, '6h'],
    [86_400_000, '1d'],
  ];
  for (const [ms, label] of steps) if (ms >= target) return label;
  return '1d';
}
