import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import fs from 'node:fs';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AutoCheckResult, Execution } from '../../data-api/src/contracts/executions.ts';
import { decodePullData, encodePullAck } from '../../data-api/src/runbooks/auto-check/semtech-udp.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { tempDir } from '../helpers/automation.ts';
import { bearer, client, must, type Client } from '../helpers/registry.ts';

// runbooks.md: a checklist item's `auto_check` is run by the API (POST …/items/:item_id/check)
// on the target the runbook names, templates filled in from the execution's site, deployment
// and device. Real peers: a TCP listener, an HTTP server, a UDP socket answering PULL_DATA with
// PULL_ACK as Semtech's PROTOCOL.TXT (v1.3, §5.2–5.3) says, the test broker (Mosquitto with
// TEST_MQTT_URL), the registry's device status.

const run = randomBytes(3).toString('hex');
const SITE = `site_ac-${run}`;
const DEP = `dep_ac-${run}`;
const DEVICE = `gw_ac-${run}`;

const runbook = (p: { tcp: number; closed: number; http: number; udp: number; udpBad: number }) => `---
id: rb-auto-check
title: Probe everything
kind: runbook
version: 1
owner: ops
product_code: lorawan-gw
product_versions: ">=2.0 <3"
estimated_minutes: 5
gates:
  - id: g1-probes
    title: Probes
    checklist:
      - id: tcp-open
        text: SSH answers
        evidence: none
        auto_check: { tcp: "127.0.0.1:${p.tcp}" }
      - id: tcp-closed
        text: Nothing listens here
        evidence: none
        auto_check: { tcp: "127.0.0.1:${p.closed}" }
      - id: http-ok
        text: Web UI answers
        evidence: none
        auto_check: { http: "http://127.0.0.1:${p.http}/moved" }
      - id: http-fail
        text: Health page answers
        evidence: none
        auto_check: { http: "http://127.0.0.1:${p.http}/fail" }
      - id: http-away
        text: Redirects elsewhere
        evidence: none
        auto_check: { http: "http://127.0.0.1:${p.http}/away" }
      - id: udp-ok
        text: Network server answers the packet forwarder
        evidence: none
        auto_check: { udp: "127.0.0.1:${p.udp}" }
      - id: udp-bad-token
        text: A server that answers with the wrong token
        evidence: none
        auto_check: { udp: "127.0.0.1:${p.udpBad}" }
      - id: udp-closed
        text: Nothing listens on this UDP port
        evidence: none
        auto_check: { udp: "127.0.0.1:${p.closed}" }
      - id: mqtt-state
        text: Device state seen
        evidence: none
        auto_check: { mqtt: "fleetbook/v1/{{site.id}}/{{device.id}}/state" }
      - id: mqtt-silent
        text: Nothing on this topic
        evidence: none
        auto_check: { mqtt: "fleetbook/v1/{{site.id}}/{{device.id}}/silent" }
      - id: device-up
        text: Device up
        evidence: note
        auto_check: { device_up: "{{device.id}}" }
      - id: vm-ssh
        text: VM answers SSH
        evidence: none
        auto_check: { tcp: "{{vm.ip}}:22" }
      - id: net-server
        text: Network server on the site's network server field
        evidence: none
        auto_check: { udp: "{{site.network_server}}:1700" }
      - id: net-server-here
        text: The site's network server answers the packet forwarder
        evidence: none
        auto_check: { udp: "{{site.network_server}}:${p.udp}" }
      - id: by-hand
        text: No probe here
        evidence: none
---

# Probe everything
`;

interface Probed {
  probe: string;
  passed: boolean;
  detail: string;
}
interface AuditAfter {
  item_id?: string;
  auto_check?: Probed;
  item?: { id: string; checked: boolean };
}

