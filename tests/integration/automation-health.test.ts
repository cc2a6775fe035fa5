import dgram from 'node:dgram';
import http from 'node:http';
import net from 'node:net';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryRunReporter } from '../../data-api/src/automation/journal.ts';
import { runSpec } from '../../data-api/src/automation/runner.ts';
import { makeSpec } from '../helpers/automation.ts';
import { createTestBroker, type TestBroker } from '../helpers/broker.ts';
import { startFakeFleetApi, type FakeFleetApi } from '../helpers/fake-fleet-api.ts';
import { freePort } from '../helpers/ports.ts';

// Real local servers: TCP, UDP (a Semtech-speaking one and a silent one), HTTP, an MQTT broker,
// and a stand-in registry for device_up.
let tcp: net.Server;
let tcpPort: number;
let http200: http.Server;
let httpPort: number;
let semtech: dgram.Socket;
let semtechPort: number;
let silent: dgram.Socket;
let silentPort: number;
let broker: TestBroker;
let api: FakeFleetApi;
const received: Buffer[] = [];

const listen = (server: net.Server | http.Server) =>
  new Promise<number>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)),
  );
const bindUdp = (socket: dgram.Socket) =>
  new Promise<number>((resolve) => socket.bind(0, '127.0.0.1', () => resolve(socket.address().port)));

beforeAll(async () => {
  tcp = net.createServer((s) => s.end());
  tcpPort = await listen(tcp);
  http200 = http.createServer((req, res) => {
    if (req.url === '/health') res.end('{"status":"ok","service":"chirpstack"}');
    else {
      res.statusCode = 503;
      res.end('starting');
    }
  });
  httpPort = await listen(http200);
  // A gateway bridge: answers PUSH_DATA with PUSH_ACK (version, same token, 0x01).
  semtech = dgram.createSocket('udp4');
  semtech.on('message', (msg, rinfo) => {
    received.push(msg);
    if (msg[3] === 0x00) semtech.send(Buffer.from([0x02, msg[1]!, msg[2]!, 0x01]), rinfo.port, rinfo.address);
  });
  semtechPort = await bindUdp(semtech);
  silent = dgram.createSocket('udp4');
  silentPort = await bindUdp(silent);
  broker = await createTestBroker();
  api = await startFakeFleetApi({ token: 'tok' });
  api.devices.set('gw_farm-north-1', 'up');
  api.devices.set('dev_probe-7', 'down');
});

afterAll(async () => {
  tcp.close();
  http200.close();
  semtech.close();
  silent.close();
  await broker.close();
  await api.close();
});

async function check(checks: Array<Record<string, unknown>>, withApi = true) {
  const run = await runSpec({
    spec: makeSpec([{ id: 'checks', type: 'run_health_checks', with: { checks } }]),
    reporter: new MemoryRunReporter(withApi ? { base: api.url, token: 'tok' } : undefined),
    runId: 'arun_HEALTH',
  });
  const action = run.actions[0]!;
  return {
    run,
    action,
    lines: action.log.filter((l) => /^(PASS|FAIL)  /.test(l)).map((l) => l.replace(/  \(\d+(\.\d+)? m?s\)$/, '')),
  };
}

