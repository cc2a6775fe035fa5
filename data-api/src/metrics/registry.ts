import type { AppContext } from '../context.ts';

/**
 * A small Prometheus registry: counters the areas increment, and gauges collected at
 * scrape time. One registry per AppContext (tests run several apps in one process).
 */
type Labels = Record<string, string>;
type Sample = { labels?: Labels; value: number };

interface CounterDef {
  type: 'counter';
  help: string;
  values: Map<string, { labels: Labels; value: number }>;
}
interface GaugeDef {
  type: 'gauge';
  help: string;
  collect: Array<() => number | Sample[] | Promise<number | Sample[]>>;
}

export class Counter {
  constructor(private readonly def: CounterDef) {}
  inc(labels: Labels = {}, by = 1): void {
    const key = labelKey(labels);
    const entry = this.def.values.get(key);
    if (entry) entry.value += by;
    else this.def.values.set(key, { labels, value: by });
  }
  get(labels: Labels = {}): number {
    return this.def.values.get(labelKey(labels))?.value ?? 0;
  }
}

export class MetricsRegistry {
  private readonly defs = new Map<string, CounterDef | GaugeDef>();

  counter(name: string, help: string): Counter {
    let def = this.defs.get(name);
    if (!def) this.defs.set(name, (def = { type: 'counter', help, values: new Map() }));
    if (def.type !== 'counter') throw new Error(`metric ${name} is a ${def.type}, not a counter`);
    return new Counter(def);
  }

  /** Registers a collector; several collectors of one gauge add their samples. Returns an unregister function. */
  gauge(name: string, help: string, collect: GaugeDef['collect'][number]): () => void {
    let def = this.defs.get(name);
    if (!def) this.defs.set(name, (def = { type: 'gauge', help, collect: [] }));
    if (def.type !== 'gauge') throw new Error(`metric ${name} is a ${def.type}, not a gauge`);
    const list = def.collect;
    list.push(collect);
    return () => {
      const i = list.indexOf(collect);
      if (i >= 0) list.splice(i, 1);
    };
  }

  /** Prometheus text format 0.0.4. A failing collector is skipped (and counted), never fatal. */
  async render(): Promise<string> {
    const lines: string[] = [];
    for (const [name, def] of [...this.defs].sort(([a], [b]) => a.localeCompare(b))) {
      lines.push(`# HELP ${name} ${def.help}`, `# TYPE ${name} ${def.type}`);
      if (def.type === 'counter') {
        if (def.values.size === 0) lines.push(`${name} 0`);
        for (const { labels, value } of def.values.values()) lines.push(`${name}${fmtLabels(labels)} ${fmtValue(value)}`);
        continue;
      }
      const merged = new Map<string, Sample>();
      for (const collect of def.collect) {
        try {
          const result = await collect();
          const samples = typeof result === 'number' ? [{ value: result }] : result;
          for (const s of samples) {
            const key = labelKey(s.labels ?? {});
            const prev = merged.get(key);
            merged.set(key, { labels: s.labels ?? {}, value: (prev?.value ?? 0) + s.value });
          }
        } catch {
          this.counter('fleetbook_metrics_collect_errors_total', 'Gauge collectors that failed during a scrape').inc({ metric: name });
        }
      }
      if (merged.size === 0 && def.collect.length === 0) lines.push(`${name} 0`);
      for (const s of merged.values()) lines.push(`${name}${fmtLabels(s.labels ?? {})} ${fmtValue(s.value)}`);
    }
    return lines.join('\n') + '\n';
  }
}

const registries = new WeakMap<AppContext, MetricsRegistry>();

/** The registry of one running API (created on first use). */
export function metricsFor(ctx: AppContext): MetricsRegistry {
  let registry = registries.get(ctx);
  if (!registry) registries.set(ctx, (registry = new MetricsRegistry()));
  return registry;
}

/** Counts a database error of a background component (ingest, monitor, rollup…). */
export function countDbError(ctx: AppContext, component: string): void {
  metricsFor(ctx).counter('fleetbook_db_errors_total', 'Database errors in background components, by component').inc({ component });
}

const labelKey = (labels: Labels) =>
  Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join(',');

const escape = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const fmtLabels = (labels: Labels) => {
  const keys = Object.keys(labels).sort();
  return keys.length ? `{${keys.map((k) => `${k}="${escape(labels[k]!)}"`).join(',')}}` : '';
};
const fmtValue = (v: number) => (Number.isFinite(v) ? String(v) : v > 0 ? '+Inf' : v < 0 ? '-Inf' : 'NaN');
