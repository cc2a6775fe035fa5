import { collectDefaultMetrics, Counter as PromCounter, Gauge as PromGauge, Histogram, Registry } from 'prom-client';

/**
 * One prom-client registry per AppContext (tests run several apps in one process), with the
 * default process metrics (`process_*`, `nodejs_*`). Areas count with `counter()` and publish
 * scrape-time values with `gauge()`; both keep their label sets free (a new label appears
 * without a declaration) and land in prom-client metrics at scrape. Durations are prom-client
 * histograms (`histogram()`): observe them directly.
 */
type Labels = Record<string, string>;
type Sample = { labels?: Labels; value: number };
type Collector = () => number | Sample[] | Promise<number | Sample[]>;

/**
 * prom-client writes a NaN sample as `Nan` (its lib/util.js); the text format spells it `NaN`,
 * and strict parsers refuse the other. Default metrics do give NaN: the event-loop delay's mean
 * and stddev, when a scrape comes before the monitor recorded a delay since the last one.
 */
const spellNaN = (text: string): string => text.replace(/ Nan$/gm, ' NaN');

interface CounterDef {
  type: 'counter';
  help: string;
  values: Map<string, { labels: Labels; value: number }>;
  metric?: PromCounter;
  metricLabels?: string;
}
interface GaugeDef {
  type: 'gauge';
  help: string;
  collect: Collector[];
  metric?: PromGauge;
  metricLabels?: string;
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
  readonly prom = new Registry();
  private readonly defs = new Map<string, CounterDef | GaugeDef>();
  private rendering: Promise<string> = Promise.resolve('');

  constructor() {
    collectDefaultMetrics({ register: this.prom });
    // Gauges named like counters (promtool: "non-counter metrics should not have _total suffix");
    // each is the sum of its by-type twin (`sum(nodejs_active_handles)`), which stays.
    for (const name of [
      'nodejs_active_handles_total',
      'nodejs_active_requests_total',
      'nodejs_active_resources_total',
    ]) {
      this.prom.removeSingleMetric(name);
    }
  }

  counter(name: string, help: string): Counter {
    let def = this.defs.get(name);
    if (!def) this.defs.set(name, (def = { type: 'counter', help, values: new Map() }));
    if (def.type !== 'counter') throw new Error(`metric ${name} is a ${def.type}, not a counter`);
    return new Counter(def);
  }

  /** Registers a collector; several collectors of one gauge add their samples. Returns an unregister function. */
  gauge(name: string, help: string, collect: Collector): () => void {
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

  /** A histogram (created once per name; a second call returns the first). */
  histogram<L extends string>(
    name: string,
    help: string,
    options: { labelNames?: readonly L[]; buckets?: number[] } = {},
  ): Histogram<L> {
    if (this.defs.has(name)) throw new Error(`metric ${name} is a ${this.defs.get(name)!.type}, not a histogram`);
    const existing = this.prom.getSingleMetric(name);
    if (existing) {
      if (!(existing instanceof Histogram)) throw new Error(`metric ${name} is not a histogram`);
      return existing as Histogram<L>;
    }
    return new Histogram<L>({
      name,
      help,
      labelNames: options.labelNames ?? [],
      buckets: options.buckets,
      registers: [this.prom],
    });
  }

  get contentType(): string {
    return this.prom.contentType;
  }

  /** Prometheus text format 0.0.4. A failing collector is skipped (and counted), never fatal. One scrape at a time. */
  render(): Promise<string> {
    this.rendering = this.rendering.catch(() => '').then(() => this.renderNow());
    return this.rendering;
  }

  private async renderNow(): Promise<string> {
    // Map iteration also visits the collect-errors counter when a failing collector creates it.
    for (const [name, def] of this.defs) {
      if (def.type === 'counter') {
        const metric = this.promMetric(
          name,
          def,
          [...def.values.values()].map((v) => v.labels),
        );
        // A counter nobody has counted yet still exists, at 0 (so rate() and alerts see it).
        if (def.values.size === 0) metric.inc(0);
        for (const { labels, value } of def.values.values()) metric.inc(sorted(labels), value);
        continue;
      }
      const merged = new Map<string, Sample>();
      for (const collect of [...def.collect]) {
        try {
          const result = await collect();
          const samples = typeof result === 'number' ? [{ value: result }] : result;
          for (const s of samples) {
            const key = labelKey(s.labels ?? {});
            const prev = merged.get(key);
            merged.set(key, { labels: s.labels ?? {}, value: (prev?.value ?? 0) + s.value });
          }
        } catch {
          this.counter('fleetbook_metrics_collect_errors_total', 'Gauge collectors that failed during a scrape').inc({
            metric: name,
          });
        }
      }
      const metric = this.promMetric(
        name,
        def,
        [...merged.values()].map((s) => s.labels ?? {}),
      );
      if (merged.size === 0 && def.collect.length === 0) metric.set(0);
      for (const s of merged.values()) metric.set(sorted(s.labels ?? {}), s.value);
    }
    return spellNaN(await this.prom.metrics());
  }

  /** The prom-client metric behind a def, emptied, (re)made when its label names changed. */
  private promMetric(name: string, def: CounterDef, labels: Labels[]): PromCounter;
  private promMetric(name: string, def: GaugeDef, labels: Labels[]): PromGauge;
  private promMetric(name: string, def: CounterDef | GaugeDef, labels: Labels[]): PromCounter | PromGauge {
    const labelNames = [...new Set(labels.flatMap((l) => Object.keys(l)))].sort();
    const key = labelNames.join(',');
    if (!def.metric || def.metricLabels !== key) {
      if (def.metric) this.prom.removeSingleMetric(name);
      const options = { name, help: def.help, labelNames, registers: [this.prom] };
      def.metric = def.type === 'counter' ? new PromCounter(options) : new PromGauge(options);
      def.metricLabels = key;
    }
    def.metric.reset();
    return def.metric;
  }
}

/**
 * What the metric helpers need of a context: its registry. An AppContext is one; naming only
 * this keeps the metrics modules from importing kernel/context.ts, which imports them.
 */
export interface WithMetrics {
  metrics: MetricsRegistry;
}

/** Counts a database error of a background component (ingest, monitor, rollup…). */
export function countDbError(ctx: WithMetrics, component: string): void {
  ctx.metrics
    .counter('fleetbook_db_errors_total', 'Database errors in background components, by component')
    .inc({ component });
}

// prom-client writes labels in the order given: sorted, one series always reads the same.
const sorted = (labels: Labels): Labels =>
  Object.fromEntries(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));

const labelKey = (labels: Labels) =>
  // No labels (most increments, e.g. one per MQTT message received): no arrays built.
  isEmpty(labels)
    ? ''
    : Object.keys(labels)
        .sort()
        .map((k) => `${k}=${labels[k]}`)
        .join(',');

function isEmpty(labels: Labels): boolean {
  for (const key in labels) if (Object.hasOwn(labels, key)) return false;
  return true;
}
