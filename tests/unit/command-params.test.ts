import { describe, expect, it } from 'vitest';
import type { CatalogCommand } from '../../data-api/src/contracts/catalog.ts';
import { commandFor, commandParamIssues, commandsForVersion } from '../../data-api/src/contracts/command-params.ts';
import { paramsOf } from '../../src/widgets/DeviceCommands/params.ts';

// The catalog's param rule, shared by POST /devices/:id/commands and the DeviceCommands form: the
// generated firmware's (fb_command.c) wording and defaults.
const tune: CatalogCommand = {
  action: 'tune',
  description: 'x',
  params: [
    { name: 'steps', type: 'integer', min: 1, max: 10 },
    { name: 'fast', type: 'boolean', required: false },
    { name: 'label', type: 'string', required: false },
    { name: 'gain', type: 'number', min: 0, required: false },
  ],
};

describe('command params against the catalog', () => {
  it('takes what the firmware takes, and words each refusal as it does', () => {
    expect(commandParamIssues(tune, { steps: 3, fast: true, label: 'x'.repeat(64), gain: 0 })).toEqual([]);
    expect(commandParamIssues(tune, { steps: 3.5 })).toEqual([{ param: 'steps', message: 'expected a whole number' }]);
    expect(commandParamIssues(tune, { steps: 0 })).toEqual([
      { param: 'steps', message: 'steps 0 is out of range: expected 1 to 10' },
    ]);
    expect(commandParamIssues(tune, { steps: 2, gain: -1 })).toEqual([
      { param: 'gain', message: 'gain -1 is out of range: expected at least 0' },
    ]);
    expect(commandParamIssues(tune, { steps: 2, fast: 1 })).toEqual([
      { param: 'fast', message: 'expected true or false' },
    ]);
    expect(commandParamIssues(tune, { steps: 2, label: 'x'.repeat(65) })).toEqual([
      { param: 'label', message: 'expected a string of at most 64 characters' },
    ]);
    expect(commandParamIssues(tune, { fast: null })).toEqual([
      { param: 'steps', message: 'missing param steps' },
      { param: 'fast', message: 'expected true or false' },
    ]);
  });

  it('the form leaves empty fields out and sends a number field that is not one as text, for the rule to name', () => {
    expect(paramsOf(tune.params!, { steps: ' 4 ', fast: 'false', label: '', gain: 'abc' })).toEqual({
      steps: 4,
      fast: false,
      gain: 'abc',
    });
  });

  it('a device takes the commands its version has reached (since); one of no known version, all', () => {
    const cmds = [{ action: 'a' }, { action: 'b', since: '1.5.0' }, { action: 'c', since: '2.0.0-rc.1' }];
    const of = (v: string | null) => commandsForVersion(cmds, v).map((c) => c.action);
    expect(of('1.4.2')).toEqual(['a']);
    expect(of('1.5.0')).toEqual(['a', 'b']);
    expect(of('2.0.0')).toEqual(['a', 'b', 'c']);
    expect(of(null)).toEqual(['a', 'b', 'c']);
  });

  it('a device takes only an action its product declares for its version; the refusal says why (commandFor)', () => {
    const cmds = [{ action: 'start' }, { action: 'set_x', since: '1.5.0' }];
    const pump = (v: string | null) => ({ product_code: 'pump-ctl', product_version: v });
    expect(commandFor(cmds, pump('1.5.0'), 'set_x')).toEqual({ command: cmds[1] });
    expect(commandFor(cmds, pump(null), 'set_x')).toEqual({ command: cmds[1] });
    expect(commandFor(cmds, pump('1.4.2'), 'set_x')).toEqual({
      issue: 'set_x needs pump-ctl 1.5.0 or later; this device runs 1.4.2',
    });
    expect(commandFor(cmds, pump('1.4.2'), 'reboot')).toEqual({
      issue: 'pump-ctl 1.4.2 declares no command reboot; it declares: start',
    });
    expect(commandFor([cmds[1]!], pump('1.4.2'), 'reboot')).toEqual({
      issue: 'pump-ctl 1.4.2 declares no command reboot; it declares none for this version (set_x since 1.5.0)',
    });
    expect(commandFor([], { product_code: 'soil-probe', product_version: '1.4.2' }, 'reboot')).toEqual({
      issue: 'soil-probe 1.4.2 declares no commands: it takes none',
    });
  });
});
