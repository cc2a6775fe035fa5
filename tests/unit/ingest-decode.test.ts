import { describe, expect, it } from 'vitest';
import { parseTopic, telemetryV0, topicFor } from '../../data-api/src/contracts/mqtt.ts';
import { capturePayload, decodeMessage, DEAD_LETTER_PAYLOAD_CAP } from '../../data-api/src/telemetry/ingest/decode.ts';
import {
  DeviceStateThrottle,
  emptyAgg,
  windowShare,
  type DeviceAgg,
} from '../../data-api/src/telemetry/ingest/writer.ts';

// contracts.md § MQTT: topics, payload v1, mapping older versions forward, dead-letter
// reasons. decodeMessage is pure: topic + bytes → items or dead letters.
const T = 'fleetbook/v1/site_farm-north/dev_farm-north-4-007';
const now = Date.parse('2026-11-01T09:00:00Z');
const decode = (kind: string, payload: unknown) =>
  decodeMessage(
    `${T}/${kind}`,
    Buffer.isBuffer(payload) ? payload : Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload)),
    now,
  );

describe('topics', () => {
  it('parses and builds fleetbook/v1 topics', () => {
    expect(parseTopic(`${T}/cmd/result`)).toEqual({
      site_id: 'site_farm-north',
      device_id: 'dev_farm-north-4-007',
      kind: 'cmd/result',
    });
    expect(parseTopic(`${T}/telemetry`)?.kind).toBe('telemetry');
    expect(parseTopic(`${T}/weather`)).toBeNull();
    expect(parseTopic('fleetbook/v2/a/b/telemetry')).toBeNull();
    expect(parseTopic('fleetbook/v1//b/telemetry')).toBeNull();
    expect(topicFor('site_a', 'gw_a-1', 'batch')).toBe('fleetbook/v1/site_a/gw_a-1/batch');
  });
});

