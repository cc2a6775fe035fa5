import { createElement } from 'react';
import { describe, expect, it } from 'vitest';
import type { AutoCheckResult } from '../../data-api/src/contracts/executions.ts';
import { AutoCheckView, type CheckState } from '../../src/runbook/AutoCheckView.tsx';
import { renderToStaticMarkup } from '../helpers/docusaurus-stubs.ts';

// runbooks.md "Probes": an item with auto_check shows what it probes and, for operators, a Check
// button; running / passed / failed with the reason; offline the button needs the connection.
const item = { id: 'udp1700', auto_check: { probe: 'udp' as const, target: '{{site.network_server}}:1700' } };
const result = (passed: boolean, detail: string): AutoCheckResult =>
  ({
    passed,
    probe: 'udp',
    template: item.auto_check.target,
    target: '10.1.2.3:1700',
    detail,
    note: passed ? `auto_check udp 10.1.2.3:1700: ${detail}` : null,
    at: '2026-12-07T12:00:00.000Z',
    execution: {} as AutoCheckResult['execution'],
    item: { checked: passed } as AutoCheckResult['item'],
  }) as AutoCheckResult;

const render = (
  state: CheckState,
  online = true,
  canCheck = true,
  it2: typeof item | { id: string; auto_check: null } = item,
) => renderToStaticMarkup(createElement(AutoCheckView, { item: it2, state, online, canCheck, onCheck: () => {} }));

describe('the runner’s auto_check', () => {
  it('shows what is probed and a Check button for operators; others see the probe only', () => {
    const html = render({ status: 'idle' });
    expect(html).toContain('data-state="idle"');
    expect(html).toContain('<code>{{site.network_server}}:1700</code>');
    expect(html).toMatch(/<button[^>]*data-testid="runner-autocheck-run-udp1700"[^>]*>Check<\/button>/);
    expect(html).not.toMatch(/<button[^>]*disabled/);
    const viewer = render({ status: 'idle' }, true, false);
    expect(viewer).toContain('{{site.network_server}}:1700');
    expect(viewer).not.toContain('<button');
    expect(render({ status: 'idle' }, true, true, { id: 'x', auto_check: null })).toBe('');
  });

  it('running, passed and failed (with the reason and what to do)', () => {
    const running = render({ status: 'running' });
    expect(running).toContain('data-state="running"');
    expect(running).toMatch(/<button[^>]*disabled[^>]*>Checking…<\/button>/);

    const passed = render({ status: 'done', result: result(true, 'PULL_ACK in 3 ms') });
    expect(passed).toContain('data-state="passed"');
    expect(passed).toMatch(/role="status"[^>]*>Passed: <code>10\.1\.2\.3:1700<\/code> — PULL_ACK in 3 ms/);

    const failed = render({ status: 'done', result: result(false, 'no PULL_ACK within 5 s') });
    expect(failed).toContain('data-state="failed"');
    expect(failed).toMatch(
      /role="alert"[^>]*>Failed: <code>10\.1\.2\.3:1700<\/code> — no PULL_ACK within 5 s\. Fix it and check again, or tick by hand\./,
    );

    const refused = render({ status: 'error', message: '{{vm.ip}} is not known for this execution' });
    expect(refused).toContain('data-state="error"');
    expect(refused).toContain('Could not check: {{vm.ip}} is not known for this execution');
  });

  it('offline: the button is disabled and says the check needs the connection (probes are not queued)', () => {
    const html = render({ status: 'idle' }, false);
    expect(html).toMatch(/<button[^>]*disabled[^>]*title="needs the connection"/);
    expect(html).toContain('Checking needs the connection: probes are not queued offline.');
  });
});
