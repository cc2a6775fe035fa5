import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import {
  backendName,
  connectDevice,
  count,
  nowS,
  publish,
  seedFleet,
  startTestIngest,
  tag,
  topic,
  type Fleet,
} from './ingest-fixtures.ts';

// contracts.md § MQTT: "A message that fails validation, names an unknown device, or
// arrives on a topic whose site does not match the device's site goes to a dead-letter
// table with the reason and the raw payload; it is counted, visible through the API, and
// never stops the ingest." Each hostile message below is followed by a valid one from the
// same device: every valid one must be stored, every hostile one dead-lettered.

const v1 = (msgId: string, extra: Record<string, unknown> = {}) => ({
  schema_version: 1,
  msg_id: msgId,
  ts: nowS(),
  status: 'ok',
  metrics: { temp_c: 21.5 },
  ...extra,
});

type Case = {
  name: string;
  kind?: string;
  payload: () => string | Buffer;
  reason: string;
  detail?: RegExp;
  encoding?: 'utf8' | 'base64';
  truncated?: boolean;
};

const CASES: Case[] = [
  { name: 'not-json', payload: () => '{"schema_version":1,"msg_id":', reason: 'validation', detail: /not JSON/ },
  { name: 'empty', payload: () => '', reason: 'validation', detail: /not JSON/ },
  {
    name: 'wrong-types',
    payload: () => JSON.stringify({ schema_version: 1, msg_id: 42, ts: 'yesterday', metrics: { temp_c: 'warm' } }),
    reason: 'validation',
    detail: /msg_id/,
  },
  {
    name: 'nan',
    payload: () => '{"schema_version":1,"msg_id":"n","ts":NaN,"metrics":{"temp_c":NaN}}',
    reason: 'validation',
    detail: /not JSON/,
  },
  {
    name: 'infinity',
    payload: () => '{"schema_version":1,"msg_id":"i","ts":1795000000,"metrics":{"temp_c":1e400}}',
    reason: 'validation',
    detail: /finite/,
  },
  {
    name: 'huge-number',
    payload: () => JSON.stringify(v1('h', { metrics: { temp_c: 1e300 } })),
    reason: 'validation',
    detail: /1e15/,
  },
  {
    name: 'huge-msg-id',
    payload: () => JSON.stringify(v1('x'.repeat(10_000))),
    reason: 'validation',
    detail: /128/,
    truncated: true,
  },
  {
    name: 'millis-not-seconds',
    payload: () => JSON.stringify(v1('ms', { ts: Date.now() })),
    reason: 'validation',
    detail: /milliseconds/,
  },
  { name: 'one-megabyte', payload: () => Buffer.alloc(1024 * 1024, 'a'), reason: 'oversize', truncated: true },
  {
    name: 'future-version',
    payload: () => JSON.stringify(v1('f', { schema_version: 7 })),
    reason: 'unsupported_schema_version',
  },
  {
    name: 'string-version',
    payload: () => JSON.stringify(v1('s', { schema_version: '1' })),
    reason: 'validation',
    detail: /schema_version/,
  },
  {
    name: 'missing-msg-id',
    payload: () => JSON.stringify({ schema_version: 1, ts: nowS(), metrics: { temp_c: 1 } }),
    reason: 'validation',
    detail: /msg_id/,
  },
  {
    name: 'deep-nesting',
    payload: () => '{"a":'.repeat(5000) + '1' + '}'.repeat(5000),
    reason: 'validation',
    truncated: true,
  },
  {
    name: 'binary',
    payload: () => Buffer.concat([Buffer.from([0xff, 0xfe, 0x00, 0x81]), randomBytes(64)]),
    reason: 'validation',
    detail: /UTF-8/,
    encoding: 'base64',
  },
  { name: 'nul-in-string', payload: () => JSON.stringify(v1('nul\u0000id')), reason: 'validation' },
  { name: 'array-not-object', payload: () => JSON.stringify([v1('arr')]), reason: 'validation', detail: /object/ },
  {
    name: 'bad-metric-name',
    payload: () => JSON.stringify(v1('m', { metrics: { 'Temp C': 1 } })),
    reason: 'validation',
    detail: /snake_case/,
  },
  {
    name: 'deep-state',
    kind: 'state',
    payload: () =>
      JSON.stringify({
        schema_version: 1,
        ts: nowS(),
        reported: { a: { b: { c: { d: { e: { f: { g: { h: 1 } } } } } } } },
      }),
    reason: 'validation',
    detail: /deeper/,
  },
  {
    name: 'huge-batch',
    kind: 'batch',
    payload: () => JSON.stringify(Array.from({ length: 1001 }, (_, i) => v1(`b${i}`))),
    reason: 'validation',
    detail: /at most 1000/,
    truncated: true,
  },
  {
    name: 'unknown-command',
    kind: 'cmd/result',
    payload: () => JSON.stringify({ cmd_id: 'cmd_never-sent', status: 'done' }),
    reason: 'unknown_command',
  },
];

