import { describe, expect, it } from 'vitest';
import {
  computeGateStatuses,
  formatExpect,
  liveState,
  outOfRange,
  type Execution,
} from '../../data-api/src/contracts/executions.ts';
import { applyExecution, applyItem, ifVersionFor, overlay, whoWhen } from '../../src/runbook/model.ts';
import { contractExecution, contractItem, queuedAction } from '../helpers/contract-fixtures.ts';

// runbooks.md: a gate with `sign_off` blocks the next gate until signed off; the runner shows
// queued (offline) actions at once and never moves an item backwards in time.

const item = contractItem;

function execution(): Execution {
  return contractExecution({
    progress: { checked: 0, total: 3 },
    current_gate: 'g1',
    gates: [
      {
        id: 'g1',
        title: 'One',
        sign_off: 'lead',
        status: 'open',
        progress: { checked: 0, total: 2 },
        signed_off: null,
        items: [item('a', 'g1'), item('b', 'g1')],
      },
      {
        id: 'g2',
        title: 'Two',
        sign_off: null,
        status: 'locked',
        progress: { checked: 0, total: 1 },
        signed_off: null,
        items: [item('c', 'g2')],
      },
    ],
  });
}

const entry = queuedAction;

describe('gate rules (shared by the API and the runner)', () => {
  it('an unsigned sign_off gate locks every gate after it, and is awaiting sign-off once its items are done', () => {
    const gates = [
      { id: 'g1', sign_off: 'lead', checklist: [{ id: 'a' }] },
      { id: 'g2', checklist: [{ id: 'b' }] },
      { id: 'g3', checklist: [{ id: 'c' }] },
    ];
    expect(
      computeGateStatuses(
        gates,
        () => false,
        () => false,
      ).map((s) => s.status),
    ).toEqual(['open', 'locked', 'locked']);
    const done = computeGateStatuses(
      gates,
      (id) => id === 'a',
      () => false,
    );
    expect(done.map((s) => s.status)).toEqual(['awaiting_sign_off', 'locked', 'locked']);
    expect(liveState(done)).toBe('blocked');
    const signed = computeGateStatuses(
      gates,
      (id) => id === 'a',
      (g) => g === 'g1',
    );
    expect(signed.map((s) => s.status)).toEqual(['complete', 'open', 'open']);
    expect(liveState(signed)).toBe('in_progress');
  });

  it('expect ranges are inclusive and read like people write them', () => {
    expect(outOfRange(11.5, { min: 11.5, max: 12.5 })).toBe(false);
    expect(outOfRange(12.51, { min: 11.5, max: 12.5 })).toBe(true);
    expect(outOfRange(-130, { min: -125 })).toBe(true);
    expect(outOfRange(5, null)).toBe(false);
    expect(formatExpect({ min: 11.5, max: 12.5, unit: 'V' })).toBe('11.5–12.5 V');
    expect(formatExpect({ min: 4, unit: 'm' })).toBe('≥ 4 m');
    expect(formatExpect({ max: 10 })).toBe('≤ 10');
  });
});

describe('the runner model', () => {
  it('applies newer item versions and recomputes gates and progress; ignores older ones', () => {
    let e = execution();
    e = applyItem(e, item('a', 'g1', { checked: true, version: 1, by: 'bob', at: '2026-01-01T00:00:02.000Z' }));
    e = applyItem(e, item('b', 'g1', { checked: true, version: 1 }), { version: 2, state: 'blocked' });
    expect(e.gates[0]!.status).toBe('awaiting_sign_off');
    expect(e.state).toBe('blocked');
    expect(e.progress).toEqual({ checked: 2, total: 3 });
    expect(e.version).toBe(2);
    const same = applyItem(e, item('a', 'g1', { checked: false, version: 1 }));
    expect(same).toBe(e);
    // An older execution (a slow REST answer) does not replace a newer one.
    expect(applyExecution(e, { ...execution(), version: 1 })).toBe(e);
  });

  it('lays queued actions over the server state, marked pending', () => {
    const e = execution();
    const view = overlay(e, [
      entry(1, { kind: 'tick', executionId: 'run_1', itemId: 'a', body: {} }),
      entry(2, { kind: 'value', executionId: 'run_1', itemId: 'b', body: { value: 12.1 } }),
      entry(3, { kind: 'tick', executionId: 'run_other', itemId: 'c', body: {} }),
    ]);
    expect(view.pending).toBe(2);
    const [a, b] = view.gates[0]!.items;
    expect([a!.checked, a!.pending, b!.checked, b!.value]).toEqual([true, 1, true, 12.1]);
    expect(view.gates[0]!.status).toBe('awaiting_sign_off');
    expect(view.gates[1]!.items[0]!.pending).toBe(0);
    // Our own queued action on an item makes the next one skip if_version (they apply in order).
    expect(ifVersionFor(a!)).toBeUndefined();
    expect(ifVersionFor(view.gates[1]!.items[0]!)).toBe(0);
  });

  it('lays queued links and uploads over their items as evidence waiting to be sent, in queue order', () => {
    const photo = new Blob([new Uint8Array([1, 2, 3])], { type: 'image/png' });
    const view = overlay(execution(), [
      entry(4, { kind: 'link', executionId: 'run_1', itemId: 'a', body: { url: 'https://x.example/1' } }),
      entry(5, {
        kind: 'evidence',
        executionId: 'run_1',
        itemId: 'b',
        file: photo,
        filename: 'p.png',
        evidenceKind: 'photo',
      }),
      entry(6, { kind: 'tick', executionId: 'run_1', itemId: 'a', body: {} }),
    ]);
    const [a, b] = view.gates[0]!.items;
    expect(a!.queued_evidence).toEqual([{ seq: 4, kind: 'link', url: 'https://x.example/1' }]);
    expect([a!.checked, a!.pending]).toEqual([true, 2]);
    expect(b!.queued_evidence).toEqual([{ seq: 5, kind: 'photo', file: photo, filename: 'p.png' }]);
    expect(view.gates[1]!.items[0]!.queued_evidence).toEqual([]);
  });

  it('says who and when, and when a queued action was done offline', () => {
    expect(whoWhen({ by: null, at: null, client_at: null })).toBeNull();
    expect(whoWhen({ by: 'alice', at: '2026-01-01T10:00:00.000Z', client_at: null }, 'en-GB')).toMatch(
      /^alice · \d\d:\d\d:\d\d$/,
    );
    expect(
      whoWhen({ by: 'alice', at: '2026-01-01T10:10:00.000Z', client_at: '2026-01-01T10:00:00.000Z' }, 'en-GB'),
    ).toMatch(/^alice · \d\d:\d\d:\d\d \(sent \d\d:\d\d:\d\d\)$/);
  });
});