describe('decodeMessage', () => {
  it('reads a v1 telemetry payload (ts in seconds → ms)', () => {
    const out = decode('telemetry', {
      schema_version: 1,
      msg_id: '01JC',
      ts: 1795000000.25,
      status: 'running',
      metrics: { temp_c: 24.8, rssi_dbm: -97 },
    });
    expect(out.deadLetters).toEqual([]);
    expect(out.items).toEqual([
      expect.objectContaining({
        kind: 'telemetry',
        device_id: 'dev_farm-north-4-007',
        site_id: 'site_farm-north',
        msg_id: '01JC',
        ts: 1795000000250,
        status: 'running',
        metrics: { temp_c: 24.8, rssi_dbm: -97 },
        via: 'direct',
      }),
    ]);
  });

  it('maps legacy v0 payloads forward (no schema_version, epoch ms, compact keys)', () => {
    expect(telemetryV0.parse({ mid: 'a1', t: 1795000000250, st: 'run', d: { temp_c: 1 } })).toEqual({
      schema_version: 1,
      msg_id: 'a1',
      ts: 1795000000.25,
      status: 'running',
      metrics: { temp_c: 1 },
    });
    const hb = decode('heartbeat', { t: 1795000060000, up: 86400, fw: '1.3.0' });
    expect(hb.items).toEqual([
      expect.objectContaining({ kind: 'heartbeat', ts: 1795000060000, uptime_s: 86400, fw: '1.3.0' }),
    ]);
    const zero = decode('telemetry', { schema_version: 0, mid: 'z', t: 1795000000000, d: { x: 1 } });
    expect(zero.items[0]).toMatchObject({ msg_id: 'z', ts: 1795000000000 });
  });

  it('refuses newer schema versions with their own reason, and names what is wrong otherwise', () => {
    expect(
      decode('telemetry', { schema_version: 2, msg_id: 'a', ts: 1795000000, metrics: {} }).deadLetters[0],
    ).toMatchObject({ reason: 'unsupported_schema_version' });
    expect(decode('telemetry', { msg_id: 'a', ts: 1795000000, metrics: {} }).deadLetters[0]).toMatchObject({
      reason: 'validation',
      detail: expect.stringContaining('no schema_version'),
    });
    expect(
      decode('telemetry', { schema_version: 1, msg_id: 'a', ts: 1795000000, status: 'exploded', metrics: {} })
        .deadLetters[0]!.detail,
    ).toContain('status');
    expect(
      decode('telemetry', { schema_version: 1, msg_id: 'a', ts: 1795000000000, metrics: {} }).deadLetters[0]!.detail,
    ).toContain('milliseconds are not seconds');
    expect(decode('state', { schema_version: 1, ts: 1795000000 }).deadLetters[0]!.detail).toContain('reported');
    expect(decode('telemetry', Buffer.from([0xc3, 0x28])).deadLetters[0]!.detail).toContain('UTF-8');
    expect(decode('cmd', {}).deadLetters[0]!.detail).toContain('cloud → device');
  });

  it('refuses bytes that are not UTF-8 inside JSON text, and keeps a real U+FFFD', () => {
    const json = (tail: number[]) =>
      Buffer.concat([
        Buffer.from('{"schema_version":1,"msg_id":"u1","ts":1795000000,"metrics":{},"note":"'),
        Buffer.from(tail),
        Buffer.from('"}'),
      ]);
    // 0xff is never UTF-8: it decodes to U+FFFD, and the message is dead-lettered as binary.
    expect(decode('telemetry', json([0xff])).deadLetters[0]!.detail).toContain('not UTF-8');
    // U+FFFD itself (ef bf bd) is valid UTF-8: the reading is kept.
    const kept = decode('telemetry', json([0xef, 0xbf, 0xbd]));
    expect(kept.deadLetters).toEqual([]);
    expect(kept.items[0]).toMatchObject({ kind: 'telemetry', msg_id: 'u1' });
  });

  it('validates each batch element on its own', () => {
    const out = decodeMessage(
      'fleetbook/v1/site_a/gw_a-1/batch',
      Buffer.from(
        JSON.stringify([
          { schema_version: 1, device_id: 'dev_a-1', msg_id: 'x', ts: 1795000000, metrics: { v: 1 } },
          { device_id: 'dev_a-2' },
          'nope',
        ]),
      ),
      now,
    );
    expect(out.items.map((i) => i.kind)).toEqual(['seen', 'telemetry']);
    expect(out.items[1]).toMatchObject({ device_id: 'dev_a-1', site_id: 'site_a', via: 'batch', gateway_id: 'gw_a-1' });
    expect(out.deadLetters.map((d) => [d.reason, d.device_id, d.detail.slice(0, 8)])).toEqual([
      ['validation', 'dev_a-2', 'batch[1]'],
      ['validation', 'gw_a-1', 'batch[2]'],
    ]);
  });

  it('maps a ChirpStack v4 uplink: deduplicationId, time, codec fields (mapped, or named as unmapped), best rxInfo', () => {
    const out = decodeMessage(
      'application/6f1c/device/A84041000181C0DE/event/up',
      Buffer.from(
        JSON.stringify({
          deduplicationId: '3ac7e3c4-4401-4b8d-9386-a5c902f9202d',
          time: '2026-11-01T08:59:41.123456789+00:00',
          deviceInfo: { devEui: 'A84041000181C0DE' },
          object: { temp_c: 24.1, label: 'x', on: true, deep: { a: 1 }, Bad: 3, huge: 1e300 },
          rxInfo: [
            { gatewayId: 'g1', rssi: -109, snr: -2 },
            { gatewayId: 'g2', rssi: -97, snr: 7.5 },
          ],
        }),
      ),
      now,
    );
    expect(out.items).toEqual([
      expect.objectContaining({
        kind: 'chirpstack',
        dev_eui: 'a84041000181c0de',
        msg_id: '3ac7e3c4-4401-4b8d-9386-a5c902f9202d',
        ts: Date.parse('2026-11-01T08:59:41.123Z'),
        metrics: { temp_c: 24.1, on: 1, deep_a: 1, bad: 3, rssi_dbm: -97, snr_db: 7.5 },
        unmapped: [
          { field: 'label', why: 'text "x"' },
          { field: 'huge', why: '1e+300 is beyond ±1e15' },
        ],
        // pbjson leaves zero values out: no fCnt / fPort / dr means 0.
        radio: { rssi_dbm: -97, snr_db: 7.5, gateway_id: 'g2', f_cnt: 0, f_port: 0, dr: 0 },
      }),
    ]);
  });

  it('uses the arrival time for an uplink without `time`', () => {
    const out = decodeMessage(
      'application/x/device/a84041000181c0de/event/up',
      Buffer.from(JSON.stringify({ deduplicationId: 'd', deviceInfo: { devEui: 'a84041000181c0de' } })),
      now,
    );
    expect(out.items[0]).toMatchObject({ ts: now, metrics: {} });
  });
});

