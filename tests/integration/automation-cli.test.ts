import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Journal } from '../../data-api/src/automation/journal.ts';
import { tempDir } from '../helpers/automation.ts';
import { ROOT, runCli } from '../helpers/cli.ts';
import { startFakeFleetApi, type FakeFleetApi } from '../helpers/fake-fleet-api.ts';
import { startFakeProxmox, type FakeProxmox } from '../helpers/fake-proxmox.ts';
import { freePort } from '../helpers/ports.ts';
import { createStandIns } from '../helpers/stand-ins.ts';

// `node bin/fleetbook.mjs spec …` and `… run …` end to end, against local fakes: Proxmox, the
// fleet API (registry + write-back), stand-in docker/ssh, and real TCP/HTTP servers.
const TOKEN = 'automation@pve!fleetbook=4c0e5a3e-1f2b-4c3d-9e8f-0a1b2c3d4e5f';
// Each case spawns the CLI (tsx start-up) once or twice: allow for a busy machine.
vi.setConfig({ testTimeout: 90_000 });
const tmp = tempDir('cli');
let pve: FakeProxmox;
let api: FakeFleetApi;
let tcp: net.Server;
let web: http.Server;
let tcpPort: number;
let webPort: number;

const listen = (server: net.Server) =>
  new Promise<number>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)),
  );
const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=Seed', '-c', 'user.email=seed@example.com', ...args], {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  }).trim();

beforeAll(async () => {
  pve = await startFakeProxmox({ token: TOKEN, taskPolls: 1 });
  api = await startFakeFleetApi({ token: 'tok' });
  api.devices.set('gw_farm-north-1', 'up');
  tcp = net.createServer((s) => s.end());
  tcpPort = await listen(tcp);
  web = http.createServer((_req, res) => res.end('ok'));
  webPort = await listen(web);
});

afterAll(async () => {
  await pve.close();
  await api.close();
  tcp.close();
  web.close();
  tmp.cleanup();
});

let n = 0;
function writeSpec(patch: (spec: Record<string, any>) => void = () => {}): string {
  const spec: Record<string, any> = {
    spec_version: 1,
    project: 'farm-north-lorawan',
    deployment_id: 'dep_farm-north',
    product_code: 'lorawan-gw',
    product_version: '2.1.0',
    targets: { gateways: ['gw_farm-north-1'], devices: [], stations: [] },
    actions: [
      {
        id: 'vm',
        type: 'provision_vm',
        with: {
          api_url: pve.url,
          node: 'pve1',
          template_vmid: 9000,
          name: 'cs-farm-north',
          ip: '10.0.0.21/24',
          poll_interval_s: 0.02,
        },
      },
      { id: 'stack', type: 'deploy_compose_stack', with: { stack: 'chirpstack', host: 'cs-farm-north', user: 'ops' } },
      { id: 'gw', type: 'configure_gateway', with: { region: 'AS923_1', server: 'cs-farm-north', port: 1700 } },
      {
        id: 'checks',
        type: 'run_health_checks',
        with: {
          checks: [
            { tcp: `127.0.0.1:${tcpPort}` },
            { http: `http://127.0.0.1:${webPort}/`, expect_status: 200 },
            { device_up: 'gw_farm-north-1', timeout_s: 5 },
          ],
        },
      },
      { id: 'ticket', type: 'open_ticket_on_failure' },
    ],
  };
  patch(spec);
  const file = path.join(tmp.dir, `spec-${++n}.yaml`);
  fs.writeFileSync(file, YAML.stringify(spec));
  return file;
}

/** A fresh git repository with a docs/ folder, like the handbook's. */
function makeRepo(): string {
  const repo = path.join(tmp.dir, `repo-${++n}`);
  fs.mkdirSync(path.join(repo, 'docs'), { recursive: true });
  git(repo, 'init', '-q', '-b', 'main');
  fs.writeFileSync(path.join(repo, 'docs/index.mdx'), '# handbook\n');
  git(repo, 'add', '.');
  git(repo, 'commit', '-q', '-m', 'seed');
  return repo;
}

