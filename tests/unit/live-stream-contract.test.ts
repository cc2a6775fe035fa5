// The browser parses the stream with the shared contract, never casts it (style.md: "one zod
// schema per contract … the browser parses, never guesses"; contracts/change-events.ts). A
// message the contract refuses is dropped before the store or any widget sees it, counted and
// logged once per kind with its field and reason, and the subscribers it may concern re-read by
// REST, as after a reconnect. Real LiveConnection and EntityStore over a scripted SSE stream;
// the events are the API's, in the contract's shape (surfaces as the publisher emits them).
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  alertChangePayloadSchema,
  changePayloadOf,
  commandChangePayloadSchema,
  parseChangeEvent,
  type ParsedChangeEvent,
} from '../../data-api/src/contracts/change-events.ts';
import { executionChangePayloadSchema } from '../../data-api/src/contracts/executions.ts';
import { contractDevice, contractExecution, contractItem } from '../helpers/contract-fixtures.ts';
import { surfaceEventPayloadSchema } from '../../data-api/src/contracts/surfaces.ts';
import { LiveConnection, type RefusedMessage } from '../../src/data/live.ts';
import { EntityStore } from '../../src/data/store.ts';
import { applyExecutionEvent } from '../../src/runbook/model.ts';

function scriptedStream() {
  const writers: Array<(t: string) => void> = [];
  const fn = (async (_url: string, init: RequestInit) => {
    const enc = new TextEncoder();
    let ctrl!: ReadableStreamDefaultController<Uint8Array>;
    const body = new ReadableStream<Uint8Array>({ start: (c) => void (ctrl = c) });
    init.signal?.addEventListener('abort', () => {
      try {
        ctrl.error(new DOMException('aborted', 'AbortError'));
      } catch {
        /* closed */
      }
    });
    writers.push((t) => ctrl.enqueue(enc.encode(t)));
    return new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } });
  }) as unknown as typeof fetch;
  return { fn, write: (t: string) => writers.at(-1)!(t), opened: () => writers.length };
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(check: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await wait(5);
  }
}

const SITE = 'site_farm-north';
const DEV = 'dev_farm-north-1-001';
const message = (event: string, id: number, body: Record<string, unknown>) =>
  `id: ${id}\nevent: ${event}\ndata: ${JSON.stringify({ id, at: '2026-12-07T12:00:00.000Z', site_id: SITE, ...body })}\n\n`;
const health = (id: number, payload: Record<string, unknown>) =>
  message('change', id, { type: 'device.health_changed', subject: { type: 'device', id: DEV }, payload });
const device = contractDevice(DEV, {
  site_id: SITE,
  product_version: '1.4.2',
  name: 'Pump 1',
  last_seen: '2026-12-07T11:59:00.000Z',
  created_at: '2026-12-01T00:00:00.000Z',
  updated_at: '2026-12-07T11:00:00.000Z',
});
const SURFACE_ID = `site-status~${SITE}`;
const surfaceData = (id: number, payload: Record<string, unknown>) =>
  message('surface', id, {
    type: 'surface.updated',
    subject: { type: 'surface', id: SURFACE_ID },
    site_id: null,
    payload,
  });
const dataPayload = surfaceEventPayloadSchema.parse({
  kind: 'data',
  surface: 'site-status',
  messages: [{ version: 'v0.9', updateDataModel: { surfaceId: SURFACE_ID, path: '/', value: { up: 3, down: 1 } } }],
});

let conn: LiveConnection | null = null;
afterEach(() => {
  conn?.close();
  vi.restoreAllMocks();
});

async function online(onRefused?: (r: RefusedMessage) => void) {
  const s = scriptedStream();
  const store = new EntityStore();
  store.seed('device', [device]);
  conn = new LiveConnection({
    url: () => '/stream',
    fetch: s.fn,
    settleMs: 0,
    store,
    ...(onRefused ? { onRefused } : {}),
  });
  const table = { changes: [] as string[], resyncs: 0 };
  conn.subscribe({
    topics: [`site:${SITE}`],
    onChange: (e) => table.changes.push(`${e.id} ${e.type}`),
    onResync: () => table.resyncs++,
  });
  const surface = { changes: [] as unknown[], resyncs: 0 };
  conn.subscribe({
    topics: [`surface:${SURFACE_ID}`],
    onChange: (e) => surface.changes.push(e.payload),
    onResync: () => surface.resyncs++,
  });
  const chart = { samples: [] as number[] };
  conn.subscribe({ topics: [`device:${DEV}`], onTelemetry: (s) => chart.samples.push(s.ts) });
  await until(() => s.opened() === 1);
  s.write('event: ready\ndata: {"last_event_id":10}\n\n');
  await until(() => conn!.getState().status === 'online');
  // Fresh stream: both went live with a re-read; count from here.
  await wait(10);
  table.resyncs = surface.resyncs = 0;
  return { s, store, table, surface, chart, conn: conn };
}