describe(`hostile payloads (${backendName()})`, () => {
  let t: TestApp;
  let ingest: Awaited<ReturnType<typeof startTestIngest>>;
  let fleet: Fleet;
  let client: MqttClient;
  const id = tag();

  beforeAll(async () => {
    t = await createTestApp();
    fleet = await seedFleet(t.ctx.db, id, {
      sites: 2,
      devices: [
        ...CASES.map((c) => ({ name: c.name, role: c.kind === 'batch' ? ('gateway' as const) : ('sensor' as const) })),
        { name: 'moved', site: 1 },
      ],
    });
    ingest = await startTestIngest(t);
    client = await connectDevice(t.testBroker.url);
  });
  afterAll(async () => {
    await client?.endAsync();
    await ingest?.forget();
    await t?.close();
  });

  it('dead-letters every hostile message with its reason, and stores every valid one around them', async () => {
    const sent = new Map<string, string | Buffer>();
    for (const c of CASES) {
      const d = fleet.devices[c.name]!;
      sent.set(c.name, c.payload());
      await publish(client, topic(d.site, d.id, c.kind ?? 'telemetry'), sent.get(c.name));
      await publish(client, topic(d.site, d.id, 'telemetry'), v1(`valid-${c.name}`));
    }
    const ids = CASES.map((c) => fleet.devices[c.name]!.id);
    await expect
      .poll(() => count(t.ctx.db, 'telemetry', (q) => q.where('device_id', 'in', ids)), { timeout: 20_000 })
      .toBe(CASES.length);
    await ingest.drain();
    const letters = await t.ctx.db
      .selectFrom('dead_letters')
      .selectAll()
      .where('device_id', 'in', ids)
      .orderBy('id')
      .execute();
    for (const c of CASES) {
      const d = fleet.devices[c.name]!;
      const mine = letters.filter((l) => l.device_id === d.id);
      expect(
        mine.map((l) => l.reason),
        c.name,
      ).toEqual([c.reason]);
      const l = mine[0]!;
      expect(l.topic, c.name).toBe(topic(d.site, d.id, c.kind ?? 'telemetry'));
      expect(l.site_id).toBe(d.site);
      expect(l.customer_id).toBe(fleet.customer);
      if (c.detail) expect(l.detail, c.name).toMatch(c.detail);
      expect(l.payload_encoding, c.name).toBe(c.encoding ?? 'utf8');
      expect(l.truncated, c.name).toBe(c.truncated ?? false);
      expect(l.payload.length, c.name).toBeLessThanOrEqual(8 * 1024 * 2);
      expect(l.payload_bytes, c.name).toBe(Buffer.byteLength(sent.get(c.name)!));
    }
  });

  it('keeps the raw bytes of a binary payload (base64) and the head of an oversize one', async () => {
    const d = fleet.devices.binary!;
    const l = await t.ctx.db
      .selectFrom('dead_letters')
      .selectAll()
      .where('device_id', '=', d.id)
      .executeTakeFirstOrThrow();
    expect(Buffer.from(l.payload, 'base64').subarray(0, 4)).toEqual(Buffer.from([0xff, 0xfe, 0x00, 0x81]));
    const big = await t.ctx.db
      .selectFrom('dead_letters')
      .selectAll()
      .where('device_id', '=', fleet.devices['one-megabyte']!.id)
      .executeTakeFirstOrThrow();
    expect(big).toMatchObject({ payload_bytes: 1024 * 1024, truncated: true });
    expect(big.payload).toBe('a'.repeat(8 * 1024));
  });

  it('dead-letters a device that is not in the registry, and one publishing under another site', async () => {
    const ghost = `dev_${id}-ghost`;
    const moved = fleet.devices.moved!;
    await publish(client, topic(fleet.sites[0]!, ghost, 'telemetry'), v1('g-1'));
    await publish(client, topic(fleet.sites[0]!, moved.id, 'telemetry'), v1('m-1'));
    await publish(client, topic(moved.site, moved.id, 'telemetry'), v1('m-2'));
    await expect
      .poll(() => count(t.ctx.db, 'telemetry', (q) => q.where('device_id', '=', moved.id)), { timeout: 10_000 })
      .toBe(1);
    await ingest.drain();
    const ghostLetters = await t.ctx.db.selectFrom('dead_letters').selectAll().where('device_id', '=', ghost).execute();
    expect(ghostLetters.map((l) => l.reason)).toEqual(['unknown_device']);
    // The device is unknown but the topic's site is ours: the tenant is still resolved.
    expect(ghostLetters[0]!.customer_id).toBe(fleet.customer);
    const movedLetters = await t.ctx.db
      .selectFrom('dead_letters')
      .selectAll()
      .where('device_id', '=', moved.id)
      .execute();
    expect(movedLetters.map((l) => [l.reason, l.site_id])).toEqual([['site_mismatch', fleet.sites[0]]]);
    expect(movedLetters[0]!.detail).toContain(moved.site);
  });

  it('counts dead letters by reason in /metrics', async () => {
    const headers = {
      authorization: `Bearer ${(await (await import('../../data-api/src/kernel/auth/service.ts')).createToken(t.ctx.db, { name: 'prom', role: 'viewer' })).token}`,
    };
    const res = await t.app.inject({ method: 'GET', url: '/metrics', headers });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    const value = (reason: string) =>
      Number(
        new RegExp(`^fleetbook_ingest_dead_letters_total\\{reason="${reason}"\\} (\\d+)$`, 'm').exec(res.body)?.[1] ??
          0,
      );
    // At least this file's own (other files' messages may add to them on a shared broker).
    expect(value('validation')).toBeGreaterThanOrEqual(CASES.filter((c) => c.reason === 'validation').length);
    expect(value('oversize')).toBeGreaterThanOrEqual(1);
    expect(value('unsupported_schema_version')).toBeGreaterThanOrEqual(1);
    expect(value('unknown_device')).toBeGreaterThanOrEqual(1);
    expect(value('site_mismatch')).toBeGreaterThanOrEqual(1);
  });
});
