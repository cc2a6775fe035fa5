#!/usr/bin/env node
// Runs every test layer in turn (lint → unit → firmware → integration → faults → e2e) and ends with one line
// `N passed, N failed` summed over the layers. `npm test -- unit` runs one layer.
//
// A layer in which nothing has happened for a while (no test file, test or hook started or finished: a
// progress reporter logs each) is stopped and counted as failed, naming the test files that never finished and
// its processes: a hang then says where it is, instead of using up CI's 90 minutes in silence. A slow machine
// only makes a layer slower; it still shows progress. Each layer runs in a process group of its own, and
// whatever it leaves running when it ends is named and stopped, so no test's server, broker or browser outlives
// its layer (or holds CI's output open).
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
/**
 * Minutes without progress after which a layer is stopped: a minute more than the longest timeout a test or hook
 * has in it (vitest.config.mts, and the few tests that set their own), since vitest fails those by itself. What
 * outlasts them is a hang vitest cannot end: a blocked event loop, a worker that never reports back.
 * `TEST_STALL_SCALE=2` doubles them.
 */
const STALL_MINUTES = { lint: 6, unit: 6, firmware: 11, integration: 11, faults: 4, e2e: 16 };
const all = Object.keys(STALL_MINUTES);
const layers = process.argv.slice(2).filter((a) => all.includes(a));
const run = layers.length ? layers : all;
const scale = Number(process.env.TEST_STALL_SCALE) > 0 ? Number(process.env.TEST_STALL_SCALE) : 1;
const outDir = path.join(root, 'test-results');
fs.mkdirSync(outDir, { recursive: true });

const vitestPkg = require.resolve('vitest/package.json', { paths: [root] });
const vitest = path.join(path.dirname(vitestPkg), require(vitestPkg).bin.vitest);
const progressReporter = path.join(__dirname, 'vitest-progress.mjs');

const clock = () => new Date().toISOString().slice(11, 19);
const minutes = (ms) => `${Math.round(ms / 6_000) / 10} min`;

/** The processes of a group, one line each, with their state and what they wait in (ps). */
function groupProcesses(pgid) {
  const ps = spawnSync('ps', ['-eo', 'pid=,pgid=,stat=,etimes=,wchan:24=,args='], { encoding: 'utf8' });
  return (ps.stdout ?? '')
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter(([, group, state]) => group === String(pgid) && !state.startsWith('Z')) // a zombie is already dead
    .map((fields) => fields.join(' ').slice(0, 220));
}

/** The progress reporter's log: test files that started and did not finish, and the last things that happened. */
function progressOf(progress) {
  const lines = (fs.existsSync(progress) ? fs.readFileSync(progress, 'utf8') : '').split('\n').filter(Boolean);
  const open = new Set();
  for (const line of lines) {
    const [what, file] = [line.slice(0, line.indexOf(' ')), line.slice(line.indexOf(' ') + 1)];
    if (what === 'start') open.add(file);
    if (what === 'end') open.delete(file);
  }
  return { unfinished: [...open], last: lines.slice(-5) };
}

/** When the layer last showed progress (ms since the epoch). */
function lastProgress(progress, since) {
  try {
    return Math.max(since, fs.statSync(progress).mtimeMs);
  } catch {
    return since;
  }
}

function killGroup(pgid) {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // already gone
  }
}

let current = null; // the running layer's process group
let interrupted = null;
// The layer runs in a group of its own, so a terminal's Ctrl-C reaches only us: pass it on (vitest cancels), then
// stop; a second one stops the group at once. Whatever ends this process ends the layer too.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (current && interrupted) killGroup(current);
    else if (current) process.kill(-current, signal);
    interrupted = signal;
  });
}
process.on('exit', () => {
  if (current) killGroup(current);
});

function runLayer(layer) {
  const report = path.join(outDir, `${layer}.json`);
  const progress = path.join(outDir, `${layer}.progress`);
  fs.rmSync(report, { force: true });
  fs.rmSync(progress, { force: true });
  const stallMs = STALL_MINUTES[layer] * scale * 60_000;
  const started = Date.now();
  console.log(`\n=== ${layer} tests === (${clock()})`);
  const child = spawn(
    process.execPath,
    [
      vitest,
      'run',
      '--project',
      layer,
      '--reporter=default',
      '--reporter=json',
      `--reporter=${progressReporter}`,
      `--outputFile.json=${report}`,
    ],
    // detached: a process group of its own, so the layer and everything it started can be stopped together.
    { cwd: root, stdio: 'inherit', env: { ...process.env, TEST_PROGRESS_FILE: progress }, detached: true },
  );
  current = child.pid;
  return new Promise((resolve) => {
    let stalled = false;
    const watch = setInterval(() => {
      if (Date.now() - lastProgress(progress, started) < stallMs) return;
      stalled = true;
      clearInterval(watch);
      const { unfinished, last } = progressOf(progress);
      console.error(`\n!!! ${layer}: nothing has happened for ${minutes(stallMs)}; stopping it.`);
      console.error(
        unfinished.length
          ? `!!! test files that started and did not finish:\n${unfinished.map((f) => `      ${f}`).join('\n')}`
          : '!!! every test file that started has finished; vitest itself did not exit.',
      );
      console.error(`!!! the last things that happened:\n${last.map((l) => `      ${l}`).join('\n')}`);
      console.error(`!!! its processes (pid pgid state seconds wchan command):`);
      for (const line of groupProcesses(child.pid)) console.error(`      ${line}`);
      killGroup(child.pid);
    }, 5_000);
    child.on('exit', (code) => {
      clearInterval(watch);
      current = null;
      const left = groupProcesses(child.pid);
      if (left.length) {
        console.error(`\n!!! ${layer} left ${left.length} process(es) running; stopping them:`);
        for (const line of left) console.error(`      ${line}`);
        killGroup(child.pid);
      }
      resolve({ code, stalled, report, seconds: Math.round((Date.now() - started) / 1000) });
    });
  });
}

/** Passed, failed and skipped tests of one layer, from vitest's JSON report. */
function count(result) {
  let p = 0,
    f = 0,
    s = 0;
  try {
    const json = JSON.parse(fs.readFileSync(result.report, 'utf8'));
    p = json.numPassedTests;
    f = json.numFailedTests + (json.numRuntimeErrorTestSuites ?? 0);
    s = json.numPendingTests + json.numTodoTests;
    // A file that failed to load counts as a failure even though no test ran in it.
    f += json.testResults.filter((r) => r.status === 'failed' && r.assertionResults.length === 0).length;
  } catch {
    f = 1; // no report: the layer crashed or was stopped
  }
  if ((result.code !== 0 || result.stalled) && f === 0) f = 1;
  if (p + f === 0) f = 1; // a layer that runs no test is a failure, not a pass
  return { p, f, s };
}

async function main() {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  const lines = [];
  for (const layer of run) {
    const result = await runLayer(layer);
    const { p, f, s } = count(result);
    passed += p;
    failed += f;
    skipped += s;
    const notes = [s ? `${s} skipped` : '', result.stalled ? 'stopped: no progress' : ''].filter(Boolean);
    if (interrupted) process.exit(130);
    lines.push(`${layer}: ${p} passed, ${f} failed${notes.map((n) => `, ${n}`).join('')} (${result.seconds} s)`);
  }
  console.log('\n' + lines.join('\n'));
  console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  process.exit(failed > 0 || skipped > 0 ? 1 : 0);
}

main();
