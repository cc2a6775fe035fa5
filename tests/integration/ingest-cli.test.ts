import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../data-api/src/kernel/db/index.ts';
import { migrateToLatest } from '../../data-api/src/kernel/db/migrator.ts';
import { verifyDevicePassword } from '../../data-api/src/telemetry/ingest/credentials.ts';
import { runCli } from '../helpers/cli.ts';
import { seedFleet } from './ingest-fixtures.ts';

// contracts.md: "`fleetbook mosquitto export` writes them [the production broker
// settings] with the ACLs"; device tokens are issued once and stored hashed.
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetbook-ingest-cli-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('fleetbook device token / mosquitto export / simulate (CLI)', () => {
  it('issues a device token, then exports passwd + ACL + tuned conf that accept it', { timeout: 240_000 }, async () => {
    const dataDir = path.join(tmp, 'data');
    const database = await openDatabase({ kind: 'pglite', dataDir: path.join(dataDir, 'pg') });
    let fleet;
    try {
      await migrateToLatest(database.db);
      fleet = await seedFleet(database.db, 'cli', {
        sites: 1,
        devices: [{ name: 'gw', role: 'gateway' }, { name: 'untokened' }],
      });
    } finally {
      await database.close();
    }
    const gw = fleet.devices.gw!;
    const env = { MQTT_URL: '', DATABASE_URL: '' };

    const issued = await runCli(['device', 'token', gw.id, '--data-dir', dataDir], env, 120_000);
    expect(issued.stderr).toBe('');
    expect(issued.code).toBe(0);
    const password = /^password (\S+)$/m.exec(issued.stdout)![1]!;
    expect(issued.stdout).toContain(`username ${gw.id}`);
    expect(issued.stdout).toContain(`may publish fleetbook/v1/${gw.site}/${gw.id}/batch`);

    const out = path.join(tmp, 'mosquitto');
    const exported = await runCli(
      [
        'mosquitto',
        'export',
        '--out',
        out,
        '--data-dir',
        dataDir,
        '--api-password',
        'api-secret',
        '--listener-port',
        '18830',
      ],
      env,
      120_000,
    );
    expect(exported.stderr).toBe('');
    expect(exported.code).toBe(0);
    expect(exported.stdout).toContain('1 devices exported; 1 without a token or site left out');
    const passwd = fs.readFileSync(path.join(out, 'fleetbook.passwd'), 'utf8').trim().split('\n');
    const users = Object.fromEntries(passwd.map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1)]));
    expect(Object.keys(users)).toEqual(['fleetbook-api', gw.id]);
    expect(verifyDevicePassword('api-secret', users['fleetbook-api']!)).toBe(true);
    expect(verifyDevicePassword(password, users[gw.id]!)).toBe(true);
    expect(fs.statSync(path.join(out, 'fleetbook.passwd')).mode & 0o777).toBe(0o640);
    const acl = fs.readFileSync(path.join(out, 'fleetbook.acl'), 'utf8');
    expect(acl).toContain(`user ${gw.id}\ntopic write fleetbook/v1/${gw.site}/${gw.id}/telemetry`);
    expect(acl).toContain(
      `topic write fleetbook/v1/${gw.site}/${gw.id}/batch\ntopic write fleetbook/v1/${gw.site}/${gw.id}/cmd/result\ntopic read fleetbook/v1/${gw.site}/${gw.id}/cmd`,
    );
    expect(acl).toContain(
      'user fleetbook-api\ntopic read fleetbook/v1/#\ntopic read $share/+/fleetbook/v1/#\ntopic write fleetbook/v1/+/+/cmd',
    );
    expect(acl).not.toContain(fleet.devices.untokened!.id);
    const conf = fs.readFileSync(path.join(out, 'fleetbook.conf'), 'utf8');
    expect(acl).toContain('topic read $SYS/broker/publish/messages/received');
    // Devices are named by their username on their listener; fleetbook keeps its ids on its own.
    expect(conf).toContain('listener 18830\nuse_username_as_clientid true\n');
    expect(conf).toMatch(/^listener 1884 127\.0\.0\.1$/m);
    expect(exported.stdout).toContain(
      'fleetbook connects on its own listener: MQTT_URL=mqtt://fleetbook-api:<password>@127.0.0.1:1884',
    );
    for (const line of [
      'listener 18830',
      'set_tcp_nodelay true',
      'max_packet_size 263168',
      'persistence true',
      'autosave_interval 60',
      'max_inflight_messages 1000',
      'max_queued_messages 1000000',
      'allow_anonymous false',
      `password_file ${path.join(out, 'fleetbook.passwd')}`,
      `acl_file ${path.join(out, 'fleetbook.acl')}`,
    ]) {
      expect(conf).toContain(`${line}\n`);
    }
  });

  it('simulate explains what it needs when run without a token', { timeout: 60_000 }, async () => {
    const res = await runCli(['simulate', '--devices', '10', '--api', 'http://127.0.0.1:9'], { FLEETBOOK_TOKEN: '' });
    expect(res.code).toBe(2);
    expect(res.stderr).toBe(
      'fleetbook: an admin token is needed to provision the simulated fleet: pass --token (the first `npm start` prints one) or set FLEETBOOK_TOKEN\n',
    );
    const bad = await runCli(['simulate', '--rate', 'fast', '--token', 'x']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--rate: expected a positive number, got "fast"');
  });
});
