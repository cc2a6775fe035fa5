import { printRegistryBenchmark, registryBenchmark } from './registry.ts';
import { siteBuildBenchmark } from './site-build.ts';

// `npm run bench`: every figure is printed with a baseline measured in the same run.
// Options: --pages N (default 300); --only <site|registry> runs one benchmark;
// registry: --registry-devices N, --registry-sites N, --registry-duration S, --registry-connections N (see bench/registry.ts).

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : null;
const want = (name: string) => only === null || only === name;

async function main() {
  if (want('site')) await siteBuild();
  if (want('registry')) printRegistryBenchmark(await registryBenchmark());
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
