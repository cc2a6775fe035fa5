// The browser data client's pure parts (widgets.md: one SSE connection per page, a store
// keyed by entity id, reconnect with backoff and Last-Event-ID). They run in Node: no DOM.
import { describe, expect, it } from 'vitest';
import type { ChangeEventMessage } from '../../data-api/src/contracts/stream.ts';
import { backoffDelay, DEFAULT_BACKOFF } from '../../src/data/backoff.ts';
import { ApiRequestError } from '../../src/data/client.ts';
import { ContractMismatchError } from '../../src/data/parse.ts';
import { isTransient } from '../../src/data/poll.ts';
import { SseParser } from '../../src/data/sse-parser.ts';
import { EMPTY_STORE, EntityStore, reduceChange, seedEntities } from '../../src/data/store.ts';
import { isValidTopic, topicUnion, TopicSet } from '../../src/data/topics.ts';

let nextId = 1;
const change = (
  type: string,
  subject: { type: string; id: string },
  payload: Record<string, unknown> = {},
): ChangeEventMessage => ({
  id: nextId++,
  at: new Date().toISOString(),
  type,
  subject,
  site_id: null,
  payload,
});
const device = (id: string, patch: Record<string, unknown> = {}) => ({
  id,
  name: id,
  status: 'unknown',
  updated_at: '2026-01-01T00:00:00.000Z',
  ...patch,
});

describe('topic union (one connection for every widget on the page)', () => {
  it('is sorted and deduplicated', () => {
    expect(topicUnion([['device', 'alert'], ['alert'], ['surface:fleet-overview']])).toEqual([
      'alert',
      'device',
      'surface:fleet-overview',
    ]);
  });

  it('lets a family subsume its single-subject topics', () => {
    expect(topicUnion([['device:dev_a'], ['device'], ['alert:alr_1']])).toEqual(['alert:alr_1', 'device']);
  });

  it('keeps site:<id> next to the site family: it means everything at the site', () => {
    expect(topicUnion([['site'], ['site:site_x']])).toEqual(['site', 'site:site_x']);
  });

  it('drops topics the stream would refuse', () => {
    expect(isValidTopic('surface:site-status~site_farm-north')).toBe(true);
    expect(isValidTopic('Device')).toBe(false);
    expect(topicUnion([['device', 'bad topic', 'x:y/z']])).toEqual(['device']);
  });

  it('is ref-counted: a change fires only when the union changes', () => {
    const seen: string[][] = [];
    const set = new TopicSet((t) => seen.push(t));
    const a = set.add(['device']);
    const b = set.add(['device:dev_1']); // subsumed: no change
    const c = set.add(['alert']);
    b();
    a();
    expect(seen).toEqual([['device'], ['alert', 'device'], ['alert']]);
    c();
    expect(seen.at(-1)).toEqual([]);
    c(); // releasing twice is harmless
    expect(set.size()).toBe(0);
  });
});

describe('backoff', () => {
  it('doubles from the base up to the cap, without jitter', () => {
    const d = [0, 1, 2, 3, 4, 5, 10].map((n) => backoffDelay(n, { jitter: 0 }));
    expect(d).toEqual([500, 1000, 2000, 4000, 5000, 5000, 5000]);
  });

  it('spreads ±jitter and never exceeds the cap', () => {
    expect(backoffDelay(1, { jitter: 0.2 }, () => 0)).toBe(800);
    expect(backoffDelay(1, { jitter: 0.2 }, () => 1)).toBe(1200);
    expect(backoffDelay(20, {}, () => 1)).toBe(DEFAULT_BACKOFF.maxMs);
    expect(backoffDelay(-3, { jitter: 0 })).toBe(500);
  });
});

describe('SSE parser (fetch stream)', () => {
  it('assembles events split across chunks, with ids and multi-line data', () => {
    const p = new SseParser();
    expect(p.push('retry: 2000\n\nid: 7\nevent: cha')).toEqual([{ event: 'retry', data: '', retry: 2000 }]);
    expect(p.push('nge\ndata: {"a":1}\n\n: keepalive\n\nevent: telemetry\ndata: x\ndata: y\n\n')).toEqual([
      { event: 'change', data: '{"a":1}', id: '7' },
      { event: 'telemetry', data: 'x\ny' },
    ]);
  });

  it('accepts CRLF line ends', () => {
    expect(new SseParser().push('event: ready\r\ndata: {}\r\n\r\n')).toEqual([{ event: 'ready', data: '{}' }]);
  });
});

