#!/usr/bin/env node
// Runs every test layer in turn (lint → unit → firmware → integration → faults → e2e) and ends with one line
// `N passed, N failed` summed over the layers. `npm test -- unit` runs one layer.
//
// Each layer has a time budget (about three times what it takes on a 2-core CI box). A layer still running at
// the end of its budget is stopped and counted as failed, naming the test files that started and never finished
// and the processes it left: a hang then says where it is, instead of using up CI's 90 minutes in silence.
// Each layer runs in a process group of its own; whatever it leaves running when it ends is named and stopped,
// so no test's server, broker or browser outlives its layer (or holds CI's output open).
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
/** Minutes per layer. `TEST_BUDGET_SCALE=2 npm test` doubles them on a slow or busy machine. */
const BUDGET_MINUTES = { lint: 5, unit: 8, firmware: 8, integration: 25, faults: 12, e2e: 20 };
const all = Object.keys(BUDGET_MINUTES);
const layers = process.argv.slice(2).filter((a) => all.includes(a));
const run = layers.length ? layers : all;
const scale = Number(process.env.TEST_BUDGET_SCALE) > 0 ? Number(process.env.TEST_BUDGET_SCALE) : 1;
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

/** Test files that started and did not finish, from the progress reporter's log. */
function unfinishedFiles(progress) {
  const open = new Set();
  const text = fs.existsSync(progress) ? fs.readFileSync(progress, 'utf8') : '';
  for (const line of text.split('\n')) {
    const [what, file] = [line.slice(0, line.indexOf(' ')), line.slice(line.indexOf(' ') + 1)];
    if (what === 'start') open.add(file);
    if (what === 'end') open.delete(file);
  }
  return [...open];
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
// The layer runs in a group of its own, so a terminal's Ctrl-C reaches only us: pass it on, then stop.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    interrupted = signal;
    if (current) process.kill(-current, signal);
  });
}

function runLayer(layer) {
  const report = path.join(outDir, `${layer}.json`);
  const progress = path.join(outDir, `${layer}.progress`);
  fs.rmSync(report, { force: true });
  fs.rmSync(progress, { force: true });
  const budgetMs = BUDGET_MINUTES[layer] * scale * 60_000;
  const started = Date.now();
  console.log(`\n=== ${layer} tests === (${clock()}, budget ${minutes(budgetMs)})`);
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
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      const files = unfinishedFiles(progress);
      console.error(`\n!!! ${layer}: still running after ${minutes(budgetMs)}; stopping it.`);
      console.error(
        files.length
          ? `!!! test files that started and did not finish:\n${files.map((f) => `      ${f}`).join('\n')}`
          : '!!! every test file that started has finished; vitest itself did not exit.',
      );
      console.error(`!!! its processes (pid pgid state seconds wchan command):`);
      for (const line of groupProcesses(child.pid)) console.error(`      ${line}`);
      killGroup(child.pid);
    }, budgetMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      current = null;
      const left = groupProcesses(child.pid);
      if (left.length) {
        console.error(`\n!!! ${layer} left ${left.length} process(es) running; stopping them:`);
        for (const line of left) console.error(`      ${line}`);
        killGroup(child.pid);
      }
      resolve({ code, timedOut, report, seconds: Math.round((Date.now() - started) / 1000) });
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
  if ((result.code !== 0 || result.timedOut) && f === 0) f = 1;
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
    const notes = [s ? `${s} skipped` : '', result.timedOut ? 'stopped at its time budget' : ''].filter(Boolean);
    if (interrupted) process.exit(130);
    lines.push(`${layer}: ${p} passed, ${f} failed${notes.map((n) => `, ${n}`).join('')} (${result.seconds} s)`);
  }
  console.log('\n' + lines.join('\n'));
  console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  process.exit(failed > 0 || skipped > 0 ? 1 : 0);
}

main();
