// automation/schedules.yaml as the runner reads it: every problem at its file:line:column.
import { describe, expect, it } from 'vitest';
import { parseSchedules } from '../../data-api/src/automation/runner-service/schedules.ts';

describe('schedules file', () => {
  it('names the field an unknown key is likely a typo of, at its line', () => {
    const parsed = parseSchedules(
      [
        'schedules_version: 1',
        'schedules:',
        '  - id: nightly',
        '    cron: "0 2 * * *"',
        '    timzeone: Asia/Bangkok', // a swapped pair: one edit from `timezone`
        '    colour: blue', //         near no field
        '    spec: automation/specs/a.yaml',
        '',
      ].join('\n'),
      'schedules.yaml',
    );
    expect(parsed.ok ? [] : parsed.problems).toEqual([
      'schedules.yaml:5:5  schedules[0].timzeone: unexpected field "timzeone" (did you mean "timezone"?)',
      'schedules.yaml:6:5  schedules[0].colour: unexpected field "colour"',
    ]);
  });
});
