import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { migrations } from '../../data-api/migrations/index.ts';
import { freePort } from '../helpers/ports.ts';
import { runCli, spawnCli, stopCli } from '../helpers/cli.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetbook-cli-'));
// Retries: a fleetbook stopped by a test may still be closing its PGlite files when the folder goes.
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 }));

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
    [
      { DATABASE_URL: 'postgres//broken' },
      'fleetbook: invalid configuration: DATABASE_URL: expected a URL like postgres://user@127.0.0.1:5432/fleetbook',
    ],
    [{ PORT: 'eighty' }, 'fleetbook: invalid configuration: PORT: expected a port number (got "eighty")'],
  ])('a bad env value %o is one clear line and exit code 2', async (env, line) => {
    const res = await runCli(['start', '--no-build'], env);
    expect(res.code).toBe(2);
    expect(res.stderr).toBe(`${line}\n`);
    expect(res.stdout).toBe('');
  });

  it.each(['frobnicate', 'firmware bogus', 'firmware --version', 'token bogus'])(
    'an unknown command or option (fleetbook %s) is an error: exit 1, nothing on stdout',
    async (line) => {
      const res = await runCli(line.split(' '));
      expect(res.code).toBe(1);
      expect(res.stderr).toMatch(/^error: unknown (command|option) '/);
      expect(res.stdout).toBe('');
    },
  );

  it('a bad flag value is the same one-line error', async () => {
    const res = await runCli(['start', '--port', '99999']);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(
      /^fleetbook: invalid configuration: PORT: expected a port between 0 and 65535 \(got "99999"\)\n$/,
    );
  });

  it('token create refuses a name of fleetbook’s own actors (system:…, station:…) before it opens a database', async () => {
    const dataDir = path.join(tmp, 'never-opened');
    const res = await runCli(['token', 'create', '--name', 'system:ingest', '--role', 'admin', '--data-dir', dataDir]);
    expect(res.code).toBe(2);
    expect(res.stderr).toBe(
      "fleetbook: --name: system:ingest: names beginning with system: or station: are fleetbook's own (its background jobs and RFID stations)\n",
    );
    expect(fs.existsSync(dataDir)).toBe(false);
  });

  it('migrate brings an embedded database up to date, then says so', { timeout: 90_000 }, async () => {
    const dataDir = path.join(tmp, 'migrate');
    const first = await runCli(['migrate', '--data-dir', dataDir]);
    const names = Object.keys(migrations).sort();
    expect(first).toMatchObject({ code: 0, stdout: names.map((n) => `applied  ${n}\n`).join('') });
    const second = await runCli(['migrate', '--data-dir', dataDir]);
    expect(second).toMatchObject({ code: 0, stdout: 'schema is up to date\n' });
  });

  it('start prints where it listens and stops cleanly on Ctrl-C (SIGINT)', { timeout: 150_000 }, async () => {
    const [port, mqttPort] = [await freePort(), await freePort()];
    const proc = spawnCli(
      [
        'start',
        '--no-build',
        '--port',
        String(port),
        '--mqtt-port',
        String(mqttPort),
        '--data-dir',
        path.join(tmp, 'sigint'),
      ],
      {
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
      },
    );
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
    const { startEmbeddedBroker } = await import('../../data-api/src/telemetry/broker/embedded.ts');
    const again = await startEmbeddedBroker({ host: '127.0.0.1', port: mqttPort });
    await again.close();
  });

  it(
    'with 1883 taken (a local Mosquitto), start takes the next free MQTT port and says which; --mqtt-port 1883 refuses',
    { timeout: 150_000 },
    async () => {
      // Hold 1883 ourselves unless something (the machine's Mosquitto) already does: either way it is taken.
      const holder = net.createServer();
      await new Promise<void>((resolve) => {
        holder.once('error', () => resolve());
        holder.listen(1883, '127.0.0.1', () => resolve());
      });
      const env = { HOST: '127.0.0.1', LOG_LEVEL: 'error', MQTT_PORT: '' };
      let proc: ReturnType<typeof spawnCli> | undefined;
      try {
        const port = await freePort();
        proc = spawnCli(
          ['start', '--no-build', '--port', String(port), '--data-dir', path.join(tmp, 'next-port')],
          env,
        );
        const url = await proc.ready;
        const moved =
          /MQTT\s+mqtt:\/\/127\.0\.0\.1:(\d+) \(embedded aedes; port 1883 is taken, so the next free one\)/.exec(
            proc.output(),
          );
        expect(moved, proc.output()).not.toBeNull();
        const mqttPort = Number(moved![1]);
        expect(mqttPort).toBeGreaterThan(1883);
        expect(mqttPort).toBeLessThanOrEqual(1883 + 20);
        const health = await (await fetch(`${url}/api/v1/health`)).json();
        expect(health.broker).toMatchObject({
          status: 'up',
          kind: 'aedes',
          url: `mqtt://127.0.0.1:${mqttPort}`,
          port: mqttPort,
          requested_port: 1883,
        });

        const explicit = await runCli(
          [
            'start',
            '--no-build',
            '--port',
            String(await freePort()),
            '--mqtt-port',
            '1883',
            '--data-dir',
            path.join(tmp, 'explicit'),
          ],
          env,
        );
        expect(explicit.code).toBe(1);
        expect(explicit.stderr).toBe(
          'fleetbook: port 1883 (MQTT) is already in use: stop the other process or choose another with --mqtt-port or MQTT_PORT\n',
        );
      } finally {
        await stopCli(proc);
        await new Promise((resolve) => holder.close(resolve));
      }
    },
  );

  it(
    'token create/list/revoke work while `fleetbook start` holds the embedded database: through its API',
    { timeout: 150_000 },
    async () => {
      const dataDir = path.join(tmp, 'busy');
      const [port, mqttPort] = [await freePort(), await freePort()];
      const proc = spawnCli(
        ['start', '--no-build', '--port', String(port), '--mqtt-port', String(mqttPort), '--data-dir', dataDir],
        { HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
      );
      try {
        const url = await proc.ready;
        const instanceFile = path.join(dataDir, 'instance.json');
        expect(fs.statSync(instanceFile).mode & 0o777).toBe(0o600); // the run's admin token: the owner's only

        const created = await runCli([
          'token',
          'create',
          '--name',
          'grafana',
          '--role',
          'viewer',
          '--data-dir',
          dataDir,
        ]);
        expect(created.code, created.stderr).toBe(0);
        expect(created.stdout).toMatch(/^fbk_\S+\n$/);
        expect(created.stderr).toContain(`through its API at http://127.0.0.1:${port}`);
        const token = created.stdout.trim();
        const whoami = await fetch(`${url}/api/v1/whoami`, { headers: { authorization: `Bearer ${token}` } });
        expect(await whoami.json()).toMatchObject({ name: 'grafana', role: 'viewer' });

        const listed = await runCli(['token', 'list', '--data-dir', dataDir]);
        expect(listed.code).toBe(0);
        const line = listed.stdout.split('\n').find((l) => l.endsWith(' grafana'))!;
        expect(line).toMatch(/^tok_\S+ {2}fbk_\S+_… {2}viewer +grafana$/);
        const id = line.split(' ')[0]!;
        const revoked = await runCli(['token', 'revoke', id, '--data-dir', dataDir]);
        expect(revoked).toMatchObject({ code: 0, stdout: `revoked ${id}\n` });
        expect((await fetch(`${url}/api/v1/whoami`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(
          401,
        );
        const again = await runCli(['token', 'revoke', id, '--data-dir', dataDir]);
        expect(again.code).toBe(1);
        expect(again.stderr).toContain(`token ${id} not found or already revoked`);
      } finally {
        await stopCli(proc);
      }
      // Stopped: the file and its token are gone, and the CLI opens the database itself again.
      expect(fs.existsSync(path.join(dataDir, 'instance.json'))).toBe(false);
      const direct = await runCli(['token', 'list', '--data-dir', dataDir]);
      expect(direct.code).toBe(0);
      expect(direct.stderr).toBe('');
      expect(direct.stdout).toContain('grafana  (revoked)');
      expect(direct.stdout).not.toContain('fleetbook CLI (local instance)');
    },
  );
});
