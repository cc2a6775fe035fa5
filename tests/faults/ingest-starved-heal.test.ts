import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { metric, startFaultRig, storedReadings, waitForHealth, type FaultRig } from '../helpers/fault-rig.ts';
import { startStarvingProxy, type StarvingProxy } from '../helpers/starving-mqtt-proxy.ts';

// A replica the broker keeps connected, SUBACK granted, yet routes nothing to (Mosquitto losing
// a `$share` subscription or wedging its in-flight window; once seen in CI after a broker
// restart) used to stay starved, /health down, until someone restarted it. It now drops its
// connection, resumes its persistent session and subscribes again (starvation-heal.ts).
// Deterministic stand-in: a proxy between fleetbook and Mosquitto drops, on the ingest's first
// connection only, every PUBLISH of the devices' topics (the `$SYS` counts still pass). The
// broker's `sys_interval 1` makes the starvation rule conclude within seconds.

const N = 60;
let rig: FaultRig;
let proxy: StarvingProxy;
beforeAll(async () => {
  rig = await startFaultRig({ devices: 1, mosquittoConf: ['sys_interval 1'] });
  const direct = new URL(rig.apiMqttUrl);
  proxy = await startStarvingProxy({
    brokerPort: Number(direct.port),
    clientIdPrefix: 'fleetbook-ingest-',
    topicPrefix: 'fleetbook/',
    // The reconnect reaches the broker 1.5 s late, so the poll below sees /health down for sure.
    reconnectDelayMs: 1500,
  });
  const via = new URL(direct);
  via.port = String(proxy.port);
  await rig.startFleetbook({ MQTT_URL: via.toString() });
});
afterAll(async () => {
  await rig?.close();
  await proxy?.close();
});

/** Every /health answer until stopped (at most a minute). */
function pollHealth(url: string) {
  const seen: Array<{ at: number; status: number; reason: string | null }> = [];
  let on = true;
  const deadline = Date.now() + 60_000;
  const done = (async () => {
    while (on && Date.now() < deadline) {
      try {
        const res = await fetch(`${url}/api/v1/health`, { signal: AbortSignal.timeout(2000) });
        const body = (await res.json()) as { ingest: { reason: string | null } };
        seen.push({ at: Date.now(), status: res.status, reason: body.ingest.reason });
      } catch {
        // a slow answer: the next one
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  return {
    seen,
    stop: async () => {
      on = false;
      await done;
    },
  };
}

/** Waits (at most 5 s) until `ok()` holds; the assertions after it say what did not. */
async function eventually(ok: () => boolean): Promise<void> {
  for (let i = 0; i < 50 && !ok(); i++) await new Promise((r) => setTimeout(r, 100));
}

describe('a starved ingest heals itself', () => {
  it('drops its connection, resumes its session, and stores every QoS 1 message once', async () => {
    const fleetbook = rig.fleetbook!;
    await waitForHealth(fleetbook.url, (status, body) => status === 200 && body.ingest.subscribed);
    // The first `$SYS` sample is the baseline: publish only after it arrived (then one more interval).
    for (let i = 0; i < 100 && (await metric(rig, 'fleetbook_broker_clients')) === 0; i++)
      await new Promise((r) => setTimeout(r, 100));
    expect(await metric(rig, 'fleetbook_broker_clients')).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 1500));

    const health = pollHealth(fleetbook.url);
    onTestFinished(() => health.stop());
    const publishedAt = Date.now();
    const device = rig.devices[0]!;
    const publisher = await mqtt.connectAsync(rig.deviceUrl, {
      clientId: device.id,
      username: device.id,
      password: device.password,
      protocolVersion: 4,
      reconnectPeriod: 0,
    });
    const ids = Array.from({ length: N }, (_, i) => `starved-${i}`);
    try {
      // Every one acknowledged by the broker (QoS 1): each must end up stored exactly once.
      await Promise.all(
        ids.map((id) =>
          publisher.publishAsync(
            `fleetbook/v1/${device.site}/${device.id}/telemetry`,
            JSON.stringify({ schema_version: 1, msg_id: id, ts: Date.now() / 1000, metrics: { v: 1 } }),
            { qos: 1 },
          ),
        ),
      );
    } finally {
      await publisher.endAsync();
    }

    let stored = await storedReadings(rig);
    for (let i = 0; i < 200 && stored.ids.size < N; i++) {
      await new Promise((r) => setTimeout(r, 100));
      stored = await storedReadings(rig);
    }
    const storedAt = Date.now();
    const healed = () =>
      fleetbook
        .output()
        .split('\n')
        .filter((l) => l.includes('"msg":"ingest starved: dropping its MQTT connection'));
    expect(
      { stored: stored.ids.size, rows: stored.rows },
      `proxy: ${proxy.connections()} ingest connections, ${proxy.dropped()} PUBLISHes dropped\n${healed().join('\n')}`,
    ).toEqual({ stored: N, rows: N }); // 0 lost, 0 stored twice
    expect(ids.every((id) => stored.ids.has(id))).toBe(true);
    await waitForHealth(fleetbook.url, (status, body) => status === 200 && body.ingest.status === 'ok', 10_000);
    // The background poll has seen it too, and the child's log has reached us (pino writes asynchronously).
    await eventually(() => health.seen.at(-1)?.status === 200 && fleetbook.subscribedAt().length >= 2);
    await health.stop();
    console.log(
      `${stored.ids.size} of ${N} stored (${stored.rows} rows) ${(storedAt - publishedAt) / 1000} s after publishing; ` +
        `proxy dropped ${proxy.dropped()} on the first of ${proxy.connections()} connections; ` +
        `health: ${health.seen.filter((h) => h.status === 503).length} answers 503, first: ${health.seen.find((h) => h.status === 503)?.reason}`,
    );

    // The first connection was starved (the proxy dropped what the broker sent it), the second passed it all.
    expect(proxy.dropped()).toBeGreaterThanOrEqual(20);
    expect(proxy.connections()).toBe(2);
    expect(fleetbook.subscribedAt()).toHaveLength(2);

    // Said once, with the reason, and counted.
    expect(healed()).toHaveLength(1);
    const warning = JSON.parse(healed()[0]!) as { level: number; reason: string; detail: string };
    expect(warning.level).toBe(40);
    expect(warning.reason).toBe('starved');
    expect(warning.detail).toMatch(/^received nothing for \d+ s while the broker took \d+ publishes/);
    const metrics = await (
      await fetch(`${fleetbook.url}/metrics`, { headers: { authorization: `Bearer ${rig.token}` } })
    ).text();
    expect(metrics).toMatch(/^fleetbook_ingest_resubscribes_total\{reason="starved"\} 1$/m);

    // /health: down while starved (the reason says so), up once the messages came.
    const down = health.seen.findIndex((h) => h.status === 503);
    expect(down, JSON.stringify(health.seen.filter((h) => h.status !== 200))).toBeGreaterThanOrEqual(0);
    expect(health.seen[down]!.reason).toMatch(/^received nothing for \d+ s while the broker took \d+ publishes/);
    // While it reconnects (1.5 s, held by the proxy) the reason says so.
    expect(health.seen.some((h) => h.reason?.endsWith('; reconnecting to subscribe again'))).toBe(true);
    expect(health.seen.slice(down).some((h) => h.status === 200)).toBe(true);
    expect(health.seen.at(-1)!.status).toBe(200);
  }, 60_000);
});