describe('capturePayload', () => {
  it('keeps UTF-8 as text and anything else as base64, capped', () => {
    expect(capturePayload('{"a":1}')).toEqual({ payload: '{"a":1}', encoding: 'utf8', bytes: 7, truncated: false });
    expect(capturePayload(Buffer.from([0, 1, 2]))).toEqual({
      payload: 'AAEC',
      encoding: 'base64',
      bytes: 3,
      truncated: false,
    });
    const big = capturePayload('é'.repeat(DEAD_LETTER_PAYLOAD_CAP)); // 2 bytes each: the cut falls inside a character
    expect(big).toMatchObject({ encoding: 'utf8', bytes: 2 * DEAD_LETTER_PAYLOAD_CAP, truncated: true });
    expect(big.payload).toBe('é'.repeat(DEAD_LETTER_PAYLOAD_CAP / 2));
  });
});

describe('DeviceStateThrottle', () => {
  const agg = (id: string, ts: number, metrics: Record<string, number>): DeviceAgg => ({
    ...emptyAgg(id),
    seen: ts,
    metrics_ts: ts,
    metrics,
    run_status: 'ok',
  });
  const interval = () => 60;
  const exact = () => 1; // the whole window, for exact times below

  it('writes a device not known to be up at once, then at most once per window, newest facts merged', () => {
    const th = new DeviceStateThrottle(5000, exact);
    expect(th.take([agg('d', 1000, { v: 1 })], interval, 1000).map((a) => a.metrics)).toEqual([{ v: 1 }]);
    th.markWritten([{ id: 'd', status: 'up' }], 1000);
    expect(th.take([agg('d', 2000, { v: 2 })], interval, 2000)).toEqual([]);
    expect(th.take([agg('d', 1500, { v: 1.5 })], interval, 3000)).toEqual([]); // older: does not win
    expect(th.hasDue(5999)).toBe(false);
    expect(th.hasDue(6000)).toBe(true);
    const due = th.take([], interval, 6000);
    expect(due).toHaveLength(1);
    expect(due[0]).toMatchObject({ id: 'd', seen: 2000, metrics: { v: 2 } });
  });

  it('writes a device from one batch at a time: a concurrent batch holds its facts until that write settles', () => {
    const th = new DeviceStateThrottle(5000, exact);
    const first = th.take([agg('new', 1000, { v: 1 })], interval, 1000);
    expect(first).toHaveLength(1);
    // A second writer while the first UPDATE is in flight: held, not written twice.
    expect(th.take([agg('new', 1100, { v: 2 })], interval, 1100)).toEqual([]);
    expect(th.hasDue(1100)).toBe(false);
    th.settle(first); // e.g. the transaction failed after the UPDATE: written by nobody yet
    // It was not up: the held facts are due at once.
    expect(th.hasDue(1200)).toBe(true);
    expect(th.take([], interval, 1200)).toEqual([expect.objectContaining({ id: 'new', metrics: { v: 2 } })]);
  });

  it('spreads devices over 0.5–1 × the window, so devices that came up together do not fall due together', () => {
    const shares = Array.from({ length: 2000 }, (_, i) => windowShare(`dev_sim-${1 + (i % 8)}-${i}`));
    expect(Math.min(...shares)).toBeGreaterThanOrEqual(0.5);
    expect(Math.max(...shares)).toBeLessThan(1);
    expect(new Set(shares.map((x) => Math.floor(x * 20))).size).toBe(10); // every twentieth of the window used
    const th = new DeviceStateThrottle(5000, windowShare, 1); // 1 ms slots: the spread itself
    const ids = ['dev_a-1', 'dev_a-2', 'dev_a-3', 'dev_a-4'];
    th.take(
      ids.map((id) => agg(id, 0, { v: 0 })),
      interval,
      0,
    );
    th.markWritten(
      ids.map((id) => ({ id, status: 'up' })),
      0,
    );
    const dueAt = ids.map((id) => {
      for (let t = 0; t <= 5000; t += 10) if (th.take([agg(id, t, { v: t })], interval, t).length) return t;
      return Infinity;
    });
    for (const [i, t] of dueAt.entries()) expect(Math.abs(t - 5000 * windowShare(ids[i]!))).toBeLessThanOrEqual(10);
    expect(new Set(dueAt).size).toBe(ids.length);
  });

  it('ends windows on 250 ms slot boundaries, so the devices of a slot go out in one UPDATE, not a few per batch', () => {
    const th = new DeviceStateThrottle(5000);
    const ids = Array.from({ length: 2000 }, (_, i) => `dev_sim-${1 + (i % 8)}-${i}`);
    th.take(
      ids.map((id) => agg(id, 0, { v: 0 })),
      interval,
      0,
    );
    th.markWritten(
      ids.map((id) => ({ id, status: 'up' })),
      0,
    );
    // A batch every 20 ms carrying every device: which batches write states, and how many.
    const writes = new Map<number, string[]>();
    for (let t = 20; t <= 5300; t += 20) {
      const out = th.take(
        ids.map((id) => agg(id, t, { v: t })),
        interval,
        t,
      );
      if (out.length)
        writes.set(
          t,
          out.map((a) => a.id),
        );
      th.markWritten(
        out.map((a) => ({ id: a.id, status: 'up' })),
        t,
      );
    }
    expect([...writes.values()].flat().sort()).toEqual([...ids].sort()); // each once
    for (const [t, written] of writes) {
      expect(t % 250).toBeLessThan(20); // only the first batch of a slot writes
      for (const id of written) {
        const end = 5000 * windowShare(id);
        expect(t).toBeGreaterThanOrEqual(end); // never before its window ends
        expect(t - end).toBeLessThan(250 + 20);
      }
    }
    expect(writes.size).toBeLessThanOrEqual(11); // 2,500–5,000 ms: ten slots and an edge
  });

  it('writes at most `limit` states in a batch; the rest are due at once, for the next batch', () => {
    const th = new DeviceStateThrottle(5000, exact);
    const ids = Array.from({ length: 5 }, (_, i) => `d${i}`);
    const first = th.take(
      ids.map((id) => agg(id, 1000, { v: 1 })),
      interval,
      1000,
      2,
    );
    expect(first.map((a) => a.id)).toEqual(['d0', 'd1']);
    expect(th.hasDue(1000)).toBe(true);
    // A newer fact of a device over the limit merges into what is held; d0 and d1 are being written.
    const second = th.take([agg('d2', 1100, { v: 2 }), agg('d0', 1100, { v: 2 })], interval, 1100, 2);
    expect(second.map((a) => [a.id, a.metrics])).toEqual([
      ['d2', { v: 2 }],
      ['d3', { v: 1 }],
    ]);
    expect(th.take([], interval, 1200).map((a) => a.id)).toEqual(['d4']);
    th.markWritten(
      [...first, ...second].map((a) => ({ id: a.id, status: 'up' })),
      1200,
    );
    expect(th.take([], interval, 1300).map((a) => [a.id, a.metrics])).toEqual([['d0', { v: 2 }]]);
  });

  it('never holds a device that was down, and holds at most half a short heartbeat interval', () => {
    const th = new DeviceStateThrottle(5000, exact);
    th.markWritten(
      [
        { id: 'down', status: 'down' },
        { id: 'fast', status: 'up' },
      ],
      0,
    );
    expect(th.take([agg('down', 10, { v: 1 })], interval, 10)).toHaveLength(1);
    expect(th.take([agg('fast', 400, { v: 1 })], () => 1, 400)).toHaveLength(0);
    expect(th.take([agg('fast', 500, { v: 2 })], () => 1, 500)).toHaveLength(1);
    th.releaseAll();
  });
});
