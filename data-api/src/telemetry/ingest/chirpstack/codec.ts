// ChirpStack codecs are JavaScript written per device profile: they return whatever object the
// author liked (`batteryVoltage`, `Temperature`, `soil-moisture`, `{ soil: { moisture: 31 } }`,
// "23.5", true). fleetbook metrics are snake_case numbers. The mapping, in order:
//   keys      camelCase and Capitals → snake_case; '-', ' ', '.' → '_'; must then be a metric name
//   nesting   one level is flattened with '_' ({"soil": {"moisture": 31}} → soil_moisture)
//   values    numbers; numeric strings ("23.5", " 12 ") → numbers; true/false → 1/0
// Anything else (text, arrays, deeper nesting, null, a name that stays invalid, a name that two
// keys map to) is not dropped silently: it is returned as `unmapped`, and the ingest keeps a
// partial dead letter naming those fields beside the values it stored.
import { MAX_METRICS, METRIC_LIMIT, metricNameRe } from '../../../contracts/mqtt.ts';

export interface Unmapped {
  /** The field as the codec wrote it (`a.b` for a nested one). */
  field: string;
  why: string;
}

export interface CodecMapping {
  metrics: Record<string, number>;
  unmapped: Unmapped[];
}

/** `batteryVoltage` → `battery_voltage`, `Temperature` → `temperature`, `soil-moisture` → `soil_moisture`, `PM2.5` → `pm2_5`. */
export function metricKey(key: string): string {
  return key
    .trim()
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

const NUMERIC = /^\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*$/;

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `text ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  if (typeof v === 'object') return 'an object nested more than one level';
  return typeof v;
}

export function mapCodecObject(object: Record<string, unknown> | undefined): CodecMapping {
  const metrics: Record<string, number> = {};
  const unmapped: Unmapped[] = [];
  const sources = new Map<string, string>();
  const put = (field: string, name: string, value: unknown) => {
    let n: number | null = null;
    if (typeof value === 'number') n = Number.isFinite(value) ? value : null;
    else if (typeof value === 'boolean') n = value ? 1 : 0;
    else if (typeof value === 'string' && NUMERIC.test(value)) n = Number(value);
    if (n === null)
      return unmapped.push({ field, why: typeof value === 'number' ? 'not a finite number' : describe(value) });
    if (Math.abs(n) > METRIC_LIMIT) return unmapped.push({ field, why: `${n} is beyond ±1e15` });
    if (!metricNameRe.test(name))
      return unmapped.push({ field, why: `"${name}" is not a metric name (a-z first, then a-z 0-9 _)` });
    const first = sources.get(name);
    if (first !== undefined) return unmapped.push({ field, why: `maps to ${name}, already taken by ${first}` });
    if (Object.keys(metrics).length >= MAX_METRICS)
      return unmapped.push({ field, why: `more than ${MAX_METRICS} metrics` });
    sources.set(name, field);
    metrics[name] = n;
  };
  for (const [key, value] of Object.entries(object ?? {})) {
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      const inner = Object.entries(value as Record<string, unknown>);
      if (!inner.length) unmapped.push({ field: key, why: 'an empty object' });
      for (const [k, v] of inner) {
        if (typeof v === 'object' && v !== null) unmapped.push({ field: `${key}.${k}`, why: describe(v) });
        else put(`${key}.${k}`, metricKey(`${metricKey(key)}_${metricKey(k)}`), v);
      }
    } else put(key, metricKey(key), value);
  }
  return { metrics, unmapped };
}
