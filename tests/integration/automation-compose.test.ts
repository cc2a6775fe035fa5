import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryRunReporter } from '../../data-api/src/automation/journal.ts';
import { runSpec } from '../../data-api/src/automation/runner.ts';
import { makeSpec, tempDir } from '../helpers/automation.ts';
import { createStandIns, type StandInBehaviour } from '../helpers/stand-ins.ts';

// No Docker engine here (and no compose plugin): a recording `docker` (and `ssh`) stand-in goes
// first on PATH. `config -q` answers silently with exit 0 unless a test says otherwise.
const CONFIG = 'config -q';
const quietConfig = (programs: Record<string, StandInBehaviour>) =>
  Object.fromEntries(
    Object.entries(programs).map(([cmd, b]) => [cmd, { ...b, byArgs: { [CONFIG]: {}, ...b.byArgs } }]),
  );
const tmp = tempDir('compose');
afterAll(tmp.cleanup);
let n = 0;

async function deploy(
  withValue: Record<string, unknown>,
  programs: Record<string, StandInBehaviour>,
  action: Record<string, unknown> = {},
) {
  const standIns = createStandIns(path.join(tmp.dir, `bin-${++n}`), quietConfig(programs));
  const run = await runSpec({
    spec: makeSpec([{ id: 'stack', type: 'deploy_compose_stack', with: withValue, ...action }]),
    reporter: new MemoryRunReporter(),
    env: { ...process.env, PATH: standIns.path },
    retryDelayScale: 0,
  });
  return { run, action: run.actions[0]!, calls: standIns.calls() };
}

