// widgets.md: every widget has an error state that says what happened. One rule for every widget
// (src/widgets/shared/refusal.ts): a refused read says what the API answered (its error body
// parsed with the contract's errorSchema, never guessed) and the status; a 400 names the props'
// fields at fault; a 404 of a read by id notes that the API answers so for an id it does not have
// and for one this page's token may not see; no answer at all says the data API is unreachable.
import { describe, expect, it } from 'vitest';
import { ApiRequestError } from '../../src/data/client.ts';
import { ContractMismatchError } from '../../src/data/parse.ts';
import { isNetworkError, refusalText, UNREACHABLE_NO_DATA } from '../../src/widgets/shared/refusal.ts';

const chart = { lead: 'No chart for gw_nowhere-1', byId: true };

describe('refusalText: what a widget says when its read failed', () => {
  it('404 by id: quotes the API, gives the status, notes that unknown and not-yours answer alike', () => {
    const err = new ApiRequestError(404, 'device gw_nowhere-1 not found', {
      error: 'not_found',
      message: 'device gw_nowhere-1 not found',
    });
    expect(refusalText(chart, err)).toBe(
      "No chart for gw_nowhere-1: the data API answered “device gw_nowhere-1 not found” (404). It answers so for an id it does not have and for one this page's token may not see.",
    );
    expect(refusalText(chart, err)).not.toMatch(/no data|does not serve|not available/i);
  });

  it('404 of a collection (no route): what the API said, without the by-id note', () => {
    const err = new ApiRequestError(404, 'x', { error: 'not_found', message: 'no route GET /api/v1/alerts' });
    expect(refusalText({ lead: 'Recent alerts' }, err)).toBe(
      'Recent alerts: the data API answered “no route GET /api/v1/alerts” (404).',
    );
  });

  it('an answer without the error body: the status and no reason, nothing guessed', () => {
    expect(refusalText(chart, new ApiRequestError(404, '404 Not Found', '<html>nope</html>'))).toMatch(
      /^No chart for gw_nowhere-1: the data API answered 404 with no reason\. It answers so/,
    );
    expect(refusalText(chart, new ApiRequestError(404, '404 Not Found', { message: 42 }))).toMatch(
      /answered 404 with no reason/,
    );
  });

  it('400: the fields at fault and that the page’s props are to check', () => {
    const err = new ApiRequestError(400, 'invalid query', {
      error: 'validation',
      message: 'invalid query',
      issues: [{ path: 'querystring.site_id', message: 'expected an id like site_…' }],
    });
    expect(refusalText({ lead: 'DeploymentBoard for site farm-north', byId: true }, err)).toBe(
      "DeploymentBoard for site farm-north: the data API answered “invalid query” (400): querystring.site_id: expected an id like site_…. Check this widget's props on the page.",
    );
  });

  it('403 and 401: the token, not the id', () => {
    const forbidden = new ApiRequestError(403, 'x', {
      error: 'forbidden',
      message: 'role viewer may not read commands',
    });
    expect(refusalText({ lead: 'Recent commands', byId: true }, forbidden)).toBe(
      "Recent commands: the data API answered “role viewer may not read commands” (403). This page's token may not read it.",
    );
    expect(refusalText({ lead: 'AlertList' }, new ApiRequestError(401, 'x', { error: 'unauthorized' }))).toBe(
      'AlertList: the data API answered 401 with no reason. This read needs a token: sign in.',
    );
  });

  it('5xx: what it said, and that it retries by itself', () => {
    const err = new ApiRequestError(503, 'x', { error: 'unavailable', message: 'database unreachable' });
    expect(refusalText({ lead: 'DeviceHealth for gw_a', byId: true }, err)).toBe(
      'DeviceHealth for gw_a: the data API answered “database unreachable” (503); retrying by itself.',
    );
  });

  it('no answer at all: the data API is unreachable, not a refusal', () => {
    const net = new TypeError('Failed to fetch');
    expect(isNetworkError(net)).toBe(true);
    expect(refusalText(chart, net)).toBe(UNREACHABLE_NO_DATA);
    expect(isNetworkError(new ApiRequestError(404, 'fetch failed', undefined))).toBe(false);
  });

  it('an answer of another shape says so (the browser parses, never guesses)', () => {
    const err = new ContractMismatchError('/devices/gw_a', [
      { code: 'invalid_type', expected: 'string', path: ['id'], message: 'Invalid input', input: 1 } as never,
    ]);
    expect(refusalText({ lead: 'DeviceHealth for gw_a' }, err)).toBe(
      "DeviceHealth for gw_a: the API's answer to /devices/gw_a does not match its contract: id: Invalid input.",
    );
  });
});
