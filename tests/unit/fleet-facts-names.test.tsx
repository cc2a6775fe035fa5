// The facts of a deployment and a device (src/components/FleetPage/Facts.tsx) name the site and
// the deployment they belong to, not just their ids: a link with the name, the id in small type.
import { createElement, type ReactNode } from 'react';
import { describe, expect, it, vi } from 'vitest';
import { deploymentSchema } from '../../data-api/src/contracts/registry.ts';
import { renderToStaticMarkup } from '../helpers/docusaurus-stubs.ts';

vi.mock('@docusaurus/Link', () => import('../helpers/docusaurus-stubs.ts').then((m) => m.link));
vi.mock('@docusaurus/BrowserOnly', () => import('../helpers/docusaurus-stubs.ts').then((m) => m.browserOnly));
vi.mock('@docusaurus/useIsBrowser', () => ({ default: () => true }));
vi.mock('@docusaurus/useDocusaurusContext', () =>
  import('../helpers/docusaurus-stubs.ts').then((m) => m.docusaurusContext),
);

const at = '2026-01-01T00:00:00.000Z';
const deployment = deploymentSchema.parse({
  id: 'dep_farm-north-1',
  site_id: 'site_farm-north',
  customer_id: 'cus_greenacre',
  product_code: 'lorawan-gw',
  product_version: '2.1.0',
  name: 'North farm gateways',
  state: 'live',
  planned_date: null,
  started_date: null,
  created_at: at,
  updated_at: at,
});

describe('the facts of a deployment and of a device', () => {
  it('name the site and the deployment, each a link to its page with the id in small type', async () => {
    const { deploymentFacts, deviceFacts } = await import('../../src/components/FleetPage/Facts.tsx');
    const value = (facts: Array<[string, ReactNode]>, label: string) =>
      renderToStaticMarkup(createElement('div', null, facts.find(([l]) => l === label)![1]));
    const site = value(deploymentFacts(deployment, 'North farm'), 'Site');
    expect(site).toMatch(/<a href="\/site\?id=site_farm-north"[^>]*>North farm<\/a>/);
    expect(site).toMatch(/<span class="[^"]*"> site_farm-north<\/span>/);
    // Before the site's read answers: its id, as the link's text.
    expect(value(deploymentFacts(deployment), 'Site')).toMatch(/>site_farm-north<\/a><\/div>$/);

    // Only the fields the facts show.
    const device = {
      id: 'gw_farm-north-1-002',
      site_id: 'site_farm-north',
      deployment_id: 'dep_farm-north-1',
      customer_id: 'cus_greenacre',
      product_code: 'lorawan-gw',
      product_version: '2.1.0',
      name: 'Water tower gateway',
      role: 'gateway',
      serial: null,
      status: 'up',
      last_seen: null,
      observed_state: {},
      created_at: at,
      updated_at: at,
    } as unknown as Parameters<typeof deviceFacts>[0];
    const facts = deviceFacts(device, 'North farm', 'North farm gateways');
    expect(value(facts, 'Site')).toMatch(/>North farm<\/a>/);
    expect(value(facts, 'Deployment')).toMatch(
      /<a href="\/deployment\?id=dep_farm-north-1"[^>]*>North farm gateways<\/a>/,
    );
  });
});
