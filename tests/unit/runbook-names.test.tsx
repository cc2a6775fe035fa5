// runbooks.md: a field engineer reads the checklist's words. The pending-changes bar (the offline
// queue) and the sign-off's flagged values name each item by its text, with its id in small type
// beside it, as the history does (src/runbook/names.tsx), not by the bare id.
import { createElement } from 'react';
import { describe, expect, it, vi } from 'vitest';
import type { Execution, ItemState } from '../../data-api/src/contracts/executions.ts';
import type { QueueEntry, QueueSnapshot } from '../../src/runbook/queue.ts';
import { contractExecution, contractItem, queuedAction } from '../helpers/contract-fixtures.ts';
import { renderToStaticMarkup } from '../helpers/docusaurus-stubs.ts';

vi.mock('@docusaurus/Link', () => import('../helpers/docusaurus-stubs.ts').then((m) => m.link));
vi.mock('@docusaurus/useIsBrowser', () => ({ default: () => false }));
vi.mock('@docusaurus/useDocusaurusContext', () =>
  import('../helpers/docusaurus-stubs.ts').then((m) => m.docusaurusContext),
);

const item = (id: string, gate: string, text: string, patch: Partial<ItemState> = {}): ItemState =>
  contractItem(id, gate, { text, version: 1, ...patch });

const execution: Execution = contractExecution({
  progress: { checked: 2, total: 3 },
  current_gate: 'g1-power',
  version: 3,
  gates: [
    {
      id: 'g1-power',
      title: 'Power and enclosure',
      sign_off: 'lead',
      status: 'awaiting_sign_off',
      progress: { checked: 2, total: 2 },
      signed_off: null,
      items: [
        item('psu', 'g1-power', 'PSU output voltage', {
          evidence: 'value',
          expect: { min: 11.5, max: 12.5, unit: 'V' },
          checked: true,
          value: 13.1,
          flagged: true,
          note: 'spare PSU',
        }),
        item('station-up', 'g1-power', 'Station powers up and its LED is green', { checked: true }),
      ],
    },
    {
      id: 'g2-backhaul',
      title: 'Backhaul',
      sign_off: null,
      status: 'locked',
      progress: { checked: 0, total: 1 },
      signed_off: null,
      items: [item('udp1700', 'g2-backhaul', 'Forwarder reaches the network server')],
    },
  ],
});

const entry = queuedAction;

async function render(entries: QueueEntry[]): Promise<string> {
  const { ExecutionView } = await import('../../src/runbook/ExecutionView.tsx');
  const snapshot: QueueSnapshot = { entries, flushing: false, waiting: 'offline' };
  return renderToStaticMarkup(
    createElement(ExecutionView, {
      execution,
      runbook: { id: 'rb-x', version: 1, gates: [] },
      queue: null,
      snapshot,
      refusals: [],
      dismiss: () => {},
      who: { name: 'alice', role: 'operator', lead: true, customer_id: null } as never,
      canWrite: true,
      onClose: () => {},
      loadError: null,
      onItem: () => {},
    }),
  );
}

/** The text of the element whose data-testid is `id` (tags dropped, entities of quotes decoded). */
const textOf = (html: string, id: string): string => {
  const at = html.indexOf(`data-testid="${id}"`);
  expect(at, id).toBeGreaterThan(-1);
  const open = html.lastIndexOf('<', at);
  const tag = /^<(\w+)/.exec(html.slice(open))![1]!;
  const close = html.indexOf(`</${tag}>`, at);
  return html
    .slice(html.indexOf('>', at) + 1, close)
    .replace(/<[^>]+>/g, '')
    .replace(/&quot;/g, '"')
    .replace(/&#x27;/g, "'")
    .replace(/&amp;/g, '&');
};

describe('the runner names items and gates by their text, the id beside it', () => {
  it('the pending-changes bar: each queued action names its item’s text (or its gate’s title) and the id', async () => {
    const html = await render([
      entry(1, { kind: 'untick', executionId: 'run_1', itemId: 'station-up', body: {} }),
      entry(2, { kind: 'value', executionId: 'run_1', itemId: 'psu', body: { value: 12.1 } }),
      entry(3, { kind: 'sign-off', executionId: 'run_1', gateId: 'g1-power', body: {} }),
    ]);
    expect(textOf(html, 'runner-queued-1')).toMatch(/^untick “Station powers up and its LED is green” station-up /);
    expect(textOf(html, 'runner-queued-2')).toMatch(/^value 12\.1 for “PSU output voltage” psu /);
    expect(textOf(html, 'runner-queued-3')).toMatch(/^sign off “Power and enclosure” g1-power /);
  });

  it('the sign-off lists each flagged value with its item’s text, the id, the value, its unit and its note', async () => {
    const html = await render([]);
    expect(textOf(html, 'runner-signoff-flagged-g1-power')).toContain(
      'Flagged values: “PSU output voltage” psu = 13.1 V (spare PSU)',
    );
  });
});
