import { Command, Option } from 'commander';
import { simulatorFleetSchema } from '../contracts/simulator.ts';
import { Simulation, type SimulationProgress } from '../demo/simulate/simulator.ts';
import { redactUrl } from '../kernel/util/url.ts';
import { exitWithError } from './errors.ts';

/**
 * `fleetbook simulate`: a fleet of real MQTT clients against a running fleetbook. It asks
 * the API (admin token) to provision the simulated fleet (customer cus_sim, sites
 * site_sim-N) and issue device tokens, then publishes through the broker like devices do.
 */
export function simulateCommand(): Command {
  return new Command('simulate')
    .description(
      'Simulate a device fleet over MQTT against a running fleetbook (gateways batching, silent devices, backfill, faults)',
    )
    .option(
      '--devices <n>',
      'devices in the simulated fleet (sites of 250: 2 gateways, 25 controllers, sensors)',
      '2000',
    )
    .option('--rate <n>', 'readings per second, fleet-wide', '5000')
    .option('--duration <s>', 'seconds to run; 0 = until Ctrl-C', '60')
    .option('--faults', 'devices going silent, gateways offline then backfilling, repeated batches, malformed messages')
    .option(
      '--url <mqtt-url>',
      'broker to publish to (default: the embedded broker the API reports, else mqtt://127.0.0.1:1883)',
    )
    .addOption(new Option('--api <url>', 'the fleetbook API').default('http://127.0.0.1:3000').env('FLEETBOOK_API_URL'))
    .addOption(
      new Option('--token <token>', 'an admin token (the first `npm start` prints one)').env('FLEETBOOK_TOKEN'),
    )
    .action(async (opts) => {
      try {
        const devices = positive(opts.devices, '--devices');
        const rate = positive(opts.rate, '--rate');
        const duration = Number(opts.duration);
        if (!Number.isFinite(duration) || duration < 0)
          throw Object.assign(new Error(`--duration: expected seconds ≥ 0, got "${opts.duration}"`), { exitCode: 2 });
        if (!opts.token) {
          throw Object.assign(
            new Error(
              'an admin token is needed to provision the simulated fleet: pass --token (the first `npm start` prints one) or set FLEETBOOK_TOKEN',
            ),
            { exitCode: 2 },
          );
        }
        const api = String(opts.api).replace(/\/$/, '');
        const headers = { authorization: `Bearer ${opts.token}`, 'content-type': 'application/json' };
        const res = await fetch(`${api}/api/v1/simulator/fleet`, {
          method: 'POST',
          headers,
          body: JSON.stringify({ devices }),
        }).catch((err: Error) => {
          throw new Error(
            `cannot reach the fleetbook API at ${api}: ${err.message} (is \`fleetbook start\` running? --api)`,
          );
        });
        if (!res.ok) throw new Error(`provisioning the simulated fleet failed: HTTP ${res.status} ${await res.text()}`);
        const fleet = simulatorFleetSchema.parse(await res.json());
        const url = opts.url ?? fleet.mqtt_url ?? 'mqtt://127.0.0.1:1883';
        const storedAtStart = await storedRows(api, headers);
        process.stdout.write(
          `simulating ${fleet.devices.length} devices (${fleet.devices.filter((d) => d.role !== 'sensor').length} MQTT connections) → ${redactUrl(url)}, ` +
            `${rate} readings/s${duration ? ` for ${duration} s` : ''}${opts.faults ? ', with faults' : ''}\n`,
        );
        const tty = process.stdout.isTTY;
        let stored: number | null = null;
        const sim = new Simulation({
          url,
          devices: fleet.devices,
          rate,
          durationS: duration,
          faults: !!opts.faults,
          onProgress: (p) => {
            void storedRows(api, headers).then(
              (n) => (stored = n === null || storedAtStart === null ? null : n - storedAtStart),
            );
            const line = progressLine(p, stored);
            process.stdout.write(tty ? `\r${line}\x1b[K` : `${line}\n`);
          },
        });
        process.once('SIGINT', () => void sim.stop());
        await sim.start();
        const report = await sim.done;
        await new Promise((r) => setTimeout(r, 1500)); // let the ingest write the tail
        const finalStored = await storedRows(api, headers);
        if (tty) process.stdout.write('\n');
        process.stdout.write(
          [
            `sent ${report.readings} readings in ${report.messages} MQTT messages over ${report.elapsedS.toFixed(1)} s (${(report.readings / report.elapsedS).toFixed(0)} readings/s)`,
            ...(opts.faults
              ? [
                  `faults: ${report.malformed} malformed messages, ${report.backfilled} readings backfilled, ${report.duplicatesSent} readings sent twice`,
                ]
              : []),
            ...(finalStored !== null && storedAtStart !== null
              ? [
                  `stored by the ingest meanwhile: ${finalStored - storedAtStart} rows (fleetbook_ingest_rows_total of this replica)`,
                ]
              : []),
            ...(report.errors.length ? [`client errors: ${report.errors.slice(0, 5).join('; ')}`] : []),
          ].join('\n') + '\n',
        );
      } catch (err) {
        exitWithError(err);
      }
    });
}

function positive(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw Object.assign(new Error(`${flag}: expected a positive number, got "${value}"`), { exitCode: 2 });
  return n;
}

function progressLine(p: SimulationProgress, stored: number | null): string {
  const n = (x: number) => Math.round(x).toLocaleString('en-US');
  return `${p.elapsedS.toFixed(0).padStart(4)} s  sent ${n(p.readings)} readings (${n(p.readingsPerS)}/s)  in flight ${n(p.inFlight)}  connected ${p.connected}${stored !== null ? `  stored ${n(stored)}` : ''}`;
}

async function storedRows(api: string, headers: Record<string, string>): Promise<number | null> {
  try {
    const res = await fetch(`${api}/metrics`, { headers: { authorization: headers.authorization! } });
    if (!res.ok) return null;
    const m = /^fleetbook_ingest_rows_total (\d+)/m.exec(await res.text());
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}
