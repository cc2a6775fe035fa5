// Pure: telemetry answers → points, and live samples folded into buckets.

export interface Point {
  /** Bucket start (or sample time), epoch ms. */
  t: number;
  v: number;
  min?: number;
  max?: number;
  /** Samples in the bucket (live folding keeps the average right). */
  n?: number;
}

const toMs = (x: unknown): number | null => {
  if (typeof x === 'number') return x < 1e11 ? x * 1000 : x; // epoch s or ms
  if (typeof x === 'string') {
    const t = Date.parse(x);
    return Number.isNaN(t) ? null : t;
  }
  return null;
};

const firstNumber = (o: Record<string, unknown>, keys: string[]): number | undefined => {
  for (const k of keys) if (typeof o[k] === 'number') return o[k] as number;
  return undefined;
};

/**
 * `GET /devices/:id/telemetry` → points. Tolerant of the envelope (`points`, `items`,
 * `buckets`, `series[0].points`, or a bare array) and of the field names (`t`/`ts`/`bucket`/
 * `time`, `avg`/`value`/`v`/`mean`), so the chart does not break while the endpoint settles.
 */
export function normaliseSeries(body: unknown, metric: string): Point[] {
  const b = body as Record<string, unknown> | unknown[];
  let list: unknown[] = [];
  if (Array.isArray(b)) list = b;
  else if (b && typeof b === 'object') {
    for (const k of ['points', 'items', 'buckets', 'data', 'values']) if (Array.isArray(b[k])) { list = b[k] as unknown[]; break; }
    if (!list.length && Array.isArray(b.series)) {
      const series = b.series as Array<Record<string, unknown>>;
      const s = series.find((x) => x.metric === metric) ?? series[0];
      for (const k of ['points', 'items', 'data']) if (s && Array.isArray(s[k])) { list = s[k] as unknown[]; break; }
    }
  }
  const out: Point[] = [];
  for (const raw of list) {
    let t: number | null = null;
    let v: number | undefined;
    let min: number | undefined;
    let max: number | undefined;
    let n: number | undefined;
    if (Array.isArray(raw)) {
      t = toMs(raw[0]);
      v = typeof raw[1] === 'number' ? raw[1] : undefined;
    } else if (raw && typeof raw === 'object') {
      const o = raw as Record<string, unknown>;
      t = toMs(o.t ?? o.ts ?? o.bucket ?? o.time ?? o.at);
      const metrics = o.metrics as Record<string, unknown> | undefined;
      v = firstNumber(o, ['avg', 'value', 'v', 'mean', metric]) ?? (metrics && typeof metrics[metric] === 'number' ? (metrics[metric] as number) : undefined);
      min = firstNumber(o, ['min']);
      max = firstNumber(o, ['max']);
      n = firstNumber(o, ['count', 'n']);
      if (v === undefined && typeof o.sum === 'number' && n) v = (o.sum as number) / n;
    }
    if (t !== null && v !== undefined && Number.isFinite(v)) out.push({ t, v, ...(min !== undefined ? { min } : {}), ...(max !== undefined ? { max } : {}), ...(n !== undefined ? { n } : {}) });
  }
  return out.sort((a, b) => a.t - b.t);
}

/** Folds one live sample into the series: into its bucket (running average), or a new one; drops points older than `fromMs`. */
export function appendSample(points: readonly Point[], tMs: number, value: number, bucketMs: number, fromMs: number): Point[] {
  const start = bucketMs > 0 ? Math.floor(tMs / bucketMs) * bucketMs : tMs;
  const out = points.filter((p) => p.t >= fromMs);
  const last = out[out.length - 1];
  if (last && last.t === start) {
    const n = (last.n ?? 1) + 1;
    out[out.length - 1] = { t: start, v: last.v + (value - last.v) / n, min: Math.min(last.min ?? last.v, value), max: Math.max(last.max ?? last.v, value), n };
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
  const steps: Array<[number, string]> = [[60_000, '1m'], [300_000, '5m'], [900_000, '15m'], [3_600_000, '1h'], [21_600_000, '6h'], [86_400_000, '1d']];
  for (const [ms, label] of steps) if (ms >= target) return label;
  return '1d';
}
