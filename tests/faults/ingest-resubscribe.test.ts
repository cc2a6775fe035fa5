import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFaultRig, storedReadings, waitForHealth, type FaultRig } from '../helpers/fault-rig.ts';

// Issue 11, defect 1: after a graceful Mosquitto restart the ingest reconnected with
// sessionPresent=true, the broker no longer had its `$share/…` subscription, the ingest did
// not subscribe again, and /health said ok while every new reading was lost.
// Repro as filed: tuned Mosquitto with persistence, fleetbook in production mode (shared
// subscription, the default with an external broker), `kill -TERM` the broker, start it
// again, `mosquitto_pub -q 1 …/telemetry` → a row.

let rig: FaultRig;
beforeAll(async () => {
  rig = await startFaultRig({ devices: 1, persistence: true });
  await rig.startFleetbook();
});
afterAll(() => rig?.close());

function mosquittoPub(device: FaultRig['devices'][number], msgIds: string[]): void {
  // -l: one message per line of stdin, all on one connection; QoS 1.
  const input =
    msgIds
      .map((id) => JSON.stringify({ schema_version: 1, msg_id: id, ts: Date.now() / 1000, metrics: { v: 1 } }))
      .join('\n') + '\n';
  const pub = spawnSync(
    'mosquitto_pub',
    [
      '-p',
      String(rig.mosquitto.port),
      '-u',
      device.id,
      '-P',
      device.password,
      '-q',
      '1',
      '-t',
      `fleetbook/v1/${device.site}/${device.id}/telemetry`,
      '-l',
    ],
    { input, encoding: 'utf8' },
  );
  if (pub.error) throw new Error(`mosquitto_pub did not run (apt-get install mosquitto-clients): ${pub.error.message}`);
  expect(pub.stderr).toBe('');
  expect(pub.status).toBe(0);
}

async function storedOf(ids: string[]): Promise<number> {
  for (let i = 0; i < 75; i++) {
    const { ids: stored } = await storedReadings(rig);
    if (ids.every((id) => stored.has(id))) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const { ids: stored } = await storedReadings(rig);
  return ids.filter((id) => stored.has(id)).length;
}

describe('defect 1: a Mosquitto restart no longer silently stops the ingest', () => {
  it('stores every message published after a graceful restart with saved state (shared subscription)', async () => {
    const device = rig.devices[0]!;
    await waitForHealth(rig.fleetbook!.url, (status) => status === 200);
    mosquittoPub(device, ['before-1']);
    expect(await storedOf(['before-1'])).toBe(1);

    await rig.mosquitto.stop('SIGTERM');
    expect(fs.existsSync(path.join(rig.mosquitto.dir, 'mosquitto.db'))).toBe(true); // it saved its state
    await rig.mosquitto.start();
    // What an operator (or a load balancer) looks at: once health says ok, nothing is lost.
    const health = await waitForHealth(rig.fleetbook!.url, (status) => status === 200);
    expect(health).toBeGreaterThan(0);
    const after = Array.from({ length: 20 }, (_, i) => `after-${i}`);
    mosquittoPub(device, after);
    expect(await storedOf(after)).toBe(20);
  });
});