describe('fleetbook spec', () => {
  it('validate: ok files say so; errors are file:line:column  message  rule-id; exit 1', async () => {
    const ok = await runCli(['spec', 'validate', 'automation/specs/farm-north-lorawan.yaml']);
    expect(ok).toMatchObject({
      code: 0,
      stdout: 'automation/specs/farm-north-lorawan.yaml: ok (5 actions)\n0 errors, 0 warnings\n',
    });
    const bad = await runCli(['spec', 'validate', 'tests/fixtures/specs/not-ok.yaml']);
    expect(bad.code).toBe(1);
    const lines = bad.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(
      'tests/fixtures/specs/not-ok.yaml:3:1  deployment_id: expected an id like dep_… (url-safe body of 1–64 characters)  spec/schema',
    );
    expect(
      lines.filter((l) => / spec\/(schema|unknown-field|unknown-action|inline-secret|duplicate-action-id)$/.test(l)),
    ).toHaveLength(10);
    expect(lines.at(-1)).toBe('10 errors, 0 warnings');
  });

  it('schema: prints the JSON Schema for editors', async () => {
    const res = await runCli(['spec', 'schema']);
    expect(res.code).toBe(0);
    const schema = JSON.parse(res.stdout);
    expect(schema.$ref).toBe('#/$defs/ExecutionSpecV1');
    expect(schema.$defs.ExecutionSpecV1.required).toEqual([
      'spec_version',
      'project',
      'deployment_id',
      'product_code',
      'product_version',
      'actions',
    ]);
  });
});

