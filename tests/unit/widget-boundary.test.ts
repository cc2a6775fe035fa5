// The error boundary around every loaded widget (src/widgets/WidgetBoundary.tsx), its logic
// without a DOM (the unit layer has none): what a crash records, when it is reset, what it logs.
// In the browser: tests/e2e/widgets.test.ts ("a widget that throws while rendering…").
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WidgetBoundary, type WidgetBoundaryProps } from '../../src/widgets/WidgetBoundary.tsx';

const props = (resetKeys: unknown[]): WidgetBoundaryProps => ({
  name: 'DeviceHealth',
  resetKeys,
  fallback: ({ error }) => `crashed: ${error.message}`,
  children: null,
});

describe('WidgetBoundary', () => {
  afterEach(() => vi.restoreAllMocks());

  it('records what the widget threw, as an Error', () => {
    const err = new TypeError('text.matchAll is not a function');
    expect(WidgetBoundary.getDerivedStateFromError(err)).toEqual({ error: err });
    const thrown = WidgetBoundary.getDerivedStateFromError('a string');
    expect(thrown.error).toBeInstanceOf(Error);
    expect(thrown.error?.message).toBe('a string');
  });

  it('mounts a crashed widget again when one of its props changes, not when they are only passed again', () => {
    const device = { id: 'gw_1' };
    const crashed = { error: new Error('boom'), keys: ['gw_1', device], mount: 2 };
    // A parent's render passes the same values in a new array: the crash stays.
    expect(WidgetBoundary.getDerivedStateFromProps(props(['gw_1', device]), crashed)).toBeNull();
    // Another device: tried again, as a new mount.
    expect(WidgetBoundary.getDerivedStateFromProps(props(['gw_2', device]), crashed)).toEqual({
      keys: ['gw_2', device],
      error: null,
      mount: 3,
    });
    // A widget that did not crash keeps its mount (its state) when its props change.
    expect(WidgetBoundary.getDerivedStateFromProps(props(['gw_2']), { error: null, keys: ['gw_1'], mount: 0 })).toEqual(
      { keys: ['gw_2'] },
    );
  });

  it('compares props by value: equal literals passed again (an MDX page re-rendering) do not remount the crash', () => {
    const onClick = () => {};
    const element = { $$typeof: Symbol.for('react.transitional.element'), type: 'b', props: {} };
    const crashed = {
      error: new Error('bad columns'),
      keys: ['gw_1', ['a', 'b'], { range: '24h', metrics: ['t'] }, onClick, element],
      mount: 1,
    };
    // A re-render: every array and object is a new literal with the same value.
    const again = props(['gw_1', ['a', 'b'], { range: '24h', metrics: ['t'] }, onClick, element]);
    expect(WidgetBoundary.getDerivedStateFromProps(again, crashed)).toBeNull();
    // A value that changed inside a literal, another function, another element: tried again.
    for (const keys of [
      ['gw_1', ['a', 'c'], { range: '24h', metrics: ['t'] }, onClick, element],
      ['gw_1', ['a', 'b'], { range: '24h', metrics: ['t', 'h'] }, onClick, element],
      ['gw_1', ['a', 'b'], { range: '24h', metrics: ['t'] }, () => {}, element],
      ['gw_1', ['a', 'b'], { range: '24h', metrics: ['t'] }, onClick, { ...element }],
      ['gw_1', { 0: 'a', 1: 'b' }, { range: '24h', metrics: ['t'] }, onClick, element],
    ])
      expect(WidgetBoundary.getDerivedStateFromProps(props(keys), crashed)).toEqual({ keys, error: null, mount: 2 });
  });

  it('shows the fallback while crashed, and logs each crash once with the widget name', () => {
    const boundary = new WidgetBoundary(props(['gw_1']));
    const error = new TypeError('text.matchAll is not a function');
    boundary.state = { ...boundary.state, error };
    expect(boundary.render()).toBe('crashed: text.matchAll is not a function');
    const log = vi.spyOn(console, 'error').mockImplementation(() => {});
    boundary.componentDidCatch(error, { componentStack: '\n    at DeviceHealth' });
    expect(log).toHaveBeenCalledTimes(1);
    expect(log.mock.calls[0]).toEqual([
      'DeviceHealth: this widget failed to display: text.matchAll is not a function',
      '\n    at DeviceHealth',
    ]);
  });
});
