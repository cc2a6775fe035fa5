#!/usr/bin/env node
// Runs every test layer in turn (lint → unit → firmware → integration → faults → e2e) and ends with one line
// `N passed, N failed` summed over the layers. `npm test -- unit` runs one layer.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const all = ['lint', 'unit', 'firmware', 'integration', 'faults', 'e2e'];
const layers = process.argv.slice(2).filter((a) => all.includes(a));
const run = layers.length ? layers : all;
const outDir = path.join(root, 'test-results');
fs.mkdirSync(outDir, { recursive: true });

const vitestPkg = require.resolve('vitest/package.json', { paths: [root] });
const vitest = path.join(path.dirname(vitestPkg), require(vitestPkg).bin.vitest);
let passed = 0;
let failed = 0;
let skipped = 0;
const lines = [];
for (const layer of run) {
  const report = path.join(outDir, `${layer}.json`);
  fs.rmSync(report, { force: true });
  console.log(`\n=== ${layer} tests ===`);
  const res = spawnSync(
    process.execPath,
    [vitest, 'run', '--project', layer, '--reporter=default', '--reporter=json', `--outputFile.json=${report}`],
    { cwd: root, stdio: 'inherit', env: process.env },
  );
  let p = 0,
    f = 0,
    s = 0;
  try {
    const json = JSON.parse(fs.readFileSync(report, 'utf8'));
    p = json.numPassedTests;
    f = json.numFailedTests + (json.numRuntimeErrorTestSuites ?? 0);
    s = json.numPendingTests + json.numTodoTests;
    // A file that failed to load counts as a failure even though no test ran in it.
    f += json.testResults.filter((r) => r.status === 'failed' && r.assertionResults.length === 0).length;
  } catch {
    f = 1; // no report: the layer crashed
  }
  if (res.status !== 0 && f === 0) f = 1;
  if (p + f === 0) f = 1; // a layer that runs no test is a failure, not a pass
  passed += p;
  failed += f;
  skipped += s;
  lines.push(`${layer}: ${p} passed, ${f} failed${s ? `, ${s} skipped` : ''}`);
}
console.log('\n' + lines.join('\n'));
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || skipped > 0 ? 1 : 0);
