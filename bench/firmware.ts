// Firmware benchmark (issue 15): for each product, the scaffold and the CMake build of its
// POSIX device, beside an empty CMake C project built the same way (the baseline: what CMake
// and the compiler cost before any of our code); and the core's size at -Os (`size` on
// libfb_core.a): text and static RAM (data + bss) with the offline buffer's capacity, beside
// the same core with a 1-reading buffer (the baseline: what the buffer costs). Static RAM is the
// library's data + bss and the `fb_core` state the app keeps (it holds the buffer). Goal: core static
// RAM ≤ 16 KB with a 256-reading buffer.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from '../data-api/src/kernel/paths.ts';
import { scaffold } from '../firmware/generator/scaffold.ts';

const GOAL_STATIC_RAM = 16 * 1024;
const PRODUCTS: Array<[string, string]> = [
  ['pump-ctl', '1.5.0'],
  ['soil-probe', '1.4.2'],
];

function sh(cmd: string, args: string[]): string {
  const res = spawnSync(cmd, args, { encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed:\n${res.stdout}\n${res.stderr}`);
  return res.stdout;
}

function timed<T>(fn: () => T): [T, number] {
  const t0 = performance.now();
  const out = fn();
  return [out, (performance.now() - t0) / 1000];
}

function cmakeBuild(src: string, build: string, defs: string[], target?: string): void {
  sh('cmake', ['-S', src, '-B', build, '-DCMAKE_BUILD_TYPE=MinSizeRel', ...defs]);
  sh('cmake', ['--build', build, '-j', '2', ...(target ? ['--target', target] : [])]);
}

/** text and data + bss of a static library, summed over its objects (`size -t`). */
function sizeOf(lib: string): { text: number; ram: number } {
  const total = sh('size', ['-t', lib]).trim().split('\n').at(-1)!.trim().split(/\s+/);
  return { text: Number(total[0]), ram: Number(total[1]) + Number(total[2]) };
}

export interface FirmwareBenchResult {
  builds: Array<{ product: string; scaffold_s: number; build_s: number; baseline_build_s: number }>;
  sizes: Array<{
    product: string;
    capacity: number;
    text: number;
    static_ram: number;
    reading_bytes: number;
    baseline_static_ram: number;
    goal_met: boolean | null;
  }>;
}

export async function firmwareBenchmark(options: { capacities?: number[] } = {}): Promise<FirmwareBenchResult> {
  const capacities = options.capacities ?? [256, 1024];
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetbook-bench-fw-'));
  try {
    // The baseline project: one C file, built by the same CMake and compiler.
    const empty = path.join(tmp, 'empty');
    fs.mkdirSync(empty);
    fs.writeFileSync(
      path.join(empty, 'CMakeLists.txt'),
      'cmake_minimum_required(VERSION 3.16)\nproject(empty LANGUAGES C)\nadd_executable(empty main.c)\n',
    );
    fs.writeFileSync(path.join(empty, 'main.c'), 'int main(void) { return 0; }\n');

    const result: FirmwareBenchResult = { builds: [], sizes: [] };
    for (const [product, version] of PRODUCTS) {
      const dir = path.join(tmp, product);
      const [, scaffoldS] = timed(() => scaffold({ product, version, siteDir: PROJECT_ROOT, out: dir, docs: false }));
      const [, buildS] = timed(() => cmakeBuild(dir, path.join(dir, 'build'), ['-DFB_BUILD_TESTS=OFF']));
      const [, baselineS] = timed(() => cmakeBuild(empty, path.join(tmp, `empty-build-${product}`), []));
      result.builds.push({
        product: `${product} ${version}`,
        scaffold_s: scaffoldS,
        build_s: buildS,
        baseline_build_s: baselineS,
      });

      // The core's state (the fb_core the app keeps, offline buffer included) is the app's static
      // variable, not the library's: one object holding a `fb_core` counts it.
      const probe = path.join(dir, 'size_probe.c');
      fs.writeFileSync(probe, '#include "fb_core.h"\nfb_core fb_size_probe;\n');
      const core = (capacity: number) => {
        const build = path.join(dir, `core-${capacity}`);
        cmakeBuild(
          dir,
          build,
          ['-DFB_BUILD_TESTS=OFF', '-DFB_BUILD_DEVICE=OFF', `-DFB_RING_CAPACITY=${capacity}`],
          'fb_core',
        );
        const lib = sizeOf(path.join(build, 'libfb_core.a'));
        const object = path.join(build, 'size_probe.o');
        sh('cc', [
          '-std=c99',
          '-Os',
          '-c',
          `-DFB_RING_CAPACITY=${capacity}`,
          `-I${path.join(dir, 'core')}`,
          `-I${path.join(dir, 'port')}`,
          probe,
          '-o',
          object,
        ]);
        return { text: lib.text, ram: lib.ram + sizeOf(object).ram };
      };
      const one = core(1);
      for (const capacity of capacities) {
        const s = core(capacity);
        result.sizes.push({
          product: `${product} ${version}`,
          capacity,
          text: s.text,
          static_ram: s.ram,
          reading_bytes: Math.round((s.ram - one.ram) / (capacity - 1)),
          baseline_static_ram: one.ram,
          goal_met: capacity === 256 ? s.ram <= GOAL_STATIC_RAM : null,
        });
      }
    }
    return result;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

export function printFirmwareBenchmark(r: FirmwareBenchResult): void {
  console.log('firmware: scaffold + CMake build (MinSizeRel) of the POSIX device, beside an empty CMake C project');
  console.table(
    r.builds.map((b) => ({
      product: b.product,
      'scaffold s': +b.scaffold_s.toFixed(2),
      'build s': +b.build_s.toFixed(1),
      'empty project s (baseline)': +b.baseline_build_s.toFixed(1),
    })),
  );
  console.log(
    'firmware: the core at -Os (size: libfb_core.a, and the fb_core state), beside the same core with a 1-reading buffer',
  );
  console.table(
    r.sizes.map((s) => ({
      product: s.product,
      'buffer (readings)': s.capacity,
      'text B': s.text,
      'static RAM B': s.static_ram,
      'B per reading': s.reading_bytes,
      'static RAM, 1 reading (baseline)': s.baseline_static_ram,
      'goal ≤ 16 KB at 256': s.goal_met === null ? '' : s.goal_met ? 'met' : 'MISSED',
    })),
  );
}
