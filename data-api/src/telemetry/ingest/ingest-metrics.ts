// What the ingest counts, for /metrics (Prometheus) and for `stats()` (tests, `fleetbook ingest`):
// the counters move with each message and batch, the gauges are read at scrape time.
import type { Logger } from 'pino';
import type { AppContext } from '../../kernel/context.ts';
import { countDbError } from '../../kernel/metrics/registry.ts';
import { registerIngestStatus, type IngestStatus } from './status.ts';
import type { WriteResult } from './writer.ts';

export interface IngestStats {
  received: number;
  rowsInserted: number;
  duplicates: number;
  deadLetters: number;
  batches: number;
  pending: number;
  dbErrors: number;
}

/** What the gauges read of the running ingest. */
export interface IngestProbe {
  status(): IngestStatus;
  connected(): boolean;
  subscribed(): boolean;
}

export class IngestMetrics {
  readonly stats: IngestStats = {
    received: 0,
    rowsInserted: 0,
    duplicates: 0,
    deadLetters: 0,
    batches: 0,
    pending: 0,
    dbErrors: 0,
  };
  /** When a batch was last committed (epoch ms). */
  lastStoredAt: number | null = null;
  /** When a message last arrived from the broker (epoch ms). */
  lastReceivedAt: number | null = null;
  private lastBatchSeconds = 0;
  private readonly metrics;
  private readonly mReceived;
  private readonly mRows;
  private readonly mDuplicates;
  private readonly mDead;
  private readonly mBatches;
  private readonly mResubscribes;
  private readonly batchDuration;

  constructor(private readonly ctx: AppContext) {
    const metrics = (this.metrics = ctx.metrics);
    this.mReceived = metrics.counter('fleetbook_ingest_messages_total', 'MQTT messages received by the ingest');
    this.mRows = metrics.counter('fleetbook_ingest_rows_total', 'Telemetry rows written (new readings)');
    this.mDuplicates = metrics.counter(
      'fleetbook_ingest_duplicates_total',
      'Readings already stored (repeated msg_id): absorbed',
    );
    this.mDead = metrics.counter(
      'fleetbook_ingest_dead_letters_total',
      'Messages (or batch elements) dead-lettered, by reason',
    );
    this.mBatches = metrics.counter('fleetbook_ingest_batches_total', 'Batches written to the database');
    this.mResubscribes = metrics.counter(
      'fleetbook_ingest_resubscribes_total',
      'Connections the ingest dropped to resume its session and subscribe again, by reason (starved: it received nothing while the broker took publishes)',
    );
    // Present from the start, so that increase() sees the first one.
    this.mResubscribes.inc({ reason: 'starved' }, 0);
    this.batchDuration = metrics.histogram(
      'fleetbook_ingest_batch_duration_seconds',
      'Duration of each batch write to the database',
      {
        buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      },
    );
  }

  /** The status probe (/health) and the gauges; returns the unregister functions (call them on stop). */
  register(probe: IngestProbe): Array<() => void> {
    const metrics = this.metrics;
    return [
      registerIngestStatus(this.ctx, probe.status),
      metrics.gauge(
        'fleetbook_ingest_pending_messages',
        'Messages received but not yet stored (queued or being written)',
        () => probe.status().queued,
      ),
      metrics.gauge(
        'fleetbook_ingest_lag_seconds',
        'Age of the oldest message received but not yet stored (0 when idle)',
        () => probe.status().lagMs / 1000,
      ),
      metrics.gauge(
        'fleetbook_ingest_last_stored_timestamp_seconds',
        'When the ingest last committed a batch (epoch seconds)',
        () => (this.lastStoredAt === null ? [] : [{ value: this.lastStoredAt / 1000 }]),
      ),
      metrics.gauge('fleetbook_ingest_batch_seconds', 'Duration of the last batch write', () => this.lastBatchSeconds),
      metrics.gauge('fleetbook_ingest_connected', '1 when the ingest’s MQTT session is connected', () =>
        probe.connected() ? 1 : 0,
      ),
      metrics.gauge(
        'fleetbook_ingest_subscribed',
        '1 when the broker granted every subscription of the ingest on this connection',
        () => (probe.subscribed() ? 1 : 0),
      ),
      metrics.gauge(
        'fleetbook_ingest_up',
        '1 when the ingest is connected, subscribed and not starved (what /health reports)',
        () => (probe.status().down ? 0 : 1),
      ),
    ];
  }

  /** External brokers: their client count ($SYS), when known. */
  registerBrokerClients(count: () => number | null): () => void {
    return this.metrics.gauge(
      'fleetbook_broker_clients',
      'Clients connected to the MQTT broker ($SYS on external brokers)',
      () => {
        const n = count();
        return n === null ? [] : [{ value: n }];
      },
    );
  }

  received(): void {
    this.stats.received++;
    this.mReceived.inc();
  }

  /** The ingest dropped its connection to subscribe again (starvation-heal.ts). */
  resubscribed(reason: 'starved'): void {
    this.mResubscribes.inc({ reason });
  }

  dbError(): void {
    this.stats.dbErrors++;
    countDbError(this.ctx, 'ingest');
  }

  /** A batch write ended (result null: not written). */
  batch(seconds: number, result: WriteResult | null, log: Logger | undefined): void {
    this.lastBatchSeconds = seconds;
    this.batchDuration.observe(seconds);
    if (!result) return;
    const stats = this.stats;
    this.lastStoredAt = Date.now();
    stats.batches++;
    stats.rowsInserted += result.inserted;
    stats.duplicates += result.duplicates;
    this.mBatches.inc();
    this.mRows.inc({}, result.inserted);
    this.mDuplicates.inc({}, result.duplicates);
    for (const [reason, n] of Object.entries(result.deadLetters)) {
      stats.deadLetters += n!;
      this.mDead.inc({ reason }, n!);
      log?.info({ reason, count: n }, 'dead-lettered');
    }
  }
}
