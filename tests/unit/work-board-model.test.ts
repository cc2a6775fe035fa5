import { describe, expect, it } from 'vitest';
import { workItemSchema, type WorkItem } from '../../data-api/src/contracts/work-items.ts';
import { byUrgency, columnsOf, distinct, isOverdue, localDay, matches } from '../../src/widgets/WorkBoard/model.ts';

// widgets.md: the WorkBoard shows work items by state, filterable by site and owner. The board's
// pure part: which live rows stay on it, their order in a column, overdue marking.

let n = 0;
function item(over: Partial<WorkItem> & { site?: string | null }): WorkItem {
  const { site = 'site_a', ...rest } = over;
  n++;
  return workItemSchema.parse({
    id: `wi_${String(n).padStart(4, '0')}`,
    kind: 'task',
    title: `item ${n}`,
    description: null,
    state: 'open',
    owner: null,
    due: null,
    priority: 'normal',
    origin: 'manual',
    links: {
      customer_id: 'cus_a',
      site_id: site,
      deployment_id: null,
      device_id: null,
      alert_id: null,
      runbook_execution_id: null,
      runbook_item_id: null,
      automation_run_id: null,
    },
    external_ref: null,
    comment_count: 0,
    attachment_count: 0,
    created_by: 'x',
    created_at: '2026-01-01T00:00:00Z',
    updated_at: '2026-01-01T00:00:00Z',
    closed_at: null,
    version: 1,
    ...rest,
  });
}

describe('WorkBoard model', () => {
  it('a live row leaves the board when a change moves it out of the filter (another owner, another site)', () => {
    const mine = item({ owner: 'lena' });
    expect(matches(mine, { owner: 'lena', site: 'site_a' })).toBe(true);
    expect(matches({ ...mine, owner: 'bo' }, { owner: 'lena' })).toBe(false);
    expect(matches({ ...mine, links: { ...mine.links, site_id: 'site_b' } }, { site: 'site_a' })).toBe(false);
    expect(matches(item({}), { unowned: true })).toBe(true);
    expect(matches(mine, { unowned: true })).toBe(false);
    expect(matches(mine, { kind: 'ticket' })).toBe(false);
  });

  it('orders a column by priority, then earliest due date (none last), then newest', () => {
    const low = item({ priority: 'low', due: '2026-01-01' });
    const urgent = item({ priority: 'urgent' });
    const highLate = item({ priority: 'high', due: '2026-03-01' });
    const highSoon = item({ priority: 'high', due: '2026-02-01' });
    const highNone = item({ priority: 'high' });
    const highNoneNewer = item({ priority: 'high' });
    const cols = columnsOf(
      [low, urgent, highLate, highSoon, highNone, highNoneNewer, item({ state: 'done' })],
      ['open', 'done'],
    );
    expect(cols.get('open')!.map((i) => i.id)).toEqual(
      [urgent, highSoon, highLate, highNoneNewer, highNone, low].map((i) => i.id),
    );
    expect(cols.get('done')).toHaveLength(1);
    expect([...cols.keys()]).toEqual(['open', 'done']);
    expect(byUrgency(urgent, urgent)).toBe(0);
  });

  it('overdue: active and due before today; a closed item is never overdue', () => {
    const today = localDay(new Date(2026, 2, 10));
    expect(today).toBe('2026-03-10');
    expect(isOverdue(item({ due: '2026-03-09' }), today)).toBe(true);
    expect(isOverdue(item({ due: '2026-03-10' }), today)).toBe(false);
    expect(isOverdue(item({ due: '2026-03-01', state: 'done' }), today)).toBe(false);
    expect(isOverdue(item({ due: '2026-03-01', state: 'blocked' }), today)).toBe(true);
  });

  it('filter menus list distinct sites and owners, sorted, without empties', () => {
    const rows = [
      item({ owner: 'bo', site: 'site_b' }),
      item({ owner: 'ana' }),
      item({ site: null }),
      item({ owner: 'bo' }),
    ];
    expect(distinct(rows, (i) => i.owner)).toEqual(['ana', 'bo']);
    expect(distinct(rows, (i) => i.links.site_id)).toEqual(['site_a', 'site_b']);
  });
});
