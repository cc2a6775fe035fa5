import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../data-api/src/kernel/config/index.ts';
import { planWorkers, workerInstance } from '../../data-api/src/kernel/workers.ts';
import { loadTelemetryOptions } from '../../data-api/src/telemetry/ingest/options.ts';

// FLEETBOOK_WORKERS (issue #18): how many processes `fleetbook start` runs, and what each is called.
const production = { DATABASE_URL: 'postgres://db/fleetbook', MQTT_URL: 'mqtt://broker:1884' };

describe('FLEETBOOK_WORKERS', () => {
  it('defaults to the cores with PostgreSQL and an external broker', () => {
    expect(planWorkers(loadConfig(production), 2)).toEqual({ count: 2, note: null });
    expect(planWorkers(loadConfig(production), 8)).toEqual({ count: 8, note: null });
    expect(planWorkers(loadConfig({ ...production, FLEETBOOK_WORKERS: '3' }), 2)).toEqual({ count: 3, note: null });
    expect(planWorkers(loadConfig({ ...production, FLEETBOOK_WORKERS: '1' }), 8)).toEqual({ count: 1, note: null });
  });

  it('runs one process with the embedded database or broker, and says so only when more were asked for', () => {
    expect(planWorkers(loadConfig({}), 8)).toEqual({ count: 1, note: null });
    expect(planWorkers(loadConfig({ DATABASE_URL: production.DATABASE_URL }), 8)).toEqual({ count: 1, note: null });
    const asked = planWorkers(loadConfig({ MQTT_URL: production.MQTT_URL, FLEETBOOK_WORKERS: '4' }), 8);
    expect(asked.count).toBe(1);
    expect(asked.note).toMatch(
      /FLEETBOOK_WORKERS=4 needs PostgreSQL \(DATABASE_URL\) and an external broker \(MQTT_URL\)/,
    );
  });

  it('refuses what is not a whole number from 1 to 64, naming the variable', () => {
    for (const bad of ['0', '-2', '1.5', 'many', '65']) {
      expect(() => loadConfig({ ...production, FLEETBOOK_WORKERS: bad })).toThrow(ConfigError);
      expect(() => loadConfig({ ...production, FLEETBOOK_WORKERS: bad })).toThrow(/FLEETBOOK_WORKERS/);
    }
  });

  it('keeps the instance name for worker 1 (the same MQTT session as a single process) and suffixes the others', () => {
    expect(workerInstance('api-a', 1)).toBe('api-a');
    expect(workerInstance('api-a', 2)).toBe('api-a-w2');
    const long = workerInstance('x'.repeat(64), 12);
    expect(long).toHaveLength(64);
    expect(long.endsWith('-w12')).toBe(true);
  });

  it('FLEETBOOK_INGEST_WORKERS: one ingesting worker unless more are asked for', () => {
    expect(loadTelemetryOptions({}).ingestWorkers).toBe(1);
    expect(loadTelemetryOptions({ FLEETBOOK_INGEST_WORKERS: '3' }).ingestWorkers).toBe(3);
    for (const bad of ['0', 'two', '65'])
      expect(() => loadTelemetryOptions({ FLEETBOOK_INGEST_WORKERS: bad })).toThrow(/FLEETBOOK_INGEST_WORKERS/);
  });
});
