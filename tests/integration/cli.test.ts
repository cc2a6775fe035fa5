import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { migrations } from '../../data-api/migrations/index.ts';
import { freePort } from '../helpers/ports.ts';
import { runCli, spawnCli } from '../helpers/cli.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetbook-cli-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('fleetbook CLI', () => {
  it('prints its version', async () => {
    const res = await runCli(['version']);
    const pkg = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../package.json'), 'utf8'));
    expect(res).toMatchObject({ code: 0, stdout: `${pkg.version}\n` });
  });

  it.each(['start', 'migrate', 'version'])('has --help for %s', async (cmd) => {
    const res = await runCli([cmd, '--help']);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(new RegExp(`^Usage: fleetbook ${cmd}`));
  });

  it.each([
    [{ DATABASE_URL: 'postgres//broken' }, 'fleetbook: invalid configuration: DATABASE_URL: expected a URL like postgres://user@127.0.0.1:5432/fleetbook'],
    [{ PORT: 'eighty' }, 'fleetbook: invalid configuration: PORT: expected a port number (got "eighty")'],
  ])('a bad env value %o is one clear line and exit code 2', async (env, line) => {
    const res = await runCli(['start', '--no-build'], env);
    expect(res.code).toBe(2);
    expect(res.stderr).toBe(`${line}\n`);
    expect(res.stdout).toBe('');
  });

  it('a bad flag value is the same one-line error', async () => {
    const res = await runCli(['start', '--port', '99999']);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/^fleetbook: invalid configuration: PORT: expected a port between 0 and 65535 \(got "99999"\)\n$/);
  });

  it('migrate brings an embedded database up to date, then says so', { timeout: 90_000 }, async () => {
    const dataDir = path.join(tmp, 'migrate');
    const first = await runCli(['migrate', '--data-dir', dataDir]);
    const names = Object.keys(migrations).sort();
    expect(first).toMatchObject({ code: 0, stdout: names.map((n) => `applied  ${n}\n`).join('') });
    const second = await runCli(['migrate', '--data-dir', dataDir]);
    expect(second).toMatchObject({ code: 0, stdout: 'schema is up to date\n' });
  });

  it('start prints where it listens and stops cleanly on Ctrl-C (SIGINT)', async () => {
    const [port, mqttPort] = [await freePort(), await freePort()];
    const proc = spawnCli(['start', '--no-build', '--port', String(port), '--mqtt-port', String(mqttPort), '--data-dir', path.join(tmp, 'sigint')], {
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
    });
    const url = await proc.ready;
    expect(url).toBe(`http://127.0.0.1:${port}`);
    expect(proc.output()).toContain(`mqtt://127.0.0.1:${mqttPort} (embedded aedes)`);
    const res = await fetch(`${url}/api/v1/health`);
    expect(res.status).toBe(200);
    const exit = new Promise<number | null>((resolve) => proc.child.on('exit', resolve));
    proc.child.kill('SIGINT');
    expect(await exit).toBe(0);
    expect(proc.output()).toContain('fleetbook stopped.');
    // Both ports are free again: the broker and the HTTP server were closed.
    const { startEmbeddedBroker } = await import('../../data-api/src/broker/embedded.ts');
    const again = await startEmbeddedBroker({ host: '127.0.0.1', port: mqttPort });
    await again.close();
  });
});