describe('fleetbook run', () => {
  it('--dry-run validates and plans without side effects (no request, no page)', async () => {
    const before = pve.requests.length;
    const docs = path.join(tmp.dir, 'dry-docs');
    const res = await runCli(['run', writeSpec(), '--dry-run', '--docs-dir', docs], { PROXMOX_TOKEN: TOKEN });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const lines = res.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(
      /^dry run of .*spec-\d+\.yaml: farm-north-lorawan · dep_farm-north · lorawan-gw 2\.1\.0 · 5 actions · sha256:[0-9a-f]{64}$/,
    );
    expect(lines).toContain('[2/5] stack (deploy_compose_stack) timeout 600 s');
    // Compose checks the files first (config -q), then brings the stack up.
    expect(lines).toContain(
      "      on cs-farm-north over ssh: ssh -o BatchMode=yes -o ConnectTimeout=15 ops@cs-farm-north -- 'docker compose -p chirpstack config -q', stopping if Compose refuses the files",
    );
    expect(lines).toContain(
      "      then ssh -o BatchMode=yes -o ConnectTimeout=15 ops@cs-farm-north -- 'docker compose -p chirpstack up -d'",
    );
    expect(lines.at(-1)).toBe('dry run: valid; nothing was changed');
    expect(pve.requests.length).toBe(before);
    expect(fs.existsSync(docs)).toBe(false);
  });

  it('--dry-run reports a secret that is not set (exit 1)', async () => {
    const res = await runCli(['run', writeSpec(), '--dry-run'], { PROXMOX_TOKEN: '' });
    expect(res.code).toBe(1);
    expect(res.stdout).toContain('      problem: secret env:PROXMOX_TOKEN: PROXMOX_TOKEN is not set\n');
  });

  it('an invalid spec exits 2 with the diagnostics and runs nothing', async () => {
    const file = writeSpec((s) => {
      s.actions[1].type = 'deploy_stack';
    });
    const res = await runCli(['run', file]);
    expect(res.code).toBe(2);
    expect(res.stdout).toContain(`${file}:`);
    expect(res.stdout).toContain('Unexpected action type "deploy_stack"');
    expect(res.stdout).toContain('spec/unknown-action');
  });

  it('a real run against the fakes: progress lines, run page, one commit, write-back to the API; exit 0', async () => {
    const repo = makeRepo();
    const bin = createStandIns(path.join(tmp.dir, 'bin-ok'), { ssh: { stdout: [' Container chirpstack-1  Started'] } });
    const journal = path.join(tmp.dir, 'journal-ok.jsonl');
    const res = await runCli(
      [
        'run',
        writeSpec(),
        '--docs-dir',
        path.join(repo, 'docs'),
        '--commit',
        '--api',
        api.url,
        '--token',
        'tok',
        '--journal',
        journal,
      ],
      { PROXMOX_TOKEN: TOKEN, PATH: bin.path, FLEETBOOK_GIT_AUTHOR: 'Fleet Runner <runner@fleetbook.example>' },
    );
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const out = res.stdout.trimEnd().split('\n');
    const runId = /^run (arun_[0-9a-z]{26}) succeeded in /.exec(out.find((l) => l.startsWith('run arun_'))!)![1]!;
    expect(out[0]).toBe('fleetbook run farm-north-lorawan · dep_farm-north · lorawan-gw 2.1.0 · 5 actions');
    expect(out.filter((l) => l.startsWith('['))).toEqual([
      '[1/5] vm (provision_vm) running',
      expect.stringMatching(/^\[1\/5\] vm \(provision_vm\) succeeded in \S+ m?s: VM 123 cs-farm-north running$/),
      '[2/5] stack (deploy_compose_stack) running',
      expect.stringMatching(
        /^\[2\/5\] stack \(deploy_compose_stack\) succeeded in .*: stack chirpstack up on cs-farm-north$/,
      ),
      '[3/5] gw (configure_gateway) running',
      expect.stringMatching(
        /^\[3\/5\] gw \(configure_gateway\) succeeded in .*: global_conf\.json for AS923_1 → cs-farm-north:1700$/,
      ),
      '[4/5] checks (run_health_checks) running',
      expect.stringMatching(/^\[4\/5\] checks \(run_health_checks\) succeeded in .*: 3 checks passed$/),
      '[5/5] ticket (open_ticket_on_failure) skipped: nothing failed',
    ]);
    const ssh = ['-o', 'BatchMode=yes', '-o', 'ConnectTimeout=15', 'ops@cs-farm-north', '--'];
    expect(bin.calls()).toEqual([
      { cmd: 'ssh', argv: [...ssh, 'docker compose -p chirpstack config -q'], cwd: ROOT },
      { cmd: 'ssh', argv: [...ssh, 'docker compose -p chirpstack up -d'], cwd: ROOT },
    ]);

    // The page and its artifact, committed in one commit with the run message.
    const day = new Date().toISOString().slice(0, 10);
    const pageRel = `docs/projects/farm-north-lorawan/runs/${day}/${runId}.mdx`;
    const page = fs.readFileSync(path.join(repo, pageRel), 'utf8');
    expect(page).toContain(`run_id: "${runId}"`);
    expect(page).toContain('state: "succeeded"');
    expect(git(repo, 'log', '-1', '--format=%s|%an')).toBe(`run(farm-north-lorawan): ${runId} succeeded|Fleet Runner`);
    expect(git(repo, 'show', '--name-only', '--format=', 'HEAD').split('\n').sort()).toEqual(
      [
        `docs/projects/farm-north-lorawan/runs/${day}/${runId}.artifacts/gw/global_conf.json`,
        pageRel,
        'docs/projects/farm-north-lorawan/runs/_category_.json',
        'docs/projects/farm-north-lorawan/runs/index.jsonl',
        'docs/projects/farm-north-lorawan/runs/index.mdx',
      ].sort(),
    );
    expect(git(repo, 'status', '--porcelain')).toBe('');

    // The API got the run, its whole timeline in order, the artifact and the finish.
    const record = api.runs.get(runId)!;
    expect(record.created).toMatchObject({ id: runId, deployment_id: 'dep_farm-north', state: 'queued' });
    const timeline = record.timeline as Array<{ action_id?: string; state: string }>;
    expect(timeline[0]).toMatchObject({ state: 'queued' });
    expect(timeline.at(-1)).toMatchObject({ state: 'succeeded' });
    expect(timeline.filter((e) => e.action_id === 'vm').map((e) => e.state)).toEqual([
      'queued',
      'running',
      'succeeded',
    ]);
    expect(record.artifacts).toEqual([
      expect.objectContaining({
        action_id: 'gw',
        name: 'global_conf.json',
        path: `docs/projects/farm-north-lorawan/runs/${day}/${runId}.artifacts/gw/global_conf.json`,
      }),
    ]);
    expect(record.finish).toMatchObject({
      state: 'succeeded',
      page_path: pageRel,
      commit_sha: git(repo, 'rev-parse', 'HEAD'),
      pushed: false,
    });
    expect(out.at(-1)).toMatch(/^api     \d+ write-backs delivered, 0 pending \(journal .*journal-ok\.jsonl\)$/);
    expect(new Journal(journal).pending()).toEqual([]);
  });

  it('a failed run: exit 1, later actions skipped, a ticket through the API, the page says failed and is pushed', async () => {
    const repo = makeRepo();
    const origin = path.join(tmp.dir, `origin-${n}.git`);
    git(tmp.dir, 'init', '-q', '--bare', '-b', 'main', origin);
    git(repo, 'remote', 'add', 'origin', origin);
    git(repo, 'push', '-q', '-u', 'origin', 'main');
    const bin = createStandIns(path.join(tmp.dir, 'bin-fail'), {
      ssh: { exitCode: 1, stderr: ['no configuration file provided: not found'] },
    });
    const res = await runCli(
      [
        'run',
        writeSpec(),
        '--docs-dir',
        path.join(repo, 'docs'),
        '--push',
        '--api',
        api.url,
        '--token',
        'tok',
        '--journal',
        path.join(tmp.dir, 'journal-fail.jsonl'),
      ],
      { PROXMOX_TOKEN: TOKEN, PATH: bin.path },
    );
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(
      /\[2\/5\] stack \(deploy_compose_stack\) failed in .*: docker compose config on cs-farm-north exited with code 1: no configuration file provided: not found; the stack was not started\n/,
    );
    expect(res.stdout).toContain('[3/5] gw (configure_gateway) skipped: action "stack" failed\n');
    const runId = /run (arun_\w+) failed in/.exec(res.stdout)![1]!;
    expect(api.runs.get(runId)!.tickets).toEqual([
      {
        run_id: runId,
        deployment_id: 'dep_farm-north',
        action_id: 'stack',
        severity: 'critical',
        summary:
          'farm-north-lorawan: action "stack" (deploy_compose_stack) failed: docker compose config on cs-farm-north exited with code 1: no configuration file provided: not found; the stack was not started',
        work_item_id: expect.stringMatching(/^wi_[0-9a-z]{26}$/),
      },
    ]);
    expect(api.runs.get(runId)!.finish).toMatchObject({ state: 'failed' });
    expect(git(repo, 'log', '-1', '--format=%s')).toBe(`run(farm-north-lorawan): ${runId} failed`);
    expect(res.stdout).toContain('git     pushed to origin/main\n');
    expect(git(origin, 'log', '-1', '--format=%s', 'main')).toBe(`run(farm-north-lorawan): ${runId} failed`);
    expect(api.runs.get(runId)!.finish).toMatchObject({ pushed: true, commit_sha: git(origin, 'rev-parse', 'main') });
  });

  it('an unreachable API: the run goes on, the write-backs stay in the journal, --replay delivers them in order', async () => {
    const port = await freePort();
    const later = `http://127.0.0.1:${port}`;
    const journal = path.join(tmp.dir, 'journal-down.jsonl');
    const docs = path.join(tmp.dir, 'docs-down');
    const file = writeSpec((s) => {
      s.actions = [s.actions[2], s.actions[4]]; // configure_gateway + ticket: no device_up (it needs the API)
    });
    const res = await runCli(['run', file, '--docs-dir', docs, '--api', later, '--token', 'tok', '--journal', journal]);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/api {5}0 write-backs delivered, \d+ pending \(journal .*journal-down\.jsonl\)\n/);
    expect(res.stdout).toContain('they stay in the journal and are replayed by the next run or fleetbook run --replay');
    const pending = new Journal(journal).pending();
    // create; queued entries (one call); run running; gw running; artifact; gw succeeded; ticket skipped; run succeeded; finish.
    expect(pending.map((c) => c.op)).toEqual([
      'create_run',
      'append_timeline',
      'append_timeline',
      'append_timeline',
      'attach_artifact',
      'append_timeline',
      'append_timeline',
      'append_timeline',
      'finish_run',
    ]);

    // The API comes back on that port.
    const back = await startFakeFleetApi({ token: 'tok', port });
    try {
      const replay = await runCli(['run', '--replay', '--api', later, '--token', 'tok', '--journal', journal]);
      expect(replay.stdout).toBe(
        `replayed ${pending.length} of ${pending.length} pending write-backs; 0 still pending (journal ${journal})\n`,
      );
      expect(replay.code).toBe(0);
      expect(back.calls.map((c) => c.idempotencyKey)).toEqual(pending.map((c) => c.idempotency_key));
      expect(back.calls.every((c) => c.status < 300)).toBe(true);
      const runId = pending[0]!.run_id;
      expect(back.runs.get(runId)!.finish).toMatchObject({ state: 'succeeded', commit_sha: null });
    } finally {
      await back.close();
    }
  });
});