describe('entity store reducer', () => {
  it('seeds REST rows and reports which keys changed', () => {
    const r = seedEntities(EMPTY_STORE, 'device', [device('dev_a'), device('dev_b')]);
    expect(r.changed).toEqual(['device/dev_a', 'device/dev_b']);
    expect(r.state.device!.dev_a!.name).toBe('dev_a');
    // Seeding the same rows again changes nothing.
    expect(seedEntities(r.state, 'device', [device('dev_a')]).changed).toEqual([]);
  });

  it('upserts a whole entity from device.updated', () => {
    const s0 = seedEntities(EMPTY_STORE, 'device', [device('dev_a')]).state;
    const r = reduceChange(
      s0,
      change(
        'device.updated',
        { type: 'device', id: 'dev_a' },
        device('dev_a', { name: 'Pump 1', updated_at: '2026-01-02T00:00:00.000Z' }),
      ),
    );
    expect(r.changed).toEqual(['device/dev_a']);
    expect(r.state.device!.dev_a!.name).toBe('Pump 1');
    expect(s0.device!.dev_a!.name).toBe('dev_a'); // immutable
  });

  it('merges a partial payload (device.health_changed) into the row it has, ignores unknown rows', () => {
    const s0 = seedEntities(EMPTY_STORE, 'device', [device('dev_a')]).state;
    const ev = (id: string) =>
      change(
        'device.health_changed',
        { type: 'device', id },
        { device_id: id, status: 'up', previous: 'unknown', last_seen: '2026-01-03T00:00:00.000Z' },
      );
    const r = reduceChange(s0, ev('dev_a'));
    expect(r.state.device!.dev_a).toMatchObject({ status: 'up', last_seen: '2026-01-03T00:00:00.000Z', name: 'dev_a' });
    expect(r.state.device!.dev_a).not.toHaveProperty('previous');
    expect(reduceChange(r.state, ev('dev_zz')).changed).toEqual([]);
  });

  it('takes an entity nested under its type (alert events carry { alert })', () => {
    const alert = { id: 'alr_1', state: 'acknowledged', title: 'down' };
    const r = reduceChange(EMPTY_STORE, change('alert.acknowledged', { type: 'alert', id: 'alr_1' }, { alert }));
    expect(r.state.alert!.alr_1).toEqual(alert);
  });

  it('keeps the newer copy when a REST page arrives after a change event', () => {
    const s1 = reduceChange(
      EMPTY_STORE,
      change(
        'device.updated',
        { type: 'device', id: 'dev_a' },
        device('dev_a', { name: 'new', updated_at: '2026-01-05T00:00:00.000Z' }),
      ),
    ).state;
    const r = seedEntities(s1, 'device', [device('dev_a', { name: 'old', updated_at: '2026-01-04T00:00:00.000Z' })]);
    expect(r.changed).toEqual([]);
    expect(r.state.device!.dev_a!.name).toBe('new');
    // …and an older event never overwrites a newer row.
    expect(
      reduceChange(
        s1,
        change(
          'device.updated',
          { type: 'device', id: 'dev_a' },
          device('dev_a', { name: 'older', updated_at: '2026-01-01T00:00:00.000Z' }),
        ),
      ).changed,
    ).toEqual([]);
  });

  it('keeps an acknowledged alert when a list read before the acknowledgement answers after it', () => {
    // The alert contract carries neither version nor updated_at: its state only moves forward.
    const alert = (state: string, patch: Record<string, unknown> = {}) => ({
      id: 'alr_1',
      state,
      escalation_level: 0,
      opened_at: '2026-01-01T00:00:00.000Z',
      acked_at: state === 'open' ? null : '2026-01-01T00:05:00.000Z',
      ...patch,
    });
    const s0 = seedEntities(EMPTY_STORE, 'alert', [alert('open')]).state;
    const s1 = reduceChange(
      s0,
      change('alert.acknowledged', { type: 'alert', id: 'alr_1' }, { alert: alert('acknowledged') }),
    ).state;
    // The refresh (refetchOn alert.*) read before the acknowledgement committed.
    const stale = seedEntities(s1, 'alert', [alert('open', { escalation_level: 1 })]);
    expect(stale.changed).toEqual([]);
    expect(stale.state.alert!.alr_1!.state).toBe('acknowledged');
    // The same for the POST answer seeded after a resolution event overtook it, and for events.
    const s2 = reduceChange(
      s1,
      change('alert.resolved', { type: 'alert', id: 'alr_1' }, { alert: alert('resolved') }),
    ).state;
    expect(seedEntities(s2, 'alert', [alert('acknowledged')]).changed).toEqual([]);
    expect(
      reduceChange(s2, change('alert.acknowledged', { type: 'alert', id: 'alr_1' }, { alert: alert('acknowledged') }))
        .changed,
    ).toEqual([]);
    // A newer read still replaces it: a later state, a higher escalation, or the same rank.
    expect(seedEntities(s1, 'alert', [alert('acknowledged', { escalation_level: 2 })]).changed).toEqual([
      'alert/alr_1',
    ]);
    expect(seedEntities(s1, 'alert', [alert('acknowledged', { title: 'x' })]).changed).toEqual(['alert/alr_1']);
    expect(seedEntities(s1, 'alert', [alert('resolved')]).state.alert!.alr_1!.state).toBe('resolved');
  });

  it('orders copies by version before updated_at when both copies carry one', () => {
    const item = (version: number, updated_at: string, title: string) => ({ id: 'wi_1', version, updated_at, title });
    // Two writers' clocks disagree: version 3 was stamped earlier than version 2.
    const s1 = seedEntities(EMPTY_STORE, 'work_item', [item(3, '2026-01-01T00:00:00.000Z', 'new')]).state;
    expect(seedEntities(s1, 'work_item', [item(2, '2026-01-02T00:00:00.000Z', 'old')]).changed).toEqual([]);
    expect(seedEntities(s1, 'work_item', [item(4, '2025-12-31T00:00:00.000Z', 'newer')]).changed).toEqual([
      'work_item/wi_1',
    ]);
  });

  it('tombstones deleted entities so a late REST page cannot bring them back', () => {
    const s1 = reduceChange(
      seedEntities(EMPTY_STORE, 'device', [device('dev_a')]).state,
      change('device.deleted', { type: 'device', id: 'dev_a' }),
    ).state;
    expect(s1.device!.dev_a).toBeNull();
    expect(seedEntities(s1, 'device', [device('dev_a', { updated_at: '2030-01-01T00:00:00.000Z' })]).changed).toEqual(
      [],
    );
  });

  it('notifies subscribers with the keys that changed, and only when something did', () => {
    const store = new EntityStore();
    const calls: string[][] = [];
    store.subscribe((keys) => calls.push([...keys]));
    store.seed('device', [device('dev_a')]);
    store.seed('device', [device('dev_a')]);
    store.apply(
      change(
        'device.updated',
        { type: 'device', id: 'dev_a' },
        device('dev_a', { status: 'down', updated_at: '2026-02-01T00:00:00.000Z' }),
      ),
    );
    expect(calls).toEqual([['device/dev_a'], ['device/dev_a']]);
    expect(store.get('device', 'dev_a')!.status).toBe('down');
  });
});

describe('which failed reads are retried (pollPath; tests/integration/live-widget-data.test.ts retries one)', () => {
  it('retries what may pass: unreachable, 5xx, 408, 429', () => {
    expect(isTransient(new TypeError('fetch failed'))).toBe(true);
    for (const status of [500, 502, 503, 408, 429]) expect(isTransient(new ApiRequestError(status, 'x'))).toBe(true);
  });
  it('does not repeat a 4xx or an answer that breaks the contract', () => {
    for (const status of [400, 401, 403, 404]) expect(isTransient(new ApiRequestError(status, 'x'))).toBe(false);
    expect(isTransient(new ContractMismatchError('/x', []))).toBe(false);
  });
});