describe('runbook items: auto_check probes', () => {
  const tmp = tempDir('rb-auto-check');
  let t: TestApp;
  let admin: Client, op: Client, viewer: Client, other: Client;
  let exec: Execution;
  const closers: Array<() => Promise<void>> = [];
  let pullDataSeen: Buffer | null = null;

  const check = (as: Client, item: string, body: unknown = {}) =>
    as.post(`/runbook-executions/${exec.id}/items/${item}/check`, body);
  const verdict = async (item: string): Promise<AutoCheckResult> => must(check(op, item), 200);

  beforeAll(async () => {
    // TCP: a listener that accepts; a port nothing listens on (bound, then closed).
    const tcp = net.createServer((s) => s.end());
    await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
    closers.push(() => new Promise((r) => tcp.close(() => r())));
    const gone = net.createServer();
    await new Promise<void>((r) => gone.listen(0, '127.0.0.1', r));
    const closed = (gone.address() as AddressInfo).port;
    await new Promise<void>((r) => gone.close(() => r()));

    // HTTP: /moved → /ok (same host), /ok 200, /fail 503, /away → another host.
    const web = http.createServer((req, res) => {
      const port = (web.address() as AddressInfo).port;
      if (req.url === '/moved') res.writeHead(302, { location: '/ok' }).end();
      else if (req.url === '/ok') res.writeHead(200).end('ok');
      else if (req.url === '/away') res.writeHead(301, { location: `http://localhost:${port}/ok` }).end();
      else res.writeHead(503).end('down');
    });
    await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
    closers.push(() => new Promise((r) => web.close(() => r())));

    // UDP: a network server answering PULL_DATA with PULL_ACK (same token); one answering with another token.
    const udp = dgram.createSocket('udp4');
    udp.on('message', (msg, from) => {
      const pull = decodePullData(msg);
      if (!pull) return;
      pullDataSeen = Buffer.from(msg);
      udp.send(encodePullAck(pull.token), from.port, from.address);
    });
    await new Promise<void>((r) => udp.bind(0, '127.0.0.1', r));
    closers.push(() => new Promise((r) => udp.close(() => r())));
    const udpBad = dgram.createSocket('udp4');
    udpBad.on('message', (msg, from) => {
      const pull = decodePullData(msg);
      if (pull)
        udpBad.send(encodePullAck(Buffer.from([pull.token[0]! ^ 0xff, pull.token[1]!])), from.port, from.address);
    });
    await new Promise<void>((r) => udpBad.bind(0, '127.0.0.1', r));
    closers.push(() => new Promise((r) => udpBad.close(() => r())));

    fs.mkdirSync(path.join(tmp.dir, 'runbooks'), { recursive: true });
    fs.mkdirSync(path.join(tmp.dir, 'docs'), { recursive: true });
    fs.writeFileSync(
      path.join(tmp.dir, 'runbooks', 'auto-check.mdx'),
      runbook({
        tcp: (tcp.address() as AddressInfo).port,
        closed,
        http: (web.address() as AddressInfo).port,
        udp: udp.address().port,
        udpBad: udpBad.address().port,
      }),
    );

    t = await createTestApp({ runbooksRoot: tmp.dir });
    const db = t.ctx.db;
    admin = client(t.app, await bearer(db, 'admin'));
    op = client(t.app, await bearer(db, 'operator', null, 'olga'));
    viewer = client(t.app, await bearer(db, 'viewer', null, 'vic'));
    await must(admin.post('/customers', { id: `cus_ac-${run}`, name: 'Probe farms' }));
    await must(admin.post('/customers', { id: `cus_ac-other-${run}`, name: 'Other farms' }));
    other = client(t.app, await bearer(db, 'operator', `cus_ac-other-${run}`, 'otto'));
    await must(admin.post('/sites', { id: SITE, customer_id: `cus_ac-${run}`, name: 'Probe site' }));
    await must(
      admin.post('/deployments', {
        id: DEP,
        site_id: SITE,
        product_code: 'lorawan-gw',
        product_version: '2.1.0',
        state: 'installing',
      }),
    );
    await must(
      admin.post('/devices', {
        id: DEVICE,
        site_id: SITE,
        deployment_id: DEP,
        product_code: 'lorawan-gw',
        role: 'gateway',
        name: 'gw',
      }),
    );
    exec = await must(op.post('/runbook-executions', { runbook_id: 'rb-auto-check', deployment_id: DEP }));
  }, 60_000);

  afterAll(async () => {
    if (t) {
      // The retained state message stays on a shared Mosquitto: clear it.
      await t.broker.client.publishAsync(`fleetbook/v1/${SITE}/${DEVICE}/state`, '', { retain: true, qos: 1 });
      await t.close();
    }
    for (const c of closers) await c();
    tmp.cleanup();
  });

  it('the execution says which items have a probe, as the runbook writes it', () => {
    const items = exec.gates.flatMap((g) => g.items);
    expect(items.find((i) => i.id === 'mqtt-state')!.auto_check).toEqual({
      probe: 'mqtt',
      target: 'fleetbook/v1/{{site.id}}/{{device.id}}/state',
    });
    expect(items.find((i) => i.id === 'by-hand')!.auto_check).toBeNull();
  });

  it('tcp: a connection accepted ticks the item with a note, by the caller; a refused one does not', async () => {
    const ok = await verdict('tcp-open');
    expect(ok.passed).toBe(true);
    expect(ok.probe).toBe('tcp');
    expect(ok.note).toMatch(/^auto_check tcp 127\.0\.0\.1:\d+: connected in \d+ ms$/);
    expect(ok.item).toMatchObject({ checked: true, note: ok.note, by: 'olga', version: 1 });

    const refused = await verdict('tcp-closed');
    expect(refused).toMatchObject({ passed: false, note: null });
    expect(refused.detail).toMatch(/ECONNREFUSED/);
    expect(refused.item).toMatchObject({ checked: false, note: null, version: 0 });

    const now: Execution = await must(op.get(`/runbook-executions/${exec.id}`), 200);
    const items = now.gates.flatMap((g) => g.items);
    expect(items.find((i) => i.id === 'tcp-open')).toMatchObject({ checked: true, note: ok.note, by: 'olga' });
    expect(items.find((i) => i.id === 'tcp-closed')).toMatchObject({ checked: false, version: 0 });
  });

  it('http: 2xx after a same-host redirect passes; 503 and a redirect to another host fail', async () => {
    const ok = await verdict('http-ok');
    expect(ok.passed).toBe(true);
    expect(ok.detail).toMatch(/^HTTP 200 in \d+ ms$/);
    const fail = await verdict('http-fail');
    expect(fail).toMatchObject({ passed: false, detail: 'HTTP 503, not 2xx' });
    const away = await verdict('http-away');
    expect(away.passed).toBe(false);
    expect(away.detail).toMatch(/redirects to another host \(localhost:\d+\): not followed/);
  });

  it('udp: a PULL_DATA answered by a PULL_ACK with its token passes; another token or nothing listening fails', async () => {
    const ok = await verdict('udp-ok');
    expect(ok.passed).toBe(true);
    expect(ok.detail).toMatch(/^PULL_ACK in \d+ ms$/);
    // What the server received: protocol version 2, PULL_DATA 0x02, an 8-byte gateway EUI.
    expect(pullDataSeen).not.toBeNull();
    expect(pullDataSeen!.length).toBe(12);
    expect([pullDataSeen![0], pullDataSeen![3]]).toEqual([2, 0x02]);

    const bad = await verdict('udp-bad-token');
    expect(bad.passed).toBe(false);
    expect(bad.detail).toMatch(/^no PULL_ACK within 5 s \(got token [0-9a-f]{4}, not the PULL_DATA's [0-9a-f]{4}\)$/);
    const closed = await verdict('udp-closed');
    expect(closed.passed).toBe(false);
    expect(closed.detail).toMatch(/ECONNREFUSED|no PULL_ACK within/);
  }, 20_000);

  it("mqtt: the device's retained state on its topic (templates filled in) passes; a silent topic fails", async () => {
    await t.broker.client.publishAsync(
      `fleetbook/v1/${SITE}/${DEVICE}/state`,
      JSON.stringify({ schema_version: 1, status: 'running' }),
      { retain: true, qos: 1 },
    );
    const ok = await verdict('mqtt-state');
    expect(ok.target).toBe(`fleetbook/v1/${SITE}/${DEVICE}/state`);
    expect(ok.passed).toBe(true);
    expect(ok.detail).toMatch(/^retained message \(\d+ bytes\) seen in \d+ ms$/);
    const silent = await verdict('mqtt-silent');
    expect(silent).toMatchObject({ passed: false, detail: 'no message within 5 s' });
  }, 20_000);

  it("device_up: the registry's status decides; a pass ticks a note item (the probe's note is its evidence)", async () => {
    const down = await verdict('device-up');
    expect(down).toMatchObject({ passed: false, target: DEVICE });
    expect(down.detail).toBe(`device ${DEVICE} is unknown (never seen)`);
    await sql`update devices set status = 'up', last_seen = now(), observed_state = observed_state || '{"status":"up"}'::jsonb where id = ${DEVICE}`.execute(
      t.ctx.db,
    );
    const up = await verdict('device-up');
    expect(up.passed).toBe(true);
    expect(up.item).toMatchObject({ checked: true, by: 'olga' });
    expect(up.item.note).toMatch(new RegExp(`^auto_check device_up ${DEVICE}: device ${DEVICE} is up \\(last seen `));
  });

  it('a template the execution cannot fill in is a 409 naming it', async () => {
    const vm = await check(op, 'vm-ssh');
    expect(vm.statusCode).toBe(409);
    expect(vm.json().message).toMatch(/^\{\{vm\.ip\}\} is not known for this execution/);
    const ns = await check(op, 'net-server');
    expect(ns.statusCode).toBe(409);
    expect(ns.json().message).toBe(
      `{{site.network_server}} is not known for this execution: site ${SITE} has no network_server set`,
    );
    const none = await check(op, 'by-hand');
    expect(none.statusCode).toBe(409);
    expect(none.json().message).toMatch(/^item by-hand has no auto_check/);
  });

  it('{{site.network_server}} is the site’s network_server field: set on the site, the probe reaches it', async () => {
    const bad = await admin.patch(`/sites/${SITE}`, { network_server: 'udp://127.0.0.1:1700' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().issues).toEqual([
      expect.objectContaining({
        path: 'body.network_server',
        message: expect.stringMatching(/^expected a host name or IPv4 address/),
      }),
    ]);
    const site = await must(admin.patch(`/sites/${SITE}`, { network_server: '127.0.0.1' }), 200);
    expect(site.network_server).toBe('127.0.0.1');
    const ok = await verdict('net-server-here');
    expect(ok).toMatchObject({
      passed: true,
      probe: 'udp',
      template: '{{site.network_server}}:' + ok.target.split(':')[1],
    });
    expect(ok.target).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(ok.detail).toMatch(/^PULL_ACK in \d+ ms$/);
    await must(admin.patch(`/sites/${SITE}`, { network_server: null }), 200);
  });

  it('roles and tenancy: a viewer gets 403, another customer 404; a stale if_version 409; the body names no target', async () => {
    expect((await check(viewer, 'tcp-open')).statusCode).toBe(403);
    expect((await check(other, 'tcp-open')).statusCode).toBe(404);
    expect((await check(op, 'tcp-open', { if_version: 0 })).statusCode).toBe(409);
    expect((await check(op, 'tcp-closed', { tcp: '10.0.0.1:22' })).statusCode).toBe(400);
  });

  it('every attempt is in the activity log and the audit, failures with their reason', async () => {
    const activity: { items: Array<{ action: string; item_id: string; detail: { auto_check?: Probed } }> } = await must(
      op.get(`/runbook-executions/${exec.id}/activity`),
      200,
    );
    const probes = activity.items.filter((a) => a.action === 'auto_check');
    const refused = probes.find((a) => a.item_id === 'tcp-closed')!;
    expect(refused.detail.auto_check).toMatchObject({ probe: 'tcp', passed: false });
    expect(refused.detail.auto_check!.detail).toMatch(/ECONNREFUSED/);
    expect(probes.find((a) => a.item_id === 'tcp-open')!.detail.auto_check).toMatchObject({ passed: true });

    const { rows } = await sql<{ actor: string; after: AuditAfter }>`
      select actor, after from audit_log where action = 'auto_check' and entity_id = ${exec.id} order by id`.execute(
      t.ctx.db,
    );
    const failed = rows.filter((r) => r.after.auto_check?.passed === false);
    expect(failed.map((r) => r.after.item_id)).toEqual(
      expect.arrayContaining(['tcp-closed', 'http-fail', 'http-away', 'udp-bad-token', 'mqtt-silent']),
    );
    const passed = rows.filter((r) => r.after.item?.checked === true);
    expect(passed.map((r) => r.after.item!.id)).toEqual(
      expect.arrayContaining(['tcp-open', 'http-ok', 'udp-ok', 'mqtt-state', 'device-up']),
    );
    expect(new Set(rows.map((r) => r.actor))).toEqual(new Set(['olga']));
  });
});