describe('the stream, parsed with the contract', () => {
  it('hands contract-shaped change, surface and telemetry messages to the store and the widgets', async () => {
    const { s, store, table, surface, chart } = await online();
    s.write(health(11, { device_id: DEV, status: 'down', previous: 'up', last_seen: '2026-12-07T11:59:30.000Z' }));
    s.write(surfaceData(12, dataPayload));
    s.write(
      `event: telemetry\ndata: ${JSON.stringify({ device_id: DEV, site_id: SITE, ts: 1, metrics: { temp_c: 21.5 } })}\n\n`,
    );
    await until(() => chart.samples.length === 1 && surface.changes.length === 1);
    expect(store.get('device', DEV)!.status).toBe('down');
    expect(table.changes).toEqual(['11 device.health_changed']);
    expect(surface.changes).toEqual([dataPayload]);
    expect(conn!.refusals().size).toBe(0);
  });

  it('drops a change whose payload the contract refuses: the store keeps its copy, the widget re-reads, logged once', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const { s, store, table } = await online();
    // A status the contract does not know, twice (a burst), then a good event.
    s.write(health(11, { device_id: DEV, status: 'sideways', previous: 'up', last_seen: null }));
    s.write(health(12, { device_id: DEV, status: 'sideways', previous: 'up', last_seen: null }));
    await until(() => conn!.getState().lastEventId === 12);
    expect(store.get('device', DEV)!.status).toBe('up');
    expect(table.changes).toEqual([]);
    // One re-read by REST for the burst, as after a reconnect.
    await until(() => table.resyncs === 1);
    await wait(300);
    expect(table.resyncs).toBe(1);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]![0])).toMatch(
      /event: change, type device\.health_changed, id 11\): payload\.status: Invalid option/,
    );
    expect([...conn!.refusals().values()]).toEqual([2]);
    // The next good event goes through.
    s.write(health(13, { device_id: DEV, status: 'down', previous: 'up', last_seen: '2026-12-07T12:00:00.000Z' }));
    await until(() => table.changes.length === 1);
    expect(store.get('device', DEV)!.status).toBe('down');
  });

  it('drops a whole entity of another shape instead of upserting it into the store', async () => {
    const refused: RefusedMessage[] = [];
    const { s, store, table } = await online((r) => refused.push(r));
    const { status: _status, ...noStatus } = device;
    s.write(
      message('change', 11, {
        type: 'device.updated',
        subject: { type: 'device', id: DEV },
        payload: { ...noStatus, name: 'Renamed', updated_at: '2026-12-07T12:00:00.000Z' },
      }),
    );
    await until(() => refused.length === 1);
    expect(refused[0]).toMatchObject({ event: 'change', type: 'device.updated', id: 11, field: 'payload.status' });
    expect(store.get('device', DEV)).toMatchObject({ name: 'Pump 1', status: 'up' });
    expect(table.changes).toEqual([]);
    await until(() => table.resyncs === 1);
  });

  it('drops a surface event whose A2UI messages do not parse: the surface re-reads, draws nothing from it', async () => {
    const refused: RefusedMessage[] = [];
    const { s, surface, table } = await online((r) => refused.push(r));
    s.write(surfaceData(11, { kind: 'data', surface: 'site-status', messages: { updateDataModel: {} } }));
    await until(() => surface.resyncs === 1);
    expect(surface.changes).toEqual([]);
    expect(refused[0]).toMatchObject({ event: 'surface', type: 'surface.updated', field: 'payload.messages' });
    // Only the subscribers the event concerns re-read.
    await wait(300);
    expect(table.resyncs).toBe(0);
  });

  it('drops an unreadable envelope (every subscriber re-reads) and a malformed sample (nothing to re-read)', async () => {
    const refused: RefusedMessage[] = [];
    const { s, store, table, surface, chart } = await online((r) => refused.push(r));
    s.write(`id: 11\nevent: change\ndata: ${JSON.stringify({ id: 11, type: 'device.updated', payload: {} })}\n\n`);
    s.write('id: 12\nevent: change\ndata: {not json\n\n');
    s.write(
      `event: telemetry\ndata: ${JSON.stringify({ device_id: DEV, site_id: SITE, ts: 'soon', metrics: {} })}\n\n`,
    );
    await until(() => refused.length === 3);
    expect(refused.map((r) => `${r.event} ${r.field}`)).toEqual(['change at', 'change (the message)', 'telemetry ts']);
    expect(conn!.getState().lastEventId).toBe(12);
    expect(chart.samples).toEqual([]);
    expect(store.get('device', DEV)).toMatchObject({ status: 'up' });
    await until(() => table.resyncs === 1 && surface.resyncs === 1);
  });
});

