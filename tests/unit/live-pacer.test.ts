import { describe, expect, it } from 'vitest';
import type { StoredReading } from '../../data-api/src/telemetry/ingest/readings.ts';
import { DEVICE_EVERY_MS, LivePacer, MAX_PER_SECOND } from '../../data-api/src/telemetry/live-pacer.ts';

const sample = (device: string, ms: number): StoredReading => ({
  device_id: device,
  site_id: 's',
  customer_id: null,
  ts: ms / 1000,
  status: 'ok',
  metrics: { temp_c: ms },
});
const ids = (samples: StoredReading[]) => samples.map((s) => `${s.device_id}@${s.ts * 1000}`);

describe('LivePacer', () => {
  it('lets a sample go at once, and the newest of a device only', () => {
    const pacer = new LivePacer();
    pacer.add([sample('a', 1000), sample('b', 1000), sample('a', 1010), sample('a', 1005)]);
    expect(ids(pacer.take(10_000).samples)).toEqual(['a@1010', 'b@1000']);
    expect(pacer.take(10_000)).toEqual({ samples: [], nextAt: null });
  });

  it('holds a device sent less than DEVICE_EVERY_MS ago until its time, and no other', () => {
    const pacer = new LivePacer();
    pacer.add([sample('a', 1)]);
    pacer.take(10_000);
    expect(pacer.dueAt('a')).toBe(10_000 + DEVICE_EVERY_MS);
    pacer.add([sample('a', 2), sample('b', 2)]);
    const now = pacer.take(10_020);
    expect(ids(now.samples)).toEqual(['b@2']);
    expect(now.nextAt).toBe(10_000 + DEVICE_EVERY_MS);
    pacer.add([sample('a', 3)]); // newer while held: replaces the held one
    expect(pacer.take(10_049).samples).toEqual([]);
    expect(ids(pacer.take(10_000 + DEVICE_EVERY_MS).samples)).toEqual(['a@3']);
  });

  it('sends held samples at once on a stop', () => {
    const pacer = new LivePacer();
    pacer.add([sample('a', 1)]);
    pacer.take(10_000);
    pacer.add([sample('a', 2)]);
    expect(ids(pacer.take(10_001, true).samples)).toEqual(['a@2']);
  });

  it('sends at most MAX_PER_SECOND a second in all, dropping the rest', () => {
    const pacer = new LivePacer();
    let sent = 0;
    let offered = 0;
    // Two seconds at twice the rate, a flush every 10 ms, every sample from a new device.
    for (let t = 10_000; t < 12_000; t += 10) {
      const batch = Array.from({ length: (MAX_PER_SECOND * 2) / 100 }, () => sample(`d${offered++}`, t));
      pacer.add(batch);
      sent += pacer.take(t).samples.length;
      expect(pacer.size).toBe(0); // over the rate: dropped, not kept to go late
    }
    expect(sent).toBeGreaterThanOrEqual(MAX_PER_SECOND * 2 * 0.95);
    expect(sent).toBeLessThanOrEqual(MAX_PER_SECOND * 2 + MAX_PER_SECOND / 20);
  });
});
