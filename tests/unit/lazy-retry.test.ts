// The loader behind every lazily loaded widget (src/widgets/lazy-retry.ts): a failed import is
// tried again after 0.5 s, doubling to 5 s, a handful of times; then on Retry or `online`.
// In the browser: tests/e2e/widgets.test.ts ("a widget's code that fails to download…").
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RETRY_DELAYS_MS, retryingImport } from '../../src/widgets/lazy-retry.ts';

describe('retryingImport', () => {
  const events = new EventTarget();
  beforeEach(() => {
    vi.useFakeTimers();
    vi.stubGlobal('window', events);
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  /** An import that fails `failures` times, then loads. */
  function flaky(failures: number) {
    const importer = vi.fn(async () => {
      if (importer.mock.calls.length <= failures) throw new Error('ChunkLoadError: Loading chunk 42 failed.');
      return { default: 'the widget' };
    });
    return importer;
  }

  it('retries after 0.5, 1, 2, 4, 5 s, then waits for Retry; it loads once, without a new mount', async () => {
    expect(RETRY_DELAYS_MS).toEqual([500, 1000, 2000, 4000, 5000]);
    const importer = flaky(7);
    const code = retryingImport(importer);
    const seen: string[] = [];
    code.subscribe(() => seen.push(code.getState().status));
    code.load();
    code.load(); // a second widget of the same kind: one import
    await vi.advanceTimersByTimeAsync(0);
    expect(importer).toHaveBeenCalledTimes(1);
    expect(code.getState()).toMatchObject({ status: 'retrying', failures: 1 });
    expect(String((code.getState() as { error: Error }).error)).toMatch(/Loading chunk 42 failed/);
    for (const [i, delay] of RETRY_DELAYS_MS.entries()) {
      await vi.advanceTimersByTimeAsync(delay - 1);
      expect(importer).toHaveBeenCalledTimes(i + 1);
      await vi.advanceTimersByTimeAsync(1);
      expect(importer).toHaveBeenCalledTimes(i + 2);
    }
    expect(code.getState()).toMatchObject({ status: 'failed', failures: 6 });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(importer).toHaveBeenCalledTimes(6);
    code.retry(); // the button: a new series
    await vi.advanceTimersByTimeAsync(0);
    expect(code.getState()).toMatchObject({ status: 'retrying', failures: 1 });
    await vi.advanceTimersByTimeAsync(500);
    expect(importer).toHaveBeenCalledTimes(8);
    expect(code.getState()).toEqual({ status: 'ready', module: { default: 'the widget' } });
    expect(seen.at(-1)).toBe('ready');
    expect(seen).not.toContain('loading');
  });

  it('tries at once when the browser comes back online, and not twice at a time', async () => {
    const importer = flaky(1);
    const code = retryingImport(importer);
    code.load();
    await vi.advanceTimersByTimeAsync(0);
    expect(code.getState().status).toBe('retrying');
    events.dispatchEvent(new Event('online'));
    code.retry(); // already under way
    await vi.advanceTimersByTimeAsync(0);
    expect(importer).toHaveBeenCalledTimes(2);
    expect(code.getState().status).toBe('ready');
    await vi.advanceTimersByTimeAsync(10_000);
    events.dispatchEvent(new Event('online'));
    expect(importer).toHaveBeenCalledTimes(2);
  });
});