describe('one parse per event per page', () => {
  it('the connection parses each execution, alert, command and surface payload once; the hook and widgets read its output', async () => {
    const { s, conn } = await online();
    const parses = {
      execution: vi.spyOn(executionChangePayloadSchema, 'safeParse'),
      alert: vi.spyOn(alertChangePayloadSchema, 'safeParse'),
      command: vi.spyOn(commandChangePayloadSchema, 'safeParse'),
      surface: vi.spyOn(surfaceEventPayloadSchema, 'safeParse'),
    };
    const EXEC = 'run_01HZX5Q8J9K2M3N4P5Q6R7S8T9';
    const at = '2026-12-07T12:00:00.000Z';
    const ticked = contractItem('i1', 'g1', { checked: true, version: 1, by: 'alice', at });
    // useExecution (src/runbook/hooks.ts) applies an item's event with applyExecutionEvent; the
    // lists (ExecutionList, RunbookRunner, DeploymentRunbooks), DeviceHealth, DeviceCommands and
    // the A2UI surface read the payload with changePayloadOf, as here.
    let shown = contractExecution({
      id: EXEC,
      gates: [
        {
          id: 'g1',
          title: 'One',
          sign_off: null,
          status: 'open',
          progress: { checked: 0, total: 1 },
          signed_off: null,
          items: [contractItem('i1', 'g1')],
        },
      ],
    });
    const read: string[] = [];
    conn.subscribe({
      topics: [`execution:${EXEC}`],
      onChange: (e) => {
        const step = applyExecutionEvent(shown, e);
        shown = step.execution!;
        read.push(`hook reread=${step.reread}`);
      },
    });
    conn.subscribe({
      topics: ['execution', 'alert', 'command', `surface:${SURFACE_ID}`],
      onChange: (e) => {
        read.push(
          `list ${changePayloadOf(e, 'execution.*')?.runbook_id ?? '-'} ${changePayloadOf(e, 'alert.*')?.alert.subject.id ?? '-'} ${
            changePayloadOf(e, 'command.*')?.command.device_id ?? '-'
          } ${changePayloadOf(e, 'surface.updated')?.kind ?? '-'}`,
        );
      },
    });
    await wait(20);
    s.write(
      message('change', 11, {
        type: 'execution.item_checked',
        subject: { type: 'execution', id: EXEC },
        payload: {
          execution_id: EXEC,
          deployment_id: 'dep_farm-north-gw',
          runbook_id: 'rb-x',
          state: 'in_progress',
          version: 1,
          progress: { checked: 1, total: 1 },
          current_gate: 'g1',
          by: 'alice',
          at,
          item: ticked,
        },
      }),
    );
    const alert = {
      id: 'alr_1',
      rule_id: 'device_down',
      subject: { type: 'device', id: DEV },
      customer_id: null,
      site_id: SITE,
      severity: 'critical',
      state: 'open',
      title: 'down',
      details: {},
      dedupe_key: 'k',
      escalation_level: 0,
      opened_at: at,
      acked_at: null,
      acked_by: null,
      resolved_at: null,
      resolved_by: null,
      labels: {},
      annotations: {},
    };
    s.write(
      message('change', 12, { type: 'alert.opened', subject: { type: 'alert', id: 'alr_1' }, payload: { alert } }),
    );
    const command = {
      cmd_id: 'cmd_1',
      device_id: DEV,
      site_id: SITE,
      action: 'reboot',
      params: {},
      status: 'sent',
      detail: null,
      created_by: 'alice',
      created_at: at,
      sent_at: at,
      expires_at: at,
      result_at: null,
    };
    s.write(
      message('change', 13, {
        type: 'command.updated',
        subject: { type: 'command', id: 'cmd_1' },
        payload: { command },
      }),
    );
    s.write(surfaceData(14, dataPayload));
    await until(() => read.length === 5);
    expect(read).toEqual([
      'hook reread=false',
      'list rb-x - - -',
      `list - ${DEV} - -`,
      `list - - ${DEV} -`,
      'list - - - data',
    ]);
    expect(shown.gates[0]!.items[0]).toMatchObject({ checked: true, version: 1 });
    expect(conn.refusals().size).toBe(0);
    expect(Object.fromEntries(Object.entries(parses).map(([k, spy]) => [k, spy.mock.calls.length]))).toEqual({
      execution: 1,
      alert: 1,
      command: 1,
      surface: 1,
    });
  });
});