describe('run_health_checks against real local servers', () => {
  it('tcp: an accepted connection passes; a closed port fails', async () => {
    const closed = await freePort();
    const { action, lines } = await check([
      { tcp: `127.0.0.1:${tcpPort}` },
      { name: 'closed', tcp: `127.0.0.1:${closed}` },
    ]);
    expect(lines).toEqual([`PASS  tcp 127.0.0.1:${tcpPort}  connected`, 'FAIL  closed  connection refused']);
    expect(action.state).toBe('failed');
    expect(action.error).toBe('1 of 2 checks failed: closed (connection refused)');
  });

  it('udp 1700-style: a Semtech PUSH_DATA probe gets its PUSH_ACK', async () => {
    const { action, lines } = await check([
      { udp: `127.0.0.1:${semtechPort}`, probe: 'semtech', expect: 'reply', gateway_eui: 'AA555A0000000001' },
    ]);
    expect(action.state).toBe('succeeded');
    expect(lines).toEqual([`PASS  udp 127.0.0.1:${semtechPort}  PUSH_ACK received`]);
    const probe = received.at(-1)!;
    expect(probe[0]).toBe(0x02);
    expect(probe[3]).toBe(0x00);
    expect(probe.subarray(4, 12).toString('hex')).toBe('aa555a0000000001');
    expect(probe.subarray(12).toString()).toBe('{}');
  });

  it('udp: ICMP port unreachable fails; silence passes with expect no_error and fails with expect reply', async () => {
    const closed = await freePort();
    const { lines } = await check([
      { name: 'closed', udp: `127.0.0.1:${closed}`, timeout_s: 1 },
      { name: 'silent', udp: `127.0.0.1:${silentPort}`, timeout_s: 0.3 },
      { name: 'silent-reply', udp: `127.0.0.1:${silentPort}`, expect: 'reply', timeout_s: 0.3 },
    ]);
    expect(lines).toEqual([
      'FAIL  closed  port unreachable (ICMP error): nothing listens there',
      'PASS  silent  no reply and no ICMP error within 300 ms (sent an empty datagram; UDP cannot prove more)',
      'FAIL  silent-reply  no reply within 300 ms',
    ]);
  });

  it('http: the expected status passes, another status fails, `contains` is checked', async () => {
    const base = `http://127.0.0.1:${httpPort}`;
    const { lines } = await check([
      { http: `${base}/health`, contains: '"status":"ok"' },
      { name: 'starting', http: `${base}/`, expect_status: 200 },
      { name: 'expects 503', http: `${base}/`, expect_status: 503 },
      { name: 'wrong body', http: `${base}/health`, contains: 'postgres' },
    ]);
    expect(lines).toEqual([
      `PASS  http ${base}/health  HTTP 200, body contains "\\"status\\":\\"ok\\""`,
      'FAIL  starting  HTTP 503 Service Unavailable, expected 200',
      'PASS  expects 503  HTTP 503',
      'FAIL  wrong body  HTTP 200, but the body does not contain "postgres"',
    ]);
  });

  it('mqtt: connects and publishes at QoS 1 (the message arrives); a closed port fails', async () => {
    const sub = await mqtt.connectAsync(broker.url, { clientId: 'health-test-sub' });
    const got = new Promise<{ topic: string; payload: string }>((resolve) =>
      sub.on('message', (topic, payload) => resolve({ topic, payload: payload.toString() })),
    );
    await sub.subscribeAsync('fleetbook/healthcheck/#', { qos: 1 });
    const closed = await freePort();
    const { lines } = await check([
      { name: 'broker', mqtt: broker.url },
      { name: 'no broker', mqtt: `mqtt://127.0.0.1:${closed}`, timeout_s: 2 },
    ]);
    const message = await got;
    await sub.endAsync();
    expect(lines[0]).toBe(
      'PASS  broker  connected, published to fleetbook/healthcheck/arun_HEALTH (QoS 1, acknowledged)',
    );
    expect(lines[1]).toMatch(/^FAIL  no broker  connect failed: connection refused$/);
    expect(message.topic).toBe('fleetbook/healthcheck/arun_HEALTH');
    expect(JSON.parse(message.payload)).toMatchObject({ run_id: 'arun_HEALTH' });
  });

  it('device_up: the registry says up → pass; down until the timeout, unknown id, or no API → fail', async () => {
    const { lines } = await check([
      { device_up: 'gw_farm-north-1' },
      { device_up: 'dev_probe-7', timeout_s: 1.5 },
      { device_up: 'dev_nowhere' },
    ]);
    expect(lines).toEqual([
      'PASS  device_up gw_farm-north-1  gw_farm-north-1 is up',
      'FAIL  device_up dev_probe-7  dev_probe-7 not up within 1.5 s (last: status down)',
      'FAIL  device_up dev_nowhere  dev_nowhere is not in the registry (404)',
    ]);
    const gets = api.calls.filter((c) => c.path === '/api/v1/devices/gw_farm-north-1');
    expect(gets.every((c) => c.authorization === 'Bearer tok')).toBe(true);
    const offline = await check([{ device_up: 'gw_farm-north-1' }], false);
    expect(offline.lines).toEqual([
      'FAIL  device_up gw_farm-north-1  device_up needs the API: run with --api URL (and --token)',
    ]);
  });

  it('device_up waits for a device that comes up', async () => {
    api.devices.set('dev_late', 'down');
    setTimeout(() => api.devices.set('dev_late', 'up'), 1200);
    const { action } = await check([{ device_up: 'dev_late', timeout_s: 5 }]);
    expect(action.state).toBe('succeeded');
  });

  it('every check runs even after one fails; the action is retried as a whole when asked', async () => {
    const closed = await freePort();
    const run = await runSpec({
      spec: makeSpec([
        {
          id: 'checks',
          type: 'run_health_checks',
          retries: 1,
          retry_delay_s: 0.01,
          with: { checks: [{ tcp: `127.0.0.1:${closed}` }, { tcp: `127.0.0.1:${tcpPort}` }] },
        },
      ]),
      reporter: new MemoryRunReporter(),
    });
    const action = run.actions[0]!;
    expect(action.attempts).toBe(2);
    expect(action.log.filter((l) => l.startsWith('PASS'))).toHaveLength(2);
    expect(action.log.filter((l) => l.startsWith('FAIL'))).toHaveLength(2);
  });
});
