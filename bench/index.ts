import { printRegistryBenchmark, registryBenchmark } from './registry.ts';
import { siteBuildBenchmark } from './site-build.ts';
import { pageBenchmark, printPageBenchmark } from './page.ts';
import { printRunbooksBenchmark, runbooksBenchmark } from './runbooks.ts';
import { automationBenchmark, printAutomationBenchmark } from './automation.ts';
import { ingestBenchmark, ingestOptionsFromArgs } from './ingest.ts';
import { firmwareBenchmark, printFirmwareBenchmark } from './firmware.ts';
import { faultsBenchmark } from './faults.ts';
import { runsBenchmark, runsOptionsFromArgs } from './runs.ts';
import { notificationsBenchmark } from './notifications.ts';

// `npm run bench`: every figure is printed with a baseline measured in the same run.
// Options: --pages N (default 300); --only <site|registry|page|runbooks|automation|runs|ingest|firmware|faults> runs one benchmark;
// page: --widget-pages N (default 1000), --loads N (default 7), --pixel-samples N (default 120),
//   --pixel-rate MSGS_PER_S (default 1000), --page-parts nav,pixel,build (default all) (see bench/page.ts);
// registry: --registry-devices N, --registry-sites N, --registry-duration S, --registry-connections N, --registry-workers N,
//   --registry-no-demo (see bench/registry.ts).

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : null;
const want = (name: string) => only === null || only === name;

async function main() {
  if (want('site')) await siteBuild();
  if (want('registry')) printRegistryBenchmark(await registryBenchmark());
  if (want('page')) {
    const parts = process.argv.includes('--page-parts')
      ? (process.argv[process.argv.indexOf('--page-parts') + 1]!.split(',') as Array<'nav' | 'pixel' | 'build'>)
      : undefined;
    printPageBenchmark(
      await pageBenchmark({
        pages: arg('widget-pages', 1000),
        loads: arg('loads', 7),
        parts,
        pixel: { samples: arg('pixel-samples', 120), rate: arg('pixel-rate', 1000) },
      }),
    );
  }
  if (want('runbooks'))
    printRunbooksBenchmark(
      await runbooksBenchmark({
        runbooks: arg('runbooks', 1000),
        ticks: arg('ticks', 500),
        rounds: arg('rounds', 2),
        skipBuild: process.argv.includes('--no-build'),
      }),
    );
  if (want('automation'))
    printAutomationBenchmark(
      await automationBenchmark({
        runs: arg('runs', 200),
        runPages: arg('run-pages', 1000),
        runnerConcurrency: arg('runner-concurrency', 4),
        skipBuild: process.argv.includes('--no-build'),
      }),
    );
  if (want('ingest')) await ingestBenchmark(ingestOptionsFromArgs()); // ingest: --seconds 60 --rate 5000 --devices 2000 --short-seconds 10 --ingest-runs ceilings,target,flat,embedded
  if (want('firmware')) printFirmwareBenchmark(await firmwareBenchmark()); // firmware: scaffold + build per product, core size at -Os
  if (want('runs')) await runsBenchmark(runsOptionsFromArgs()); // runs: step trees, run page live, commit flat, build with 20,000 run pages (see bench/runs.ts)
  if (want('faults')) await faultsBenchmark(); // faults: recovery after each fault of bench/faults.ts (needs mosquitto and TEST_DATABASE_URL)
  if (want('notifications'))
    await notificationsBenchmark({
      readings: arg('notify-readings', 20_000),
      rate: arg('notify-rate', 100),
      seconds: arg('notify-seconds', 10),
      storm: arg('notify-storm', 2000),
    }); // notifications: 50 rules vs none, crossing → webhook p99, storm
}

async function siteBuild() {
  const pages = arg('pages', 300);
  console.log(`site build: ${pages} generated MDX pages (plus the handbook), our config vs plain classic preset`);
  const r = await siteBuildBenchmark(pages);
  console.table([
    { build: 'fleetbook config (v4 + faster + mermaid + 2 instances)', seconds: +r.ours.toFixed(1) },
    { build: 'plain classic preset (baseline)', seconds: +r.plain.toFixed(1) },
  ]);
  console.log(`ratio ours / plain: ${r.ratio.toFixed(2)}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
