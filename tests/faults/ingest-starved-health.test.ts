import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_MQTT_USER } from '../../data-api/src/telemetry/ingest/credentials.ts';
import { startFaultRig, startPublishers, waitForHealth, type FaultRig } from '../helpers/fault-rig.ts';

// Issue 11, defect 1 (health): /health said ok while the ingest received nothing. A broker
// can keep a client connected, its SUBACK granted, and deliver it nothing: Mosquitto checks
// the ACL as it delivers each message, so a reloaded ACL that no longer lets the API read
// silences the ingest without a word. Health compares what this replica receives with the
// broker's `$SYS/broker/publish/messages/received` and must say `down` (503) within 30 s.

let rig: FaultRig;
beforeAll(async () => {
  rig = await startFaultRig({ devices: 2 });
  await rig.startFleetbook();
});
afterAll(() => rig?.close());

describe('health: subscribed but receiving nothing while devices publish', () => {
  it('turns 503 within 30 s, names the reason, and turns back once messages flow again', async () => {
    const url = rig.fleetbook!.url;
    await waitForHealth(url, (status, body) => status === 200 && body.ingest.subscribed);
    const publishers = await startPublishers(rig, { everyMs: 100 });
    try {
      // Receiving first, so the check sees the flow stop rather than never start.
      await waitForHealth(url, (_, body) => body.ingest.last_received_at !== null);
      await new Promise((r) => setTimeout(r, 2000));
      const aclFile = path.join(rig.mosquitto.dir, 'fleetbook.acl');
      const acl = fs.readFileSync(aclFile, 'utf8');
      // The API user may still read $SYS, no longer the devices' topics.
      const silenced = acl.replace(/^topic read (\$share\/\+\/)?fleetbook\/v1\/#\n/gm, '');
      expect(silenced).not.toBe(acl);
      expect(silenced).toContain(`user ${API_MQTT_USER}`);
      fs.writeFileSync(aclFile, silenced);
      await rig.mosquitto.reload();
      const silencedAt = Date.now();
      let reason = '';
      const downAt = await waitForHealth(
        url,
        (status, body) => {
          reason = body.ingest.reason ?? '';
          return status === 503 && body.ingest.status === 'down';
        },
        45_000,
      );
      console.log(`health 503 ${(downAt - silencedAt) / 1000} s after the broker stopped delivering: ${reason}`);
      expect((downAt - silencedAt) / 1000).toBeLessThanOrEqual(30);
      expect(reason).toMatch(/^received nothing for \d+ s while the broker took \d+ publishes/);

      fs.writeFileSync(aclFile, acl);
      await rig.mosquitto.reload();
      await waitForHealth(url, (status, body) => status === 200 && body.ingest.status === 'ok', 20_000);
    } finally {
      await publishers.stop(0);
    }
  });
});
