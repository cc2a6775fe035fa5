import { describe, expect, it } from 'vitest';
import { MetricsRegistry } from '../../data-api/src/kernel/metrics/registry.ts';
import { parseExposition } from '../helpers/prometheus.ts';

describe('MetricsRegistry', () => {
  it('spells a NaN sample as the text format does (prom-client writes "Nan")', async () => {
    const registry = new MetricsRegistry();
    registry.gauge('fleetbook_test_ratio', 'A ratio of nothing to nothing', () => 0 / 0);
    const text = await registry.render();
    expect(text).toMatch(/^fleetbook_test_ratio NaN$/m);
    expect(text).not.toMatch(/ Nan$/m);
    expect(parseExposition(text).get('fleetbook_test_ratio')!.samples[0]!.value).toBeNaN();
  });

  it('renders scrapes that follow each other at once, event-loop delay included', async () => {
    const registry = new MetricsRegistry();
    for (let i = 0; i < 3; i++) {
      const families = parseExposition(await registry.render());
      expect(families.get('nodejs_eventloop_lag_mean_seconds')!.samples).toHaveLength(1);
    }
  });
});