describe('deploy_compose_stack with a stand-in docker / ssh', () => {
  it('runs docker compose -p <stack> -f <files> up -d locally, in project_dir, and keeps its output', async () => {
    const projectDir = path.join(tmp.dir, 'project');
    fs.mkdirSync(projectDir, { recursive: true });
    const { run, action, calls } = await deploy(
      {
        stack: 'chirpstack',
        files: ['docker-compose.yml', 'docker-compose.override.yml'],
        project_dir: projectDir,
        pull: true,
      },
      { docker: { stdout: [' Container chirpstack-postgres-1  Started', ' Container chirpstack-1  Started'] } },
    );
    expect(run.state).toBe('succeeded');
    expect(calls).toEqual([
      {
        cmd: 'docker',
        argv: [
          'compose',
          '-p',
          'chirpstack',
          '-f',
          'docker-compose.yml',
          '-f',
          'docker-compose.override.yml',
          'config',
          '-q',
        ],
        cwd: projectDir,
      },
      {
        cmd: 'docker',
        argv: [
          'compose',
          '-p',
          'chirpstack',
          '-f',
          'docker-compose.yml',
          '-f',
          'docker-compose.override.yml',
          'up',
          '-d',
          '--pull',
          'always',
        ],
        cwd: projectDir,
      },
    ]);
    expect(action.log).toEqual([
      '$ docker compose -p chirpstack -f docker-compose.yml -f docker-compose.override.yml config -q',
      'compose files valid (docker compose config -q)',
      '$ docker compose -p chirpstack -f docker-compose.yml -f docker-compose.override.yml up -d --pull always',
      ' Container chirpstack-postgres-1  Started',
      ' Container chirpstack-1  Started',
    ]);
    expect(action.summary).toBe('stack chirpstack up');
  });

  it('over ssh: one quoted remote command, non-interactive, with user, port and key', async () => {
    const { run, calls } = await deploy(
      {
        stack: 'chirpstack',
        host: 'cs-farm-north',
        user: 'ops',
        port: 2222,
        identity_file: '/keys/id_ed25519',
        project_dir: '/opt/chirp stack',
        files: ['compose.yaml'],
        wait: true,
      },
      { ssh: {}, docker: {} },
    );
    expect(run.state).toBe('succeeded');
    const ssh = [
      '-o',
      'BatchMode=yes',
      '-o',
      'ConnectTimeout=15',
      '-p',
      '2222',
      '-i',
      '/keys/id_ed25519',
      'ops@cs-farm-north',
      '--',
    ];
    expect(calls).toEqual([
      {
        cmd: 'ssh',
        argv: [...ssh, "cd '/opt/chirp stack' && docker compose -p chirpstack -f compose.yaml config -q"],
        cwd: expect.any(String),
      },
      {
        cmd: 'ssh',
        argv: [...ssh, "cd '/opt/chirp stack' && docker compose -p chirpstack -f compose.yaml up -d --wait"],
        cwd: expect.any(String),
      },
    ]);
  });

  it('a non-zero exit fails the action with the last stderr line', async () => {
    const { run, action } = await deploy(
      { stack: 'chirpstack' },
      {
        docker: {
          exitCode: 1,
          stderr: ['pulling…', 'Error response from daemon: manifest for chirpstack/chirpstack:9 not found'],
        },
      },
    );
    expect(run.state).toBe('failed');
    expect(action.error).toBe(
      'docker compose exited with code 1: Error response from daemon: manifest for chirpstack/chirpstack:9 not found',
    );
    expect(action.log).toContain('Error response from daemon: manifest for chirpstack/chirpstack:9 not found');
  });

  it('ssh exit 255 says the connection failed', async () => {
    const refused = { exitCode: 255, stderr: ['ssh: connect to host cs port 22: Connection refused'] };
    const { action } = await deploy(
      { stack: 'chirpstack', host: 'cs' },
      { ssh: { ...refused, byArgs: { [CONFIG]: refused } } },
    );
    expect(action.error).toBe(
      'docker compose config on cs exited with code 255 (ssh could not connect or authenticate): ssh: connect to host cs port 22: Connection refused; the stack was not started',
    );
  });

  it('is retried (idempotent): fails twice, succeeds the third time', async () => {
    const { run, action, calls } = await deploy(
      { stack: 'chirpstack' },
      { docker: { failTimes: 2, failCode: 17 } },
      { retries: 2 },
    );
    expect(run.state).toBe('succeeded');
    expect(calls.map((c) => c.argv.at(-1))).toEqual(['-q', '-d', '-q', '-d', '-q', '-d']);
    expect(action.attempts).toBe(3);
    expect(action.log.filter((l) => l.startsWith('attempt'))).toEqual([
      'attempt 1 of 3 failed: docker compose exited with code 17; retrying in 5 s',
      'attempt 2 of 3 failed: docker compose exited with code 17; retrying in 5 s',
    ]);
  });

  it('runs `docker compose config -q` first: a stack Compose refuses is never brought up, and the action says why', async () => {
    const { run, action, calls } = await deploy(
      { stack: 'chirpstack', project_dir: tmp.dir },
      {
        docker: {
          byArgs: {
            [CONFIG]: {
              exitCode: 15,
              stderr: [
                'required variable CHIRPSTACK_API_SECRET is missing a value: set CHIRPSTACK_API_SECRET (openssl rand -base64 32)',
              ],
            },
          },
        },
      },
      { retries: 2 },
    );
    expect(run.state).toBe('failed');
    // Not up: only the checks ran (one per attempt: a retry may follow a fixed .env).
    expect(calls.map((c) => c.argv.slice(-2).join(' '))).toEqual([CONFIG, CONFIG, CONFIG]);
    expect(action.error).toBe(
      'docker compose config exited with code 15: required variable CHIRPSTACK_API_SECRET is missing a value: set CHIRPSTACK_API_SECRET (openssl rand -base64 32)' +
        '; the stack was not started',
    );
    expect(action.log).not.toContain('compose files valid (docker compose config -q)');
  });

  it('over ssh, a refused config names the host and stops there', async () => {
    const { action, calls } = await deploy(
      { stack: 'chirpstack', host: 'cs-farm-north', project_dir: '/opt/chirpstack' },
      {
        ssh: {
          byArgs: {
            [CONFIG]: { exitCode: 1, stderr: ['services.chirpstack Additional property image_name is not allowed'] },
          },
        },
      },
    );
    expect(calls).toHaveLength(1);
    expect(action.error).toBe(
      'docker compose config on cs-farm-north exited with code 1: services.chirpstack Additional property image_name is not allowed; the stack was not started',
    );
  });

  it('is stopped at its timeout', async () => {
    const started = Date.now();
    const { action } = await deploy({ stack: 'chirpstack' }, { docker: { sleepMs: 20_000 } }, { timeout_s: 0.5 });
    expect(action.error).toBe('timed out after 500 ms');
    expect(Date.now() - started).toBeLessThan(8000);
  });

  it('says so when docker is not installed', async () => {
    const run = await runSpec({
      spec: makeSpec([{ id: 'stack', type: 'deploy_compose_stack', with: { stack: 'chirpstack' } }]),
      reporter: new MemoryRunReporter(),
      env: { PATH: path.join(tmp.dir, 'empty-bin') },
    });
    expect(run.actions[0]!.error).toBe('docker is not installed (not found on PATH)');
  });
});
