import { describe, expect, it } from 'vitest';
import {
  devicePublishTopics,
  generateDeviceToken,
  hashDevicePassword,
  verifyDevicePassword,
} from '../../data-api/src/telemetry/ingest/credentials.ts';

// contracts.md: device username = device id, password = device token, stored hashed;
// exported for Mosquitto as a password file. The hash is Mosquitto's own PBKDF2-SHA512
// `$7$` format, so the same stored value works in both brokers.
describe('device MQTT credentials', () => {
  it('verifies a line written by mosquitto_passwd 2.0 (`mosquitto_passwd -b pw dev_x secret123`)', () => {
    const fromMosquitto =
      '$7$101$D92Fgrs1lcjXWCq/$ehzys6HC4FAMWoQ0gDOOIAFkLGiBOcrqaDOTrbxGNFGgXtf2wzIY9l1vDosd9Rnmgnf8WFxF2BP53meLTZ/lcQ==';
    expect(verifyDevicePassword('secret123', fromMosquitto)).toBe(true);
    expect(verifyDevicePassword('secret124', fromMosquitto)).toBe(false);
  });

  it('writes the same format, salted', () => {
    const token = generateDeviceToken();
    expect(token).toMatch(/^fbd_[A-Za-z0-9_-]{43}$/);
    const a = hashDevicePassword(token);
    const b = hashDevicePassword(token);
    expect(a).toMatch(/^\$7\$101\$[A-Za-z0-9+/]{16}\$[A-Za-z0-9+/]{86}==$/);
    expect(a).not.toBe(b);
    expect(verifyDevicePassword(token, a) && verifyDevicePassword(token, b)).toBe(true);
    expect(verifyDevicePassword(token, 'plain-text')).toBe(false);
    expect(verifyDevicePassword(token, '$6$rounds$x$y')).toBe(false);
  });

  it('lets a device publish under its own site and id only; gateways may also batch', () => {
    expect(devicePublishTopics('site_a', 'dev_a-1', 'sensor')).toEqual([
      'fleetbook/v1/site_a/dev_a-1/telemetry',
      'fleetbook/v1/site_a/dev_a-1/heartbeat',
      'fleetbook/v1/site_a/dev_a-1/state',
      'fleetbook/v1/site_a/dev_a-1/cmd/result',
    ]);
    expect(devicePublishTopics('site_a', 'gw_a-1', 'gateway')).toContain('fleetbook/v1/site_a/gw_a-1/batch');
  });
});
