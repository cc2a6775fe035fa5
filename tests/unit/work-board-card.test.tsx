// A WorkBoard card names the site, deployment and device its item is about, each a link to its
// registry page (src/pages/{site,deployment,device}.tsx), as the other widgets' rows do.
import { createElement } from 'react';
import { describe, expect, it, vi } from 'vitest';
import { workItemSchema } from '../../data-api/src/contracts/work-items.ts';
import { renderToStaticMarkup } from '../helpers/docusaurus-stubs.ts';

vi.mock('@docusaurus/Link', () => import('../helpers/docusaurus-stubs.ts').then((m) => m.link));
vi.mock('@docusaurus/BrowserOnly', () => import('../helpers/docusaurus-stubs.ts').then((m) => m.browserOnly));
vi.mock('@docusaurus/useIsBrowser', () => ({ default: () => false }));
vi.mock('@docusaurus/useDocusaurusContext', () =>
  import('../helpers/docusaurus-stubs.ts').then((m) => m.docusaurusContext),
);

const item = workItemSchema.parse({
  id: 'wi_demo-gw-storm',
  kind: 'ticket',
  title: 'Gateway on the north water tower offline since the storm',
  description: null,
  state: 'open',
  owner: null,
  due: null,
  priority: 'urgent',
  origin: 'manual',
  links: {
    customer_id: 'cus_greenacre',
    site_id: 'site_farm-north',
    deployment_id: 'dep_farm-north-1',
    device_id: 'gw_farm-north-1-002',
    alert_id: null,
    runbook_execution_id: null,
    runbook_item_id: null,
    automation_run_id: null,
  },
  external_ref: null,
  comment_count: 0,
  attachment_count: 0,
  created_by: 'demo',
  created_at: '2026-12-07T15:45:07.770Z',
  updated_at: '2026-12-07T15:45:07.770Z',
  closed_at: null,
  version: 1,
});

const links = (html: string) =>
  [...html.matchAll(/<a [^>]*href="([^"]+)"[^>]*>([^<]*)<\/a>/g)].map((m) => [m[1], m[2]]);

describe('WorkBoard card', () => {
  it('links the site, deployment and device of its item to their pages', async () => {
    const { WorkCard } = await import('../../src/widgets/WorkBoard/Card.tsx');
    const html = renderToStaticMarkup(createElement(WorkCard, { item, writer: false, me: undefined, showSite: true }));
    expect(links(html)).toEqual([
      ['/site?id=site_farm-north', 'site_farm-north'],
      ['/deployment?id=dep_farm-north-1', 'dep_farm-north-1'],
      ['/device?id=gw_farm-north-1-002', 'gw_farm-north-1-002'],
    ]);
  });

  it('leaves the site out on a board of one site, and names no device when the item has none', async () => {
    const { WorkCard } = await import('../../src/widgets/WorkBoard/Card.tsx');
    const html = renderToStaticMarkup(
      createElement(WorkCard, {
        item: { ...item, links: { ...item.links, device_id: null } },
        writer: false,
        me: undefined,
        showSite: false,
      }),
    );
    expect(links(html)).toEqual([['/deployment?id=dep_farm-north-1', 'dep_farm-north-1']]);
  });
});
