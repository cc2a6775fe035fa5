// The runner's Finish button stays greyed out until every gate is complete (the API refuses it
// before): the footer says which gate holds it back, so a field engineer is not left guessing.
import { describe, expect, it } from 'vitest';
import { finishHint } from '../../src/runbook/model.ts';

const gate = (title: string, status: 'locked' | 'open' | 'awaiting_sign_off' | 'complete') => ({ title, status });

describe('finishHint', () => {
  it('names the first gate that is not complete, and how many are left', () => {
    expect(finishHint([gate('Prepare', 'complete'), gate('Bench test', 'open'), gate('Wrap up', 'locked')])).toBe(
      'Finish opens when every gate is complete: “Bench test” is not done yet (2 of 3 gates left).',
    );
  });

  it('says when the gate holding it back awaits a sign-off', () => {
    expect(finishHint([gate('Prepare', 'awaiting_sign_off')])).toBe(
      'Finish opens when every gate is complete: “Prepare” awaits its sign-off.',
    );
  });

  it('says nothing once every gate is complete', () => {
    expect(finishHint([gate('Prepare', 'complete'), gate('Wrap up', 'complete')])).toBeNull();
  });
});
