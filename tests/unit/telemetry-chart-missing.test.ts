// widgets.md: every widget has an error state that says what happened. A TelemetryChart of a
// device the API does not have, or may not show this token (another customer's), gets
// `404 { error: 'not_found', message: 'device <id> not found' }` from the telemetry route: the
// chart says what the API said (the browser parses the error body with the contract's
// errorSchema), not that the API serves no telemetry, nor that there is no data.
import { describe, expect, it } from 'vitest';
import { ApiRequestError } from '../../src/data/client.ts';
import { missingText } from '../../src/widgets/TelemetryChart/missing.ts';

describe('TelemetryChart on a 404', () => {
  it('names the device and quotes the API’s message', () => {
    const err = new ApiRequestError(404, 'device gw_nowhere-1 not found', {
      error: 'not_found',
      message: 'device gw_nowhere-1 not found',
    });
    const text = missingText('gw_nowhere-1', err);
    expect(text).toContain('the data API answered “device gw_nowhere-1 not found”');
    expect(text).toContain('one this page');
    expect(text).not.toMatch(/no data|does not serve/i);
  });

  it('an answer without the error body: says the API answered 404, guessing no reason', () => {
    expect(missingText('gw_x', new ApiRequestError(404, '404 Not Found', '<html>nope</html>'))).toBe(
      'No chart for gw_x: the data API answered 404 with no reason.',
    );
    expect(missingText('gw_x', new ApiRequestError(404, '404 Not Found', { message: 42 }))).toBe(
      'No chart for gw_x: the data API answered 404 with no reason.',
    );
  });
});
