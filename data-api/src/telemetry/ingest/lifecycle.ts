import type { Logger } from 'pino';
import type { AppContext } from '../../kernel/context.ts';
import { startMonitor, type MonitorHandle } from '../../health/monitor/service.ts';
import { startDemoSimulation, type DemoSimulation } from '../../demo/simulate/demo.ts';
import { useSharedSubscriptions, type TelemetryOptions } from './options.ts';
import { startIngest, type IngestHandle } from './service.ts';

export interface TelemetryServices {
  ingest: IngestHandle | null;
  monitor: MonitorHandle;
  simulation: DemoSimulation | null;
  /** Stops the simulation, then the ingest (writing and acknowledging what it holds), then the monitor. */
  stop(): Promise<void>;
}

/**
 * Starts the ingest, the health monitor (and its sibling jobs) and, when asked, the demo
 * simulation for one running API. Call after the broker and database are open; stop
 * before they close, so the last batch is written and acknowledged.
 */
export async function startTelemetryServices(
  ctx: AppContext,
  options: TelemetryOptions,
  logger?: Logger,
): Promise<TelemetryServices> {
  ctx.retention = options.retention;
  let ingest: IngestHandle | null = null;
  if (options.ingest && ctx.broker) {
    const brokerKind = ctx.broker.kind;
    let shared = useSharedSubscriptions(options.shared, brokerKind);
    if (shared && brokerKind === 'aedes') {
      // aedes has no shared subscriptions: `$share/…` would match nothing and the ingest
      // would silently receive no data. One process owns the embedded broker anyway.
      logger?.warn('FLEETBOOK_MQTT_SHARED=on is ignored with the embedded broker (aedes has no shared subscriptions)');
      shared = false;
    }
    ingest = await startIngest(ctx, {
      instance: options.instance,
      sharedGroup: shared ? options.sharedGroup : null,
      chirpstack: options.chirpstack,
      chirpstackTopics: options.chirpstackTopics,
      batchMaxRows: options.batchMaxRows,
      batchMaxDelayMs: options.batchMaxDelayMs,
      maxLagMs: options.maxLagMs,
      starvedAfterPublishes: options.starvedAfterPublishes,
      // Alert rules are evaluated on the readings as they are stored (notifications engine).
      onReadings: ctx.notifications?.onReadings,
      logger,
    });
  }
  const monitor = startMonitor(ctx, {
    instance: options.instance,
    intervalMs: options.monitorIntervalMs,
    retention: options.retention,
    logger,
  });
  let simulation: DemoSimulation | null = null;
  try {
    if (options.simulate) simulation = await startDemoSimulation(ctx, { logger, speed: options.demoSpeed });
  } catch (err) {
    logger?.warn({ err: (err as Error).message }, 'demo simulation did not start');
  }
  let stopped: Promise<void> | null = null;
  return {
    ingest,
    monitor,
    simulation,
    stop: () =>
      (stopped ??= (async () => {
        await simulation?.stop().catch(() => {});
        // Embedded broker: its queues die with the process, so first turn the devices away,
        // then let the ingest take everything the broker already accepted from them.
        const aedes = ctx.broker?.embedded?.aedes as unknown as
          { clients?: Record<string, { id: string; close(): void }> } | undefined;
        for (const client of Object.values(aedes?.clients ?? {}))
          if (!client.id.startsWith('fleetbook-')) client.close();
        await ingest?.stop();
        await monitor.stop();
      })()),
  };
}
