import { spawnSync } from 'node:child_process';

export interface MetricFamily {
  name: string;
  type: string;
  help: string;
  samples: Array<{ name: string; labels: Record<string, string>; value: number }>;
}

/**
 * Parses Prometheus text format 0.0.4 strictly (what a scraper reads): HELP and TYPE before the
 * samples of a family, label values escaped, numbers or ±Inf/NaN. Throws on anything else.
 */
export function parseExposition(text: string): Map<string, MetricFamily> {
  const families = new Map<string, MetricFamily>();
  const familyOf = (sample: string) => {
    for (const suffix of ['_bucket', '_sum', '_count', '']) {
      if (!sample.endsWith(suffix)) continue;
      const family = families.get(sample.slice(0, sample.length - suffix.length));
      if (family && (suffix === '' || family.type === 'histogram' || family.type === 'summary')) return family;
    }
    throw new Error(`sample ${sample} has no TYPE line before it`);
  };
  if (!text.endsWith('\n')) throw new Error('the exposition must end with a newline');
  text.split('\n').forEach((line, i) => {
    if (line === '') return;
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (meta) {
      const [, kind, name, rest] = meta as unknown as [string, string, string, string];
      const family = families.get(name) ?? { name, type: 'untyped', help: '', samples: [] };
      if (kind === 'TYPE') {
        if (!/^(counter|gauge|histogram|summary|untyped)$/.test(rest))
          throw new Error(`line ${i + 1}: bad type ${rest}`);
        family.type = rest;
      } else family.help = rest;
      families.set(name, family);
      return;
    }
    if (line.startsWith('#')) return;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: (-?\d+))?$/.exec(line);
    if (!m) throw new Error(`line ${i + 1}: not a sample: ${line}`);
    const [, name, rawLabels, rawValue] = m as unknown as [string, string, string | undefined, string];
    const labels: Record<string, string> = {};
    if (rawLabels) {
      const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/gy;
      let consumed = 0;
      for (let l = re.exec(rawLabels); l; l = re.exec(rawLabels)) {
        labels[l[1]!] = l[2]!.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
        consumed = re.lastIndex;
      }
      if (consumed !== rawLabels.length) throw new Error(`line ${i + 1}: bad labels {${rawLabels}}`);
    }
    const value =
      rawValue === '+Inf' ? Infinity : rawValue === '-Inf' ? -Infinity : rawValue === 'NaN' ? NaN : Number(rawValue);
    if (Number.isNaN(value) && rawValue !== 'NaN') throw new Error(`line ${i + 1}: bad value ${rawValue}`);
    familyOf(name).samples.push({ name, labels, value });
  });
  return families;
}

/** `promtool check metrics` on the exposition: its exit code and what it said (lint problems). */
export function promtoolCheck(text: string): { status: number | null; output: string } {
  const run = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  if (run.error) throw new Error(`promtool is needed for this test (apt-get install prometheus): ${run.error.message}`);
  return { status: run.status, output: (run.stdout + run.stderr).trim() };
}