describe('parseChangeEvent (contracts/change-events.ts)', () => {
  it('parses the payload by its type (exact, else family) and leaves unlisted types to the envelope', () => {
    const at = '2026-12-07T12:00:00.000Z';
    const base = { id: 1, at, subject: { type: 'alert', id: 'alr_1' }, site_id: null };
    const bad = parseChangeEvent({ ...base, type: 'alert.acknowledged', payload: { alert: { id: 'alr_1' } } });
    expect(bad.success ? null : bad.refusal.field).toMatch(/^payload\.alert\./);
    const other = parseChangeEvent({ ...base, type: 'silence.created', payload: { anything: 1 } });
    expect(other.success).toBe(true);
  });

  it('changePayloadOf reads the payload its key schema parsed, and is null for an event of another schema', () => {
    const at = '2026-12-07T12:00:00.000Z';
    const payload = {
      execution_id: 'run_01HZX5Q8J9K2M3N4P5Q6R7S8T9',
      deployment_id: 'dep_farm-north-gw',
      runbook_id: 'rb-lorawan-gateway-install',
      state: 'in_progress',
      version: 3,
      progress: { checked: 2, total: 9 },
      current_gate: 'power',
      by: 'alice',
      at,
    };
    const event = (type: string, p: unknown): ParsedChangeEvent => {
      const parsed = parseChangeEvent({
        id: 1,
        at,
        type,
        subject: { type: 'execution', id: payload.execution_id },
        site_id: null,
        payload: p,
      });
      if (!parsed.success) throw new Error(`${parsed.refusal.field}: ${parsed.refusal.reason}`);
      return parsed.data;
    };
    expect(changePayloadOf(event('execution.item_checked', payload), 'execution.*')).toMatchObject({
      deployment_id: 'dep_farm-north-gw',
      runbook_id: 'rb-lorawan-gateway-install',
    });
    expect(changePayloadOf(event('execution.item_checked', payload), 'alert.*')).toBeNull();
    expect(changePayloadOf(event('silence.created', payload), 'execution.*')).toBeNull();
    // One of another shape never becomes a ParsedChangeEvent: the connection refuses it.
    expect(() => event('execution.item_checked', { ...payload, deployment_id: 7 })).toThrow(/^payload\.deployment_id/);
  });

  it('costs little per event (the stream carries thousands a second): logged for the record', () => {
    const text = JSON.stringify({
      id: 1,
      at: '2026-12-07T12:00:00.000Z',
      type: 'device.health_changed',
      subject: { type: 'device', id: DEV },
      site_id: SITE,
      payload: { device_id: DEV, status: 'up', previous: 'down', last_seen: '2026-12-07T12:00:00.000Z' },
    });
    const N = 20_000;
    const time = (f: () => unknown) => {
      for (let i = 0; i < 2000; i++) f();
      const t = performance.now();
      for (let i = 0; i < N; i++) f();
      return ((performance.now() - t) / N) * 1000;
    };
    const cast = time(() => JSON.parse(text) as unknown);
    const parsed = time(() => parseChangeEvent(JSON.parse(text)));
    console.info(`change event: JSON.parse ${cast.toFixed(2)} µs, + contract parse ${parsed.toFixed(2)} µs`);
    expect(parseChangeEvent(JSON.parse(text)).success).toBe(true);
    // Generous bound (CI machines vary): well under a tenth of a millisecond an event.
    expect(parsed).toBeLessThan(100);
  });
});
