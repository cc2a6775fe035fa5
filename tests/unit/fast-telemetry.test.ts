import { describe, expect, it } from 'vitest';
import { batchItemV1, telemetryV1 } from '../../data-api/src/contracts/mqtt.ts';
import { decodeMessage } from '../../data-api/src/telemetry/ingest/decode.ts';
import { fastBatchItemV1, fastTelemetryV1 } from '../../data-api/src/telemetry/ingest/fast-telemetry.ts';

// The ingest's fast path must accept only what zod accepts, and return what zod returns:
// every payload below is run through both. Anything the fast path declines goes to zod.
const valid = {
  schema_version: 1,
  msg_id: '01JC-a.b',
  ts: 1795000000.25,
  status: 'running',
  metrics: { temp_c: 24.8, rssi_dbm: -97 },
};
const item = { ...valid, device_id: 'dev_farm-north-4-007' };

/** One field changed at a time: values that are valid, invalid, or on an edge. */
const variants: Array<[string, unknown]> = [
  ['schema_version', 0],
  ['schema_version', '1'],
  ['schema_version', 2],
  ['schema_version', 1.0],
  ['schema_version', null],
  ['msg_id', ''],
  ['msg_id', 'x'.repeat(128)],
  ['msg_id', 'x'.repeat(129)],
  ['msg_id', 'has space'],
  ['msg_id', 'é'],
  ['msg_id', 42],
  ['msg_id', undefined],
  ['ts', 946_684_800],
  ['ts', 946_684_799.9],
  ['ts', 4_102_444_800],
  ['ts', 4_102_444_800.1],
  ['ts', 1795000000250],
  ['ts', '1795000000'],
  ['ts', NaN],
  ['ts', Infinity],
  ['ts', undefined],
  ['status', undefined],
  ['status', 'ok'],
  ['status', 'fault'],
  ['status', 'run'],
  ['status', null],
  ['status', ''],
  ['metrics', {}],
  ['metrics', { a: 1e15 }],
  ['metrics', { a: -1e15 }],
  ['metrics', { a: 1e15 + 1 }],
  ['metrics', { a: NaN }],
  ['metrics', { a: Infinity }],
  ['metrics', { a: '1' }],
  ['metrics', { a: null }],
  ['metrics', { Temp: 1 }],
  ['metrics', { _x: 1 }],
  ['metrics', { ['a'.repeat(64)]: 1 }],
  ['metrics', { ['a'.repeat(65)]: 1 }],
  ['metrics', Object.fromEntries(Array.from({ length: 64 }, (_, i) => [`m${i}`, i]))],
  ['metrics', Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`m${i}`, i]))],
  ['metrics', []],
  ['metrics', [1]],
  ['metrics', null],
  ['metrics', 'x'],
  ['metrics', JSON.parse('{"__proto__": 1}')],
  ['metrics', { a: { b: 1 } }],
  ['device_id', 'gw_a'],
  ['device_id', 'dev_'],
  ['device_id', 'sensor_1'],
  ['device_id', 'dev_' + 'a'.repeat(64)],
  ['device_id', 'dev_' + 'a'.repeat(65)],
  ['device_id', 7],
  ['device_id', undefined],
  ['extra', 'ignored'],
];

function cases(base: Record<string, unknown>): unknown[] {
  const out: unknown[] = [base, null, [], 'text', 1, [base]];
  for (const [key, value] of variants) {
    const v: Record<string, unknown> = { ...base, [key]: value };
    if (value === undefined) delete v[key];
    out.push(v);
  }
  return out;
}

function agrees(
  fast: (v: unknown) => unknown,
  schema: { safeParse(v: unknown): { success: boolean; data?: unknown } },
  value: unknown,
): void {
  const quick = fast(value);
  const zod = schema.safeParse(value);
  if (quick !== null) {
    expect(zod.success, `zod refuses what the fast path took: ${JSON.stringify(value)}`).toBe(true);
    expect(quick).toEqual(zod.data);
  }
}

describe('fast telemetry validation', () => {
  it('takes plainly valid v1 telemetry and batch items, with the output zod gives (unknown keys dropped)', () => {
    expect(fastTelemetryV1({ ...valid, extra: 1 })).toEqual(telemetryV1.parse(valid));
    expect(fastBatchItemV1({ ...item, extra: 1 })).toEqual(batchItemV1.parse(item));
    expect(fastTelemetryV1({ schema_version: 1, msg_id: 'm', ts: 1795000000, metrics: {} })).toEqual({
      schema_version: 1,
      msg_id: 'm',
      ts: 1795000000,
      metrics: {},
    });
  });

  it('never accepts what zod refuses, and agrees with zod on everything it accepts', () => {
    let taken = 0;
    for (const value of cases(valid)) {
      agrees(fastTelemetryV1, telemetryV1, value);
      if (fastTelemetryV1(value)) taken++;
    }
    for (const value of cases(item)) agrees(fastBatchItemV1, batchItemV1, value);
    expect(taken).toBeGreaterThan(10); // it is a fast path, not a no-op
  });

  it('leaves the error to zod, which names the field', () => {
    const out = decodeMessage(
      'fleetbook/v1/site_a/dev_a-1/telemetry',
      Buffer.from(JSON.stringify({ ...valid, metrics: { temp_c: 'warm' } })),
      Date.now(),
    );
    expect(out.items).toEqual([]);
    expect(out.deadLetters[0]).toMatchObject({
      reason: 'validation',
      detail: expect.stringContaining('metrics.temp_c'),
    });
  });
});
