import { describe, expect, it } from 'vitest';
import { TELEMETRY_DEFAULTS, loadTelemetryOptions } from '../../data-api/src/telemetry/ingest/options.ts';

// Batches of up to 5,000 readings under a backlog (docs/operating/workers.mdx: cheaper per
// message than 1,000 for the ingest and PostgreSQL), and room for 20,000 unwritten messages
// before the ingest stops reading (docs/contracts/mqtt.mdx, backpressure).
describe('ingest batching defaults', () => {
  it('batches up to 5,000 readings and holds up to 20,000 unwritten messages', () => {
    expect(loadTelemetryOptions({}).batchMaxRows).toBe(5000);
    expect(TELEMETRY_DEFAULTS.maxPendingMessages).toBe(20_000);
    expect(loadTelemetryOptions({ FLEETBOOK_INGEST_BATCH_ROWS: '1000' }).batchMaxRows).toBe(1000);
  });
});
